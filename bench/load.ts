// `npm run bench:load` (issue 20): a real `podglow run` (built CLI, demo source polled every
// second, two web outputs, as bench/flood.ts starts it) under load for 30 minutes: /metrics
// scraped and /healthz probed every second, event stream clients connecting, idling and
// leaving in waves, a flood of event stream connections every five minutes and slow-header
// clients throughout, all on 127.0.0.1. Reports the RSS and heap trend (least-squares slope
// per hour over the second half), the peak RSS, /healthz p99 and the longest gap between
// good polls. `--minutes N` runs shorter; test/soak/load.test.ts runs a short variant in `npm test`.
import { connect, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { slope } from '../test/soak/soak.js';
import {
  flood,
  heapOf,
  liveHeapMiB,
  memoryOf,
  percentile,
  resetPeak,
  scraper,
  shebangFlags,
  slowClients,
  startPodglowChild,
} from './flood.js';
import { exitAfter } from './worker.js';

/** Settings of one load run; every duration in seconds. */
export interface LoadOptions {
  cli?: string;
  nodeArgs?: string[];
  seconds?: number;
  /** Also measure the live heap at the end (after a full GC, via a heap snapshot; it stops podglow for a moment). */
  liveHeap?: boolean;
  /** Seconds between floods (default 300). */
  floodEvery?: number;
  floodSize?: number;
  /** Slow-header clients kept up throughout (default 100). */
  slow?: number;
  /** Event stream clients per wave (default 40); a wave connects, idles `waveIdle` s, leaves. */
  waveSize?: number;
  waveIdle?: number;
}

/** What a load run measured. */
export interface LoadResult {
  seconds: number;
  floods: number;
  steadyMiB: number;
  peakMiB: number;
  lastMiB: number;
  /** Least-squares slope over the second half of the run, MiB per hour. */
  rssSlopeMiBPerHour: number;
  heapSlopeMiBPerHour: number;
  /** Lowest heap used sampled in the warm-up (before any flood), MiB: the closest to its live heap without a forced GC. */
  steadyHeapMinMiB: number;
  /** With `liveHeap`: heap used after a full GC at the end, MiB. */
  liveHeapEndMiB?: number;
  /** Its growth over steadyHeapMinMiB per hour: the trend without the garbage between major GCs. */
  liveHeapSlopeMiBPerHour?: number;
  healthzP99Ms: number;
  healthzProbes: number;
  /** Longest time between two good polls seen by the scrapes (podglow_last_successful_poll_timestamp_seconds), s. */
  maxPollGapSeconds: number;
  scrapeFailures: number;
  warnings: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One wave of `n` event stream clients that read what they are sent, for `idleMs`, then leave. */
async function wave(url: string, n: number, idleMs: number): Promise<void> {
  const u = new URL(url);
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = connect(Number(u.port), u.hostname);
    s.on('connect', () => s.write('GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    sockets.push(s);
  }
  await sleep(idleMs);
  for (const s of sockets) s.destroy();
}

/** Runs the load and returns its figures. */
export async function loadBench(opts: LoadOptions = {}): Promise<LoadResult> {
  const seconds = opts.seconds ?? 1800;
  const floodEvery = (opts.floodEvery ?? 300) * 1000;
  const cli = opts.cli ?? 'dist/src/cli.js';
  const nodeArgs = [...(opts.nodeArgs ?? shebangFlags(cli)), ...(opts.liveHeap ? ['--heapsnapshot-signal=SIGUSR2'] : [])];
  const p = await startPodglowChild({ cli, nodeArgs });
  const scrapes = scraper(p.url);
  const samples: { t: number; rss: number; heap: number }[] = [];
  let lastGood = NaN;
  let lastGoodSeenAt = performance.now();
  let maxGap = 0;
  const t0 = performance.now();
  const sampler = setInterval(() => {
    const body = scrapes.last();
    const good = Number(/^podglow_last_successful_poll_timestamp_seconds (\S+)/m.exec(body)?.[1] ?? NaN);
    if (good !== lastGood && Number.isFinite(good)) {
      if (Number.isFinite(lastGood)) maxGap = Math.max(maxGap, good - lastGood);
      lastGood = good;
      lastGoodSeenAt = performance.now();
    }
    // A wedged loop shows as no new good poll at all: count the time since the last one too.
    if (Number.isFinite(lastGood)) maxGap = Math.max(maxGap, (performance.now() - lastGoodSeenAt) / 1000 - 1);
    samples.push({ t: (performance.now() - t0) / 1000, rss: memoryOf(p.pid).rssMiB, heap: heapOf(body).heapUsedMiB });
  }, 1000);
  const stopSlow = slowClients(p.url, opts.slow ?? 100);
  let floods = 0;
  const waves = (async () => {
    while (performance.now() - t0 < seconds * 1000) {
      await wave(p.url, opts.waveSize ?? 40, (opts.waveIdle ?? 20) * 1000);
      await sleep(5000);
    }
  })();
  try {
    // Warm-up, then the steady RSS before the first flood.
    await sleep(Math.min(20_000, seconds * 200));
    const steadyMiB = percentile(
      samples.slice(-10).map((s) => s.rss),
      50,
    );
    const steadyHeapMinMiB = Math.min(...samples.map((s) => s.heap).filter(Number.isFinite));
    const tSteady = performance.now();
    resetPeak(p.pid);
    let nextFlood = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      if (performance.now() >= nextFlood) {
        await flood(p.url, opts.floodSize ?? 2000, 3000);
        floods++;
        nextFlood += floodEvery;
      }
      await sleep(250);
    }
    await waves;
    const peakMiB = memoryOf(p.pid).hwmMiB;
    const lastMiB = samples.at(-1)!.rss;
    // Last: the snapshot's own memory would count in the RSS and the peak.
    const liveEnd = opts.liveHeap ? await liveHeapMiB(p, scrapes.last) : undefined;
    const second = samples.filter((s) => s.t >= samples.at(-1)!.t / 2);
    const perHour = (ys: number[]): number =>
      slope(
        second.map((s) => s.t / 3600),
        ys,
      );
    return {
      seconds: (performance.now() - t0) / 1000,
      floods,
      steadyMiB,
      peakMiB,
      lastMiB,
      rssSlopeMiBPerHour: perHour(second.map((s) => s.rss)),
      heapSlopeMiBPerHour: perHour(second.filter((s) => Number.isFinite(s.heap)).map((s) => s.heap)),
      steadyHeapMinMiB,
      liveHeapEndMiB: liveEnd,
      liveHeapSlopeMiBPerHour:
        liveEnd === undefined ? undefined : (liveEnd - steadyHeapMinMiB) / ((performance.now() - tSteady) / 3_600_000),
      healthzP99Ms: percentile(scrapes.healthzMs, 99),
      healthzProbes: scrapes.healthzMs.length,
      maxPollGapSeconds: maxGap,
      scrapeFailures: scrapes.failures(),
      warnings: p.warnings.filter((w) => !w.includes('dropping a slow /api/events client')),
    };
  } finally {
    clearInterval(sampler);
    stopSlow();
    scrapes.stop();
    await p.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '30' },
      'flood-every': { type: 'string', default: '300' },
      slow: { type: 'string', default: '100' },
      cli: { type: 'string' },
      'live-heap': { type: 'boolean', default: true },
    },
  });
  exitAfter(
    loadBench({
      liveHeap: values['live-heap'],
      seconds: Number(values.minutes) * 60,
      floodEvery: Number(values['flood-every']),
      slow: Number(values.slow),
      cli: values.cli,
    }),
    (r) => console.log(JSON.stringify(r, null, 1)),
  );
}
