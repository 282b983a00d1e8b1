import { COMMON_HELP, EXIT_FAILURE, UsageError, configFromFlags, parseCommand } from './common.js';
import { parseConfig } from '../config/load.js';
import type { Config, ConfigInput } from '../config/schema.js';
import { terminalNote } from '../output/terminal.js';
import { demoClusterNames } from '../source/demo.js';
import { runUntilSignal } from './run.js';

const HELP = [
  'Usage: podglow demo [options]',
  '',
  'A built-in simulated cluster (four Raspberry Pi worker nodes; deployments scaling to 58',
  'replicas and back, a rolling update, a crash-looping pod, a node going NotReady) drawn on',
  'an 8×8 matrix in this terminal and, with a two-LED summary, in the web preview.',
  'No hardware, no Prometheus. Stop with Ctrl-C.',
  '',
  'Options:',
  '  -p, --port N             preview port (default 9810; 0 = any free port)',
  '      --address ADDR       address to listen on (default 127.0.0.1; 0.0.0.0 for other machines)',
  '      --wled HOST[:PORT]   also drive this WLED device over DDP (port 4048 by default)',
  '      --wled-size WxH|N    its size (default: read from http://HOST/json/info)',
  "      --blinkt             also preview a Blinkt! (8 LEDs): node pi-2's pods, one LED each, as",
  "                           deploy/overlays/blinkt shows each Pi's own pods",
  '      --clusters N         simulate N clusters (2..8) on one light; the last goes stale for a while and comes back',
  ...COMMON_HELP.filter((l) => !l.includes('--prometheus-url')).map((l) =>
    l.includes('--config') ? "  -c, --config FILE        use this config's outputs and settings, with the demo source" : l,
  ),
].join('\n');

/** Default demo port (SPEC §9). */
export const DEMO_PORT = 9810;

/** The built-in demo configuration: the unicornhat-sized matrix in the terminal and on the page, and a two-LED summary. */
export function demoConfig(server: { address: string; port: number }): ConfigInput {
  return {
    source: 'demo',
    interval: '2s',
    outputs: [
      { name: 'terminal', type: 'terminal', width: 8, height: 8, brightness: 1, layout: { type: 'matrix' } },
      { name: 'unicornhat', type: 'web', width: 8, height: 8, brightness: 0.8, layout: { type: 'matrix' } },
      { name: 'blinkstick', type: 'web', width: 2, height: 1, brightness: 1, layout: { type: 'summary', node: '*' } },
    ],
    server: { enabled: true, address: server.address, port: server.port },
    // Log lines would tear the in-place terminal drawing: only problems are logged.
    log: { level: 'warn', format: 'auto' },
  };
}

/**
 * `--clusters N`: N simulated clusters (demoClusterNames) on the same outputs, plus a
 * BlinkStick-Strip-sized web output with one LED per cluster (the `clusters` layout).
 */
export function demoClustersConfig(n: number, raw: ConfigInput): Pick<ConfigInput, 'clusters' | 'outputs' | 'staleAfter'> {
  return {
    clusters: demoClusterNames(n),
    // Short, so the simulated outage shows within seconds (the default floor is 90 s of data age).
    staleAfter: '6s',
    outputs: [
      ...(raw.outputs ?? []),
      { name: 'clusters', type: 'web', width: 8, height: 1, brightness: 1, layout: { type: 'clusters' } },
    ],
  };
}

/** A `--wled HOST[:PORT]` / `--wled-size WxH|N` pair as a wled output section of the demo config. */
export function demoWledOutput(target: string, size?: string): NonNullable<ConfigInput['outputs']>[number] {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+)(?::(\d+))?$/.exec(target);
  if (!m) throw new UsageError(`--wled must be HOST or HOST:PORT (IPv6 as [addr]:port), got "${target}"`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new UsageError(`--wled port must be 1..65535, got "${m[2]}"`);
  const out: Record<string, unknown> = { name: 'wled', type: 'wled', host, brightness: 0.8, layout: { type: 'matrix' } };
  if (port !== undefined) out.port = port;
  if (size !== undefined) {
    const wh = /^(\d+)x(\d+)$/.exec(size);
    if (wh) Object.assign(out, { width: Number(wh[1]), height: Number(wh[2]) });
    else if (/^\d+$/.test(size)) out.count = Number(size);
    else throw new UsageError(`--wled-size must be WIDTHxHEIGHT (16x16) or a count (150), got "${size}"`);
  }
  return out as NonNullable<ConfigInput['outputs']>[number];
}

/** The node the demo's Blinkt! preview shows. */
export const DEMO_BLINKT_NODE = 'pi-2';

/** The `--blinkt` preview: eight LEDs in a row, one node's pods as on each Pi of deploy/overlays/blinkt. */
export function demoBlinktOutput(): NonNullable<ConfigInput['outputs']>[number] {
  return { name: 'blinkt', type: 'web', width: 8, height: 1, brightness: 1, layout: { type: 'matrix', node: DEMO_BLINKT_NODE } };
}

/** `podglow demo`: runs the simulated cluster until SIGINT/SIGTERM. */
export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      port: { type: 'string', short: 'p' },
      address: { type: 'string' },
      wled: { type: 'string' },
      'wled-size': { type: 'string' },
      blinkt: { type: 'boolean' },
      clusters: { type: 'string' },
    },
    HELP,
  );
  if (!parsed) return 0;
  const { values } = parsed;
  if (values['prometheus-url'] !== undefined)
    throw new UsageError('the demo does not use Prometheus: --prometheus-url makes no sense here');
  let port: number | undefined;
  if (typeof values.port === 'string') {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535)
      throw new UsageError(`--port must be a port number 0..65535, got "${values.port}"`);
  }
  const address = typeof values.address === 'string' ? values.address : undefined;

  const wledSize = typeof values['wled-size'] === 'string' ? values['wled-size'] : undefined;
  if (wledSize !== undefined && typeof values.wled !== 'string') throw new UsageError('--wled-size goes with --wled HOST');
  const wled = typeof values.wled === 'string' ? demoWledOutput(values.wled, wledSize) : undefined;

  let clusters: number | undefined;
  if (typeof values.clusters === 'string') {
    clusters = Number(values.clusters);
    if (!/^\d+$/.test(values.clusters) || clusters < 2 || clusters > 8)
      throw new UsageError(`--clusters must be a number 2..8, got "${values.clusters}"`);
  }

  let config: Config;
  if (typeof values.config === 'string') {
    if (wled) throw new UsageError('--wled adds to the built-in demo outputs; with --config, add a wled output to that file');
    if (values.blinkt)
      throw new UsageError('--blinkt adds to the built-in demo outputs; with --config, add a web output of 8 × 1 to that file');
    if (clusters !== undefined)
      throw new UsageError('--clusters goes with the built-in demo config; with --config, set clusters: in that file');
    config = configFromFlags(values, { source: 'demo' });
    if (port !== undefined) config.server.port = port;
    if (address) config.server.address = address;
  } else {
    const raw = demoConfig({ address: address ?? '127.0.0.1', port: DEMO_PORT });
    if (wled) raw.outputs = [...(raw.outputs ?? []), wled];
    if (values.blinkt) raw.outputs = [...(raw.outputs ?? []), demoBlinktOutput()];
    if (clusters !== undefined) Object.assign(raw, demoClustersConfig(clusters, raw));
    config = parseConfig(raw, { source: 'built-in demo config', overrides: port === undefined ? {} : { port } });
  }
  config.server.enabled = true;

  // Loaded here so `demo --help` does not load the HTTP stack.
  const [{ createLogger }, { startPodglow }] = await Promise.all([import('../log.js'), import('../app.js')]);
  const log = createLogger({ level: config.log.level, format: config.log.format });
  let app;
  try {
    app = await startPodglow(config, { log });
  } catch (e) {
    const code = (e as { cause?: { code?: string } }).cause?.code;
    if (code === 'EADDRINUSE') {
      console.error(
        `podglow: port ${config.server.port} on ${config.server.address} is already in use (another podglow demo?).\n` +
          `Stop it, or pick another port: podglow demo --port 9811 (or --port 0 for any free port).`,
      );
      return EXIT_FAILURE;
    }
    throw e;
  }
  const url = app.url ?? '';
  const hasTerminal = config.outputs.some((o) => o.type === 'terminal');
  const note = `podglow demo: preview at ${url}\nmetrics at ${url}metrics · Ctrl-C to stop`;
  if (hasTerminal) terminalNote(note);
  else console.log(note);
  return runUntilSignal(() => app.stop(), log);
}
