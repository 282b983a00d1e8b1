import { parseArgs, type ParseArgsConfig } from 'node:util';
import { VERSION } from '../version.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { UsageError } from './exit.js';

export { EXIT_CONFIG, EXIT_FAILURE, UsageError } from './exit.js';

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  config: { type: 'string', short: 'c' },
  'prometheus-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies ParseArgsConfig['options'];

/** Help lines for the common options. */
export const COMMON_HELP = [
  '  -c, --config FILE        config file (default $PODGLOW_CONFIG or config/podglow.yaml)',
  '      --prometheus-url URL Prometheus base URL (overrides the config and $PODGLOW_PROMETHEUS_URL)',
  '  -h, --help               show this help',
  '  -V, --version            print the version',
];

/**
 * Parses a command's arguments with the common options plus its own. Returns null when
 * --help or --version was printed (the command then exits 0).
 */
export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
  help: string,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } | null {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: false, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${help}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    console.log(help);
    return null;
  }
  if (values.version) {
    console.log(VERSION);
    return null;
  }
  return { values, positionals: parsed.positionals };
}

/** Loads the config named by --config / --prometheus-url (throws ConfigError → exit 2). */
export function configFromFlags(values: Record<string, string | boolean | undefined>, extra: { source?: 'demo' } = {}): Config {
  const url = typeof values['prometheus-url'] === 'string' ? values['prometheus-url'] : undefined;
  const path = typeof values.config === 'string' ? values.config : undefined;
  return loadConfig(path, { overrides: { prometheusUrl: url, source: extra.source } });
}
