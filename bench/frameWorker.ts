// Frame pipeline and idle costs, in their own process: `node dist/bench/frameWorker.js`
// prints one JSON object (FrameWorkerResult).
import { startPodglow } from '../src/app.js';
import { parseConfig } from '../src/config/load.js';
import { OutputPipeline } from '../src/effects/pipeline.js';
import { renderLayout, resolvePalette } from '../src/layout/index.js';
import { silentLogger } from '../src/log.js';
import type { Driver } from '../src/output/driver.js';
import { emptyAlerts, type Snapshot } from '../src/snapshot.js';
import type { Source } from '../src/source/source.js';
import { emptyCounts, type StateCounts } from '../src/states.js';
import { node } from '../test/layout/helpers.js';
import { BENCH_OUTPUTS, CountingDriver, runAsWorker } from './worker.js';

/** What the frame worker measured. */
export interface FrameWorkerResult {
  /** Matrix layout of a 4-node snapshot on 8×8 (µs per frame). */
  layoutUs: number;
  /** Effects pipeline of one 64-LED frame: brightness, cap, blink, stale, gamma, write hand-off (µs). */
  effectsUs: number;
  /** Both together: one new 64-LED frame from a snapshot (µs). */
  frameUs: number;
  /** A continuous 30 fps fade on a 64-LED output: share of one core, frames per second, µs per fade frame. */
  fadeCpuPercent: number;
  fadeFps: number;
  fadeUsPerFrame: number;
  /** A running podglow between polls (3 outputs, HTTP server, nothing blinking): CPU ms per 10 s. */
  idleCpuMsPer10s: number;
  /** The same with a crashing pod blinking on each output (1 Hz blink = 2 writes per second). */
  idleBlinkCpuMsPer10s: number;
}

function snapshot(nodes: Record<string, Partial<StateCounts>>): Snapshot {
  return {
    time: new Date(0).toISOString(),
    nodes: Object.entries(nodes).map(([name, pods]) => node(name, pods)),
    unscheduled: emptyCounts(),
    alerts: emptyAlerts(),
    queries: {},
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

/** Runs every measurement; `idleSeconds` per idle window. */
export async function frameWorker(idleSeconds = 10): Promise<FrameWorkerResult> {
  const config = parseConfig(
    { source: 'demo', outputs: [{ name: 'hat', type: 'unicornhat', layout: { type: 'matrix' } }] },
    { env: {} },
  );
  const layout = config.outputs[0]!.layout!;
  const palette = resolvePalette(config.palette);
  const geometry = { width: 8, height: 8 };
  const snaps = [
    snapshot({
      'pi-1': { running: 9, pending: 2 },
      'pi-2': { running: 12, failed: 1 },
      'pi-3': { running: 7, terminating: 2 },
      'pi-4': { running: 16 },
    }),
    snapshot({
      'pi-1': { running: 10, pending: 1 },
      'pi-2': { running: 11, unknown: 1 },
      'pi-3': { running: 9 },
      'pi-4': { running: 15, pending: 3 },
    }),
  ];
  const ctx = { geometry, palette, page: 0 };
  const frames = snaps.map((s) => renderLayout(layout, s, ctx));
  const pipeline = (driver: Driver, transitionMs: number) => {
    const p = new OutputPipeline({
      name: 'hat',
      type: 'unicornhat',
      driver,
      geometry,
      brightness: 0.4,
      transitionMs,
      fps: 30,
      statusColor: palette.colors.status,
      log: silentLogger,
    });
    p.start();
    return p;
  };
  const timeUs = (n: number, fn: (i: number) => void) => {
    for (let i = 0; i < Math.min(n, 2000); i++) fn(i); // warm up the JIT
    const t = performance.now();
    for (let i = 0; i < n; i++) fn(i);
    return ((performance.now() - t) * 1000) / n;
  };
  const N = 50_000;
  const layoutUs = timeUs(N, (i) => void renderLayout(layout, snaps[i % 2]!, ctx));
  const p1 = pipeline(new CountingDriver(0.5, true), 0);
  const effectsUs = timeUs(N, (i) => p1.setFrame(frames[i % 2]!));
  await p1.halt();
  const p2 = pipeline(new CountingDriver(0.5, true), 0);
  const frameUs = timeUs(N, (i) => p2.setFrame(renderLayout(layout, snaps[i % 2]!, ctx)));
  await p2.halt();

  // A fade that never ends: a new frame every transitionMs, so the pipeline renders at fps the whole time.
  const fadeDriver = new CountingDriver(0.5, true);
  const p3 = pipeline(fadeDriver, 1000);
  p3.setFrame(frames[0]!);
  await sleep(1100);
  let k = 1;
  p3.setFrame(frames[k++ % 2]!);
  const switcher = setInterval(() => p3.setFrame(frames[k++ % 2]!), 1000);
  const fadeSeconds = 5;
  const w0 = fadeDriver.writes;
  const c0 = process.cpuUsage();
  await sleep(fadeSeconds * 1000);
  const fadeCpu = cpuMs(process.cpuUsage(c0));
  const fadeWrites = fadeDriver.writes - w0;
  clearInterval(switcher);
  await p3.halt();

  const idle = async (s: Snapshot): Promise<number> => {
    const source: Source = { poll: async () => s };
    const cfg = parseConfig(
      {
        source: 'demo',
        interval: '1h',
        server: { enabled: true, address: '127.0.0.1', port: 0 },
        outputs: BENCH_OUTPUTS,
      },
      { env: {} },
    );
    const app = await startPodglow(cfg, {
      log: silentLogger,
      source,
      createDriver: async (o) => new CountingDriver(o.type === 'unicornhat' ? 0.5 : 1, o.type === 'unicornhat'),
    });
    await sleep(1500); // first poll, then the 400 ms fade settles
    const c = process.cpuUsage();
    await sleep(idleSeconds * 1000);
    const ms = cpuMs(process.cpuUsage(c));
    await app.stop();
    return (ms * 10) / idleSeconds;
  };
  const idleCpuMsPer10s = await idle(snaps[0]!);
  const idleBlinkCpuMsPer10s = await idle(snapshot({ 'pi-1': { running: 9, crashing: 1 }, 'pi-2': { running: 12 } }));
  return {
    layoutUs,
    effectsUs,
    frameUs,
    fadeCpuPercent: fadeCpu / (fadeSeconds * 10),
    fadeFps: fadeWrites / fadeSeconds,
    fadeUsPerFrame: (fadeCpu * 1000) / Math.max(1, fadeWrites),
    idleCpuMsPer10s,
    idleBlinkCpuMsPer10s,
  };
}

runAsWorker(import.meta.url, () => frameWorker(Number(process.argv[2] ?? 10)));
