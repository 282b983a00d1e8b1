import { startPodglow, type Podglow } from '../../src/app.js';
import { OFF, type Rgb } from '../../src/color.js';
import { parseConfig } from '../../src/config/load.js';
import { defaultLayout, type Config, type ConfigInput, type OutputConfig } from '../../src/config/schema.js';
import { scaleRgb } from '../../src/color.js';
import { STALE_DIM } from '../../src/effects/pipeline.js';
import { renderLayout, resolvePalette } from '../../src/layout/index.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import type { Driver, DriverContext } from '../../src/output/driver.js';
import { outputGeometry } from '../../src/output/geometry.js';
import type { Snapshot } from '../../src/snapshot.js';
import type { StateCounts } from '../../src/states.js';
import { recordingFactory, type RecordingDriver, type RecordingDriverOptions } from '../fakes/recordingDriver.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until `check` returns true (polled every 50 ms); fails naming `what` and the last `explain()` text. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 8000,
  explain?: () => unknown,
): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now() - start;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${explain ? `; last: ${JSON.stringify(explain())}` : ''}`);
}

/** A fault-suite config: 1 s polls, stale after 2 s, no fades, server on 127.0.0.1:0, an 8×8 matrix recording output. */
export function faultConfig(url: string, extra: Partial<ConfigInput> = {}): Config {
  return parseConfig(
    {
      source: 'prometheus',
      prometheus: { url, timeout: '1s', matchers: ['job="kube-state-metrics"'] },
      interval: '1s',
      staleAfter: '2s',
      effects: { transitionMs: 0, fps: 30 },
      server: { enabled: true, address: '127.0.0.1', port: 0 },
      outputs: [{ name: 'hat', type: 'web', width: 8, height: 8, brightness: 1, layout: { type: 'matrix' } }],
      ...extra,
    },
    { env: {} },
  );
}

/** A running podglow (real source, real controller and server) with recording outputs. */
export interface Harness {
  app: Podglow;
  config: Config;
  drivers: Map<string, RecordingDriver>;
  /** The recording driver of output `name` (default the first). */
  driver(name?: string): RecordingDriver;
  readyz(): Promise<{ status: number; text: string }>;
  /** `/metrics` parsed into `name{a="x"}` (labels sorted) → value. */
  metrics(): Promise<Map<string, number>>;
  /** What output `name` shows now, classified against the layout of the controller's snapshot. */
  display(name?: string): Display;
  stop(): Promise<void>;
}

/** What the LEDs show: the start-up walker, the live frame, the stale frame (dimmed + status LED), or something else. */
export type Display = 'none' | 'walker' | 'live' | 'stale' | 'other';

/** Parses Prometheus text exposition into `name{a="x",b="y"}` (labels sorted) → value. */
export function parseExposition(body: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
      .map((l) => `${l[1]}="${l[2]}"`)
      .sort();
    out.set(labels.length ? `${m[1]}{${labels.join(',')}}` : m[1]!, Number(m[3]));
  }
  return out;
}

const same = (a: Rgb, b: Rgb) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

/**
 * Classifies LED colours (brightness 1, no gamma) against the layout `expected` of the
 * last good snapshot: `live` = the layout's colours (blinking LEDs may be off),
 * `stale` = the same dimmed to STALE_DIM with the last LED the status colour or off (blinking).
 */
export function classify(
  leds: readonly Rgb[] | undefined,
  expected: { leds: readonly Rgb[]; blink: readonly boolean[] } | null,
  status: Rgb,
): Display {
  if (!leds) return 'none';
  const lit = leds.filter((c) => !same(c, OFF));
  if (!expected) return lit.length <= 1 && lit.every((c) => same(c, status)) ? 'walker' : 'other';
  const n = leds.length;
  const live = leds.every((c, i) => same(c, expected.leds[i]!) || (expected.blink[i] === true && same(c, OFF)));
  if (live) return 'live';
  const stale = leds.every((c, i) => {
    if (i === n - 1) return same(c, status) || same(c, OFF);
    return same(c, scaleRgb(expected.leds[i]!, STALE_DIM)) || (expected.blink[i] === true && same(c, OFF));
  });
  if (stale) return 'stale';
  if (lit.length <= 1 && lit.every((c) => same(c, status))) return 'walker';
  return 'other';
}

/** Starts podglow on `config` with recording drivers (some may get RecordingDriverOptions or a custom driver). */
export async function startHarness(
  config: Config,
  opts: { perOutput?: Record<string, RecordingDriverOptions>; custom?: Record<string, Driver> } = {},
): Promise<Harness> {
  const factory = recordingFactory({ perOutput: opts.perOutput });
  const createDriver = async (o: OutputConfig, ctx: DriverContext): Promise<Driver> =>
    opts.custom?.[ctx.name] ?? factory.create(o, ctx);
  const app = await startPodglow(config, { log: silentLogger, metrics: new Metrics(), createDriver });
  const status = resolvePalette(config.palette).colors.status;
  const outputs = new Map(config.outputs.map((o, i) => [o.name ?? `output-${i}`, o]));
  const firstName = [...factory.drivers.keys()][0] ?? config.outputs[0]!.name!;
  const h: Harness = {
    app,
    config,
    drivers: factory.drivers,
    driver: (name = firstName) => {
      const d = factory.drivers.get(name);
      if (!d) throw new Error(`no recording driver ${name}`);
      return d;
    },
    async readyz() {
      const r = await fetch(new URL('readyz', app.url));
      return { status: r.status, text: await r.text() };
    },
    async metrics() {
      const r = await fetch(new URL('metrics', app.url));
      if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
      return parseExposition(await r.text());
    },
    display(name = firstName) {
      const o = outputs.get(name)!;
      const s = app.controller.snapshot();
      const view = app.controller.outputs().find((v) => v.name === name)!;
      const expected = s
        ? renderLayout(o.layout ?? defaultLayout(o.type), s, {
            geometry: outputGeometry(o),
            palette: resolvePalette(config.palette, o.palette),
            page: view.page,
          })
        : null;
      return classify(h.driver(name).last, expected, status);
    },
    stop: () => app.stop(),
  };
  return h;
}

/** Pod counts of one node of a snapshot, or of the unscheduled pods (name ''). */
export function countsOf(s: Snapshot | null, node: string): StateCounts | undefined {
  if (!s) return undefined;
  return node === '' ? s.unscheduled : s.nodes.find((n) => n.name === node)?.pods;
}
