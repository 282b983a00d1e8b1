#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size
// The flags keep memory near the steady state under connection floods (measured with
// bench/flood.ts): V8's young generation capped at 1 MiB per semi-space (16 MiB by default,
// which a flood fills and never gives back), and a heap that grows less eagerly, so the
// garbage of a flood is collected soon after it. V8 reads them only at start-up
// (v8.setFlagsFromString later has no effect), so they live here, where npm's bin link and the
// systemd unit run them, and in the image's ENTRYPOINT.
// Only the version and the exit codes load up front: --version and --help answer about as fast
// as `node -e 0`, and each command imports what it needs (SPEC §10).
import { VERSION } from './version.js';
import { UsageError, EXIT_CONFIG } from './cli/exit.js';

const COMMANDS = {
  run: 'the controller: poll, lay out, drive every output, serve HTTP (default)',
  demo: 'built-in simulated cluster → terminal + web preview; no hardware, no Prometheus',
  check: 'validate the config and print the PromQL it will send',
  snapshot: 'one poll; print the snapshot as a table, or as --json',
  frame: "one poll (or --snapshot FILE); print each output's frame as blocks, or --json",
} as const;
type Command = keyof typeof COMMANDS;

/** Top-level help text. */
export function usage(): string {
  return [
    `podglow ${VERSION} — a Kubernetes cluster on LEDs`,
    '',
    'Usage: podglow [command] [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([c, d]) => `  ${c.padEnd(9)} ${d}`),
    '',
    'Run `podglow <command> --help` for the options of a command.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first === '--version' || first === '-V') {
    console.log(VERSION);
    return 0;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    console.log(usage());
    return 0;
  }
  let cmd: Command = 'run';
  let rest = argv;
  if (first && !first.startsWith('-')) {
    if (!(first in COMMANDS)) {
      console.error(`podglow: unknown command "${first}"\n\n${usage()}`);
      return EXIT_CONFIG;
    }
    cmd = first as Command;
    rest = argv.slice(1);
  }
  const mod = (await import(`./cli/${cmd}.js`)) as { main(argv: string[]): Promise<number> };
  return mod.main(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // By name: importing ConfigError's module here would load zod and yaml for --version.
    if (e instanceof UsageError || (e instanceof Error && e.name === 'ConfigError')) {
      console.error(`podglow: ${e.message}`);
      process.exitCode = EXIT_CONFIG;
    } else {
      console.error(`podglow: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    }
  },
);
