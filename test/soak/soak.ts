// The soak: many polls against a real Prometheus through the real controller, outputs,
// effects and HTTP server, watching memory, handles, timers and listeners. This process runs
// the kube-state-metrics fixture (its scenario flips every 2 s, so frames change and fades run)
// and Prometheus; podglow runs in a child process (bench/soakWorker.ts) so its memory is its
// own. Polls are driven back to back (controller.pollNow()): 10,000 polls at the 1 s cron
// minimum would take hours. `npm run soak` runs 10,000 polls on the built code and prints JSON.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { SoakSample, SoakWorkerResult } from '../../bench/soakWorker.js';
import { generateCluster, startKsmFixture } from '../helpers/ksmFixture.js';
import { startPrometheus } from '../helpers/prometheus.js';

/** What a soak run measured, with the figures derived from the worker's samples. */
export interface SoakResult extends Omit<SoakWorkerResult, 'samples'> {
  /** How the worker ran: the compiled dist/ or TypeScript through tsx (whose loader adds memory). */
  runtime: 'dist' | 'tsx';
  pollsPerSecond: number;
  cpuMsPerPoll: number;
  /** Least-squares slope of RSS over the second half of the run, bytes per 1,000 polls. */
  rssSlopeBytesPer1000Polls: number;
  /** Same for the V8 heap used after a forced GC. */
  heapSlopeBytesPer1000Polls: number;
  rssFirstMiB: number;
  rssLastMiB: number;
  rssMaxMiB: number;
  heapLastMiB: number;
  /** Active resources by type after the first sample and at the end. */
  resourcesFirst: Record<string, number>;
  resourcesLast: Record<string, number>;
  /** Highest count of each resource type in the first and in the last quarter of the run. */
  resourcesMaxFirstQuarter: Record<string, number>;
  resourcesMaxLastQuarter: Record<string, number>;
  processListenersFirst: number;
  processListenersLast: number;
  samples: SoakSample[];
}

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function maxCounts(samples: readonly SoakSample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) for (const [k, v] of Object.entries(s.resources)) out[k] = Math.max(out[k] ?? 0, v);
  return out;
}

const MiB = 1024 * 1024;

/** Derives slopes and extremes from a worker's samples. */
export function summarize(w: SoakWorkerResult, runtime: SoakResult['runtime']): SoakResult {
  const { samples } = w;
  if (samples.length < 4) throw new Error('too few samples');
  const second = samples.slice(Math.floor(samples.length / 2));
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const first = samples[0]!;
  const last = samples.at(-1)!;
  return {
    ...w,
    runtime,
    pollsPerSecond: w.polls / w.seconds,
    cpuMsPerPoll: (w.cpuSeconds * 1000) / w.polls,
    rssSlopeBytesPer1000Polls: slope(second.map((s) => s.poll), second.map((s) => s.rssBytes)) * 1000,
    heapSlopeBytesPer1000Polls: slope(second.map((s) => s.poll), second.map((s) => s.heapUsedBytes)) * 1000,
    rssFirstMiB: first.rssBytes / MiB,
    rssLastMiB: last.rssBytes / MiB,
    rssMaxMiB: Math.max(...samples.map((s) => s.rssBytes)) / MiB,
    heapLastMiB: last.heapUsedBytes / MiB,
    resourcesFirst: first.resources,
    resourcesLast: last.resources,
    resourcesMaxFirstQuarter: maxCounts(samples.slice(0, quarter)),
    resourcesMaxLastQuarter: maxCounts(samples.slice(-quarter)),
    processListenersFirst: first.processListeners,
    processListenersLast: last.processListeners,
  };
}

/** Runs the soak: fixture + Prometheus here, `polls` polls in a podglow child process. */
export async function runSoak(opts: { polls: number; runtime?: SoakResult['runtime']; timeoutMs?: number }): Promise<SoakResult> {
  const runtime = opts.runtime ?? 'tsx';
  if (runtime === 'dist' && !existsSync('dist/bench/soakWorker.js')) throw new Error('dist/bench/soakWorker.js is missing: run npm run build');
  const clusters = [generateCluster({ nodes: 20, podsPerNode: 10, seed: 1 }), generateCluster({ nodes: 20, podsPerNode: 10, seed: 2 })];
  const fixture = await startKsmFixture({ cluster: clusters[0]!, replicas: 2 });
  let prom: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  let flip: NodeJS.Timeout | undefined;
  try {
    prom = await startPrometheus({ jobs: [{ job: 'kube-state-metrics', targets: fixture.targets }] });
    await prom.waitForGeneration(fixture.generation);
    let flips = 0;
    flip = setInterval(() => fixture.set(clusters[++flips % 2]!), 2000);
    const args =
      runtime === 'dist'
        ? ['--expose-gc', 'dist/bench/soakWorker.js', prom.url, String(opts.polls)]
        : ['--expose-gc', '--import', 'tsx', 'bench/soakWorker.ts', prom.url, String(opts.polls)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(killer);
    if (code !== 0) throw new Error(`soak worker exited ${code}${code === null ? ` (killed after ${timeoutMs} ms)` : ''}: ${stderr}`);
    return summarize(JSON.parse(stdout) as SoakWorkerResult, runtime);
  } finally {
    clearInterval(flip);
    await prom?.stop();
    await fixture.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { polls: { type: 'string', default: '10000' }, tsx: { type: 'boolean', default: false }, samples: { type: 'boolean', default: false } },
  });
  const polls = Number(values.polls);
  if (!Number.isInteger(polls) || polls < 400) throw new Error('--polls must be an integer ≥ 400');
  const r = await runSoak({ polls, runtime: values.tsx ? 'tsx' : 'dist' });
  const { samples, ...summary } = r;
  console.log(JSON.stringify(values.samples ? r : summary, null, 2));
  void samples;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
