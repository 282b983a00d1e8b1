// The soak: many polls against a real Prometheus through the real controller, outputs,
// effects and HTTP server, watching memory, handles, timers and listeners. This process runs
// the kube-state-metrics fixture (its scenario flips every 2 s, so frames change and fades run)
// and Prometheus; podglow runs in a child process (bench/soakWorker.ts) so its memory is its
// own. Polls are driven back to back (controller.pollNow()): 10,000 polls at the 1 s cron
// minimum would take hours. `npm run soak` runs 10,000 polls on the built code and prints JSON.
// `source: 'canned'` swaps the fixture and Prometheus for an in-process server answering the
// same two clusters' query results (what Prometheus would compute), so the podglow side is
// soaked without Prometheus' start-up and per-poll PromQL cost: that is the short soak in
// `npm test`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { SoakSample, SoakWorkerResult } from '../../bench/soakWorker.js';
import { expectedCounts, generateCluster, startKsmFixture, type KsmCluster } from '../helpers/ksmFixture.js';
import { startPrometheus } from '../helpers/prometheus.js';
import { startCanned, vector } from '../helpers/cannedPrometheus.js';
import type { QueryName } from '../../src/source/promql.js';
import { POD_STATES } from '../../src/states.js';

/** What a soak run measured, with the figures derived from the worker's samples. */
export interface SoakResult extends Omit<SoakWorkerResult, 'samples'> {
  /** How the worker ran: the compiled dist/ or TypeScript through tsx (whose loader adds memory). */
  runtime: 'dist' | 'tsx';
  /** What answered the queries: a real Prometheus over the fixture, or canned answers in process. */
  source: 'prometheus' | 'canned';
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
export function summarize(
  w: SoakWorkerResult,
  runtime: SoakResult['runtime'],
  source: SoakResult['source'] = 'prometheus',
): SoakResult {
  const { samples } = w;
  if (samples.length < 4) throw new Error('too few samples');
  const second = samples.slice(Math.floor(samples.length / 2));
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const first = samples[0]!;
  const last = samples.at(-1)!;
  return {
    ...w,
    runtime,
    source,
    pollsPerSecond: w.polls / w.seconds,
    cpuMsPerPoll: (w.cpuSeconds * 1000) / w.polls,
    rssSlopeBytesPer1000Polls:
      slope(
        second.map((s) => s.poll),
        second.map((s) => s.rssBytes),
      ) * 1000,
    heapSlopeBytesPer1000Polls:
      slope(
        second.map((s) => s.poll),
        second.map((s) => s.heapUsedBytes),
      ) * 1000,
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

/** The answers Prometheus gives podglow's four queries for a fixture cluster (SPEC §3 shapes). */
export function cannedAnswers(cluster: KsmCluster): Record<QueryName, string> {
  const { nodes, unscheduled } = expectedCounts(cluster);
  const pods: { metric: Record<string, string>; value: number }[] = [];
  for (const [node, counts] of nodes)
    for (const st of POD_STATES) if (counts[st]) pods.push({ metric: { node, state: st }, value: counts[st] });
  for (const st of POD_STATES) if (unscheduled[st]) pods.push({ metric: { state: st }, value: unscheduled[st] });
  return {
    nodes: vector(cluster.nodes.map((n) => ({ metric: { node: n.name }, value: 1 }))),
    ready: vector(
      cluster.nodes.map((n) => ({ metric: { node: n.name, status: n.ready === false ? 'false' : 'true' }, value: 1 })),
    ),
    unschedulable: vector(cluster.nodes.filter((n) => n.unschedulable).map((n) => ({ metric: { node: n.name }, value: 1 }))),
    pods: vector(pods),
    // No firing alerts and no node conditions in the soak cluster.
    alerts: vector([]),
    conditions: vector([]),
  };
}

/** Where the worker's queries go while it runs, and how the answers flip between the two clusters. */
interface SoakBackend {
  url: string;
  flip(i: number): void;
  stop(): Promise<void>;
}

async function prometheusBackend(clusters: KsmCluster[]): Promise<SoakBackend> {
  const fixture = await startKsmFixture({ cluster: clusters[0]!, replicas: 2 });
  try {
    const prom = await startPrometheus({ jobs: [{ job: 'kube-state-metrics', targets: fixture.targets }] });
    await prom.waitForGeneration(fixture.generation);
    return {
      url: prom.url,
      flip: (i) => fixture.set(clusters[i % 2]!),
      stop: async () => {
        await prom.stop();
        await fixture.close();
      },
    };
  } catch (e) {
    await fixture.close();
    throw e;
  }
}

async function cannedBackend(clusters: KsmCluster[]): Promise<SoakBackend> {
  const answers = clusters.map(cannedAnswers);
  let current = answers[0]!;
  const server = await startCanned((r) => {
    // Keep the server's own request log from growing for the whole run.
    server.requests.length = 0;
    return { body: r.query === 'other' ? vector([]) : current[r.query] };
  });
  return { url: server.url, flip: (i) => (current = answers[i % 2]!), stop: () => server.close() };
}

/**
 * Runs the soak: the backend (fixture + Prometheus, or canned answers) here, `polls` polls in
 * a podglow child process; `leakBytesPerPoll` makes the worker leak on purpose.
 */
export async function runSoak(opts: {
  polls: number;
  runtime?: SoakResult['runtime'];
  source?: SoakResult['source'];
  leakBytesPerPoll?: number;
  timeoutMs?: number;
}): Promise<SoakResult> {
  const runtime = opts.runtime ?? 'tsx';
  const source = opts.source ?? 'prometheus';
  if (runtime === 'dist' && !existsSync('dist/bench/soakWorker.js'))
    throw new Error('dist/bench/soakWorker.js is missing: run npm run build:bench');
  const clusters = [
    generateCluster({ nodes: 20, podsPerNode: 10, seed: 1 }),
    generateCluster({ nodes: 20, podsPerNode: 10, seed: 2 }),
  ];
  const backend = source === 'canned' ? await cannedBackend(clusters) : await prometheusBackend(clusters);
  let flip: NodeJS.Timeout | undefined;
  try {
    let flips = 0;
    flip = setInterval(() => backend.flip(++flips), 2000);
    const workerArgs = [backend.url, String(opts.polls), String(opts.leakBytesPerPoll ?? 0)];
    const args =
      runtime === 'dist'
        ? ['--expose-gc', 'dist/bench/soakWorker.js', ...workerArgs]
        : ['--expose-gc', '--import', 'tsx', 'bench/soakWorker.ts', ...workerArgs];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(killer);
    if (code !== 0)
      throw new Error(`soak worker exited ${code}${code === null ? ` (killed after ${timeoutMs} ms)` : ''}: ${stderr}`);
    return summarize(JSON.parse(stdout) as SoakWorkerResult, runtime, source);
  } finally {
    clearInterval(flip);
    await backend.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      polls: { type: 'string', default: '10000' },
      tsx: { type: 'boolean', default: false },
      samples: { type: 'boolean', default: false },
      // canned: the in-process answers of the short soak in npm test, instead of Prometheus.
      canned: { type: 'boolean', default: false },
      'leak-bytes': { type: 'string', default: '0' },
    },
  });
  const polls = Number(values.polls);
  if (!Number.isInteger(polls) || polls < 400) throw new Error('--polls must be an integer ≥ 400');
  const r = await runSoak({
    polls,
    runtime: values.tsx ? 'tsx' : 'dist',
    source: values.canned ? 'canned' : 'prometheus',
    leakBytesPerPoll: Number(values['leak-bytes']),
  });
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
