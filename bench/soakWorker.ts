// The podglow side of the soak, in its own process so its memory is podglow's alone:
// `node --expose-gc dist/bench/soakWorker.js URL POLLS` polls a real Prometheus back to back
// through the real controller, outputs, effects and HTTP server, samples memory, handles and
// listeners, and prints one JSON object (SoakWorkerResult) on stdout. A third argument,
// LEAK_BYTES, makes the worker retain that many bytes of heap per poll: the soak test uses it
// to show that its bound catches a leak of that size.
import { startPodglow } from '../src/app.js';
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { Metrics } from '../src/metrics.js';
import { BENCH_OUTPUTS, CountingDriver, runAsWorker } from './worker.js';

/** One sample taken every `sampleEvery` polls. */
export interface SoakSample {
  poll: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Counts of process.getActiveResourcesInfo() by type (timers, sockets, ...). */
  resources: Record<string, number>;
  /** Sum of listener counts on `process` over every event. */
  processListeners: number;
}

/** What the worker reports. */
export interface SoakWorkerResult {
  polls: number;
  successes: number;
  failures: number;
  seconds: number;
  /** CPU seconds (user + system) of the podglow process over the polls. */
  cpuSeconds: number;
  framesWritten: number;
  /** Whether samples were taken after a forced GC (node --expose-gc). */
  gc: boolean;
  /** Bytes retained on purpose (LEAK_BYTES × polls), 0 normally. */
  leakedBytes: number;
  warnings: string[];
  samples: SoakSample[];
}

function resourceCounts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

function processListeners(): number {
  return process.eventNames().reduce((n, e) => n + process.listenerCount(e), 0);
}

/**
 * Polls `url` `polls` times back to back with controller.pollNow() (the 1 s schedule runs
 * beside it and skips while a poll is in flight), scrapes /metrics and /api/state every 200
 * polls, and samples every `sampleEvery` polls.
 */
export async function soakWorker(url: string, polls: number, sampleEvery = 100, leakBytesPerPoll = 0): Promise<SoakWorkerResult> {
  // The deliberate leak (only when asked for): arrays of 8-byte elements kept alive for the whole
  // run (not strings: V8 may share the padding of padded strings).
  const leaked: number[][] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  const warnings: string[] = [];
  process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
  const config = parseConfig(
    {
      source: 'prometheus',
      prometheus: { url, timeout: '5s', matchers: ['job="kube-state-metrics"'] },
      interval: '1s',
      staleAfter: '10s',
      server: { enabled: true, address: '127.0.0.1', port: 0 },
      outputs: BENCH_OUTPUTS,
    },
    { env: {} },
  );
  const drivers: CountingDriver[] = [];
  const metrics = new Metrics();
  const app = await startPodglow(config, {
    log: silentLogger,
    metrics,
    createDriver: async (o) => {
      const hat = o.type === 'unicornhat';
      const d = new CountingDriver(hat ? 0.5 : 1, hat);
      drivers.push(d);
      return d;
    },
  });
  const samples: SoakSample[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let cpu: NodeJS.CpuUsage;
  let seconds: number;
  try {
    for (let i = 1; i <= polls; i++) {
      await app.controller.pollNow();
      if (leakBytesPerPoll > 0) leaked.push(new Array<number>(Math.ceil(leakBytesPerPoll / 8)).fill(i));
      if (i % 200 === 0) {
        await (await fetch(new URL('metrics', app.url))).text();
        await (await fetch(new URL('api/state', app.url))).json();
      }
      if (i % sampleEvery === 0) {
        gc?.();
        const mem = process.memoryUsage();
        samples.push({
          poll: i,
          rssBytes: mem.rss,
          heapUsedBytes: mem.heapUsed,
          resources: resourceCounts(),
          processListeners: processListeners(),
        });
      }
    }
    cpu = process.cpuUsage(cpu0);
    seconds = (performance.now() - t0) / 1000;
  } finally {
    await app.stop();
  }
  const values = (await metrics.polls.get()).values;
  const count = (result: string) => values.find((v) => v.labels.result === result)?.value ?? 0;
  return {
    polls,
    successes: count('success'),
    failures: count('failure'),
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    framesWritten: drivers.reduce((n, d) => n + d.writes, 0),
    gc: gc !== undefined,
    leakedBytes: leaked.reduce((n, x) => n + x.length * 8, 0),
    warnings,
    samples,
  };
}

runAsWorker(import.meta.url, async () => {
  const [url, polls, leak] = process.argv.slice(2);
  if (!url || !polls) {
    console.error('usage: soakWorker URL POLLS [LEAK_BYTES]');
    process.exit(2);
  }
  return soakWorker(url, Number(polls), 100, Number(leak ?? 0));
});
