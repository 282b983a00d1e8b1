// `npm run bench`: podglow's per-poll cost against a real Prometheus scraping synthetic
// kube-state-metrics data at 10 / 100 / 1,000 / 5,000 nodes × 30 pods, side by side with the
// original monitor's `kubectl get pod -o json | jq` approach on the same clusters, plus the
// frame pipeline and idle costs, start-up (bench/startup.ts), and the same polls reading a recording rule instead
// (prometheus.recordingRule). Prints a table and writes bench/results.md.
// `npm run bench -- --nodes 10,100` measures only some sizes (add --out to keep results.md).
// The orchestration (fixture, Prometheus, jq) runs here under tsx; podglow itself runs from
// the build (dist/bench/*Worker.js) in child processes so CPU and RSS are podglow's alone.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateCluster, startKsmFixture, type KsmCluster, type KsmFixture } from '../test/helpers/ksmFixture.js';
import { preparePrometheus, type PrometheusProcess } from '../test/faults/prometheusProcess.js';
import type { BlinktWorkerResult } from './blinktWorker.js';
import type { FrameWorkerResult } from './frameWorker.js';
import { makePodList, measureJqPoll } from './podList.js';
import { buildRecordingRules } from '../src/source/promql.js';
import { startExtrasExposition } from './extrasExposition.js';
import { benchConfig, type PollWorkerResult } from './pollWorker.js';
import { measureStartup, startupMarkdown } from './startup.js';
import { clustersMarkdown, measureClusters } from './clusters.js';
import type { ClustersWorkerResult } from './clustersWorker.js';

const log = (s: string) => process.stderr.write(`${s}\n`);

/** Runs a compiled worker and parses the JSON it prints. */
async function worker<T>(script: string, args: string[], timeoutMs = 300_000): Promise<T> {
  const path = `dist/bench/${script}`;
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build first`);
  const child = spawn(process.execPath, [path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${script} exited ${code}: ${err}`);
  return JSON.parse(out) as T;
}

/** The same cluster with every pod twice (same nodes, same states per node, twice the pods). */
function doubled(c: KsmCluster): KsmCluster {
  return { nodes: c.nodes, pods: c.pods.flatMap((p) => [p, { ...p, name: `${p.name}-b` }]) };
}

interface SizeResult {
  nodes: number;
  podsPerNode: number;
  pods: number;
  scrapeBytes: number;
  ingestSeconds: number;
  prometheusRssMiB: number;
  poll: PollWorkerResult;
  /** RSS of the real `podglow run` after a run of 1 s polls (MiB). */
  runRssMiB: number;
  /** The same clusters at 60 pods per node (every pod twice). */
  poll60?: PollWorkerResult;
  /** The same polls reading the recording rule (evaluated in the background meanwhile). */
  recorded: RecordedResult;
  podList?: { bytes: number; jqCpuSeconds: number; extrapolated: boolean };
}

/** The recorded path at one size. */
interface RecordedResult {
  poll: PollWorkerResult;
  /** Rule evaluation interval (s). */
  intervalSeconds: number;
  /** Rule group evaluation times seen in /api/v1/rules during the polls (s). */
  evaluationSeconds: number[];
  /** From the reload to the first recorded series (s). */
  firstSeriesSeconds: number;
  prometheusRssMiB: number;
}

/** The name the benchmark records the pod counts under. */
const RULE = 'podglow:pods:count';

interface RuleGroupStatus {
  name: string;
  evaluationTime: number;
  lastEvaluation: string;
  rules: { health: string; lastError?: string }[];
}

async function ruleGroups(url: string): Promise<RuleGroupStatus[]> {
  const r = await fetch(`${url}/api/v1/rules`);
  return ((await r.json()) as { data: { groups: RuleGroupStatus[] } }).data.groups;
}

function prometheusRssMiB(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Starts a fixture per job and a Prometheus scraping them; waits until every target's data is in. */
async function cluster(
  jobs: { job: string; cluster: KsmCluster }[],
  scrapeInterval: string,
  opts: { allPhases: boolean; ruleFile: string; evaluationInterval: string; extraJobs?: { job: string; targets: string[] }[] },
): Promise<{ prom: PrometheusProcess; fixtures: KsmFixture[]; ingestSeconds: number; scrapeBytes: number }> {
  const fixtures: KsmFixture[] = [];
  for (const j of jobs) {
    // Five 0/1 phase rows per pod as KSM v2 exports them (--phases one: only the active row).
    fixtures.push(await startKsmFixture({ cluster: j.cluster, render: { allPhases: opts.allPhases, metadata: true } }));
  }
  const scrapeBytes = Buffer.byteLength(fixtures[0]!.text());
  // The rule file starts empty so the direct polls run without rule evaluations competing;
  // measureRecorded fills it and reloads Prometheus (SIGHUP).
  writeFileSync(opts.ruleFile, 'groups: []\n');
  const prom = await preparePrometheus({
    jobs: [...jobs.map((j, i) => ({ job: j.job, targets: fixtures[i]!.targets })), ...(opts.extraJobs ?? [])],
    scrapeInterval,
    ruleFiles: [opts.ruleFile],
    evaluationInterval: opts.evaluationInterval,
  });
  const t0 = Date.now();
  await prom.start();
  await prom.waitForValue('count(ksm_fixture_generation)', jobs.length, 240_000);
  for (const j of jobs) {
    const pods = j.cluster.pods.length;
    await prom.waitForValue(`count(kube_pod_info{job="${j.job}"})`, pods, 240_000);
  }
  return { prom, fixtures, ingestSeconds: (Date.now() - t0) / 1000, scrapeBytes };
}

/**
 * RSS of the real `podglow run` (built, 1 s polls, Unicorn HAT-sized web output plus a nodes
 * strip, HTTP server) after `polls` good polls, from its own process_resident_memory_bytes.
 */
async function runRss(url: string, job: string, polls: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'podglow-bench-'));
  const config = join(dir, 'podglow.yaml');
  writeFileSync(
    config,
    [
      `prometheus: { url: "${url}", timeout: 30s, matchers: ['job="${job}"'] }`,
      'interval: 1s',
      'staleAfter: 60s',
      'outputs: [ { name: hat, type: web, width: 8, height: 8, layout: { type: matrix } }, { name: strip, type: web, width: 32, height: 1, layout: { type: nodes } } ]',
      'server: { enabled: true, address: 127.0.0.1, port: 0 }',
      'log: { level: info, format: json }',
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['dist/src/cli.js', 'run', '--config', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PODGLOW_CONFIG: '', PODGLOW_PROMETHEUS_URL: '' },
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    const deadline = Date.now() + 120_000;
    let base: string | undefined;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`podglow run exited: ${err.slice(-1000)}`);
      const line = err.split('\n').find((l) => l.includes('"msg":"podglow running"'));
      base ??= line ? (JSON.parse(line) as { url: string }).url : undefined;
      if (base) {
        const body = await (await fetch(new URL('metrics', base))).text();
        const ok = Number(/^podglow_polls_total\{result="success"\} (\S+)/m.exec(body)?.[1] ?? 0);
        if (ok >= polls) return Number(/^process_resident_memory_bytes (\S+)/m.exec(body)![1]) / 1048576;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error('podglow run did not complete its polls in time');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

function pollsFor(nodes: number): number {
  return nodes >= 5000 ? 10 : nodes >= 1000 ? 30 : 60;
}

/**
 * Loads the recording rule for the ksm-30 job into the running Prometheus, waits for its
 * first evaluation, then measures podglow's polls reading it while Prometheus keeps
 * evaluating it every `intervalSeconds`; checks the counts equal the direct poll's.
 */
async function measureRecorded(
  prom: PrometheusProcess,
  ruleFile: string,
  nodes: number,
  intervalSeconds: number,
  direct: PollWorkerResult,
): Promise<RecordedResult> {
  writeFileSync(ruleFile, JSON.stringify(buildRecordingRules(benchConfig(prom.url, 'ksm-30', RULE))));
  const reloaded = Date.now();
  process.kill(prom.pid()!, 'SIGHUP');
  const deadline = Date.now() + 180_000;
  for (;;) {
    const groups = await ruleGroups(prom.url);
    const bad = groups.flatMap((g) => g.rules.filter((r) => r.health === 'err').map((r) => r.lastError));
    if (bad.length) throw new Error(`recording rule failed: ${bad.join('; ')}`);
    if (groups.length === 1 && Date.parse(groups[0]!.lastEvaluation) > reloaded) break;
    if (Date.now() > deadline) throw new Error('the recording rule was not evaluated within 180 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  // The presence marker plus the real counts: more than one series.
  const recordedSeries = Number((await prom.query(`count(${RULE})`))[0]?.value[1] ?? 0);
  if (recordedSeries < 2) throw new Error(`${RULE} has ${recordedSeries} series after its first evaluation`);
  const firstSeriesSeconds = (Date.now() - reloaded) / 1000;
  log(`${nodes} nodes: recording rule evaluated (${firstSeriesSeconds.toFixed(1)} s after the reload); polling it`);
  const seen = new Map<string, number>();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      for (const g of await ruleGroups(prom.url).catch(() => [])) seen.set(g.lastEvaluation, g.evaluationTime);
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  let poll: PollWorkerResult;
  try {
    // Enough polls to span at least one rule evaluation at the larger sizes, so p95 includes polls that overlap one.
    poll = await worker<PollWorkerResult>('pollWorker.js', [prom.url, 'ksm-30', String(nodes >= 1000 ? 300 : 200), RULE]);
  } finally {
    sampling = false;
    await sampler;
  }
  if (poll.pods !== direct.pods || poll.nodes !== direct.nodes) {
    throw new Error(
      `recorded read disagrees with the direct query: ${poll.pods} pods on ${poll.nodes} nodes vs ${direct.pods} on ${direct.nodes}`,
    );
  }
  return {
    poll,
    intervalSeconds,
    evaluationSeconds: [...seen.values()],
    firstSeriesSeconds,
    prometheusRssMiB: prometheusRssMiB(prom.pid()),
  };
}

async function measureSize(nodes: number, opts: { with60: boolean; podList: boolean; allPhases: boolean }): Promise<SizeResult> {
  const c30 = generateCluster({ nodes, podsPerNode: 30 });
  const jobs = [{ job: 'ksm-30', cluster: c30 }];
  if (opts.with60) jobs.push({ job: 'ksm-60', cluster: doubled(c30) });
  log(`${nodes} nodes: starting the fixture and Prometheus (${jobs.map((j) => `${j.cluster.pods.length} pods`).join(' + ')})`);
  const intervalSeconds = nodes >= 5000 ? 20 : nodes >= 1000 ? 10 : 5;
  // The rule's interval must exceed its evaluation time (Prometheus skips iterations
  // otherwise): at 150,000 pods the evaluation takes tens of seconds here.
  const evaluationSeconds = nodes >= 5000 ? 60 : intervalSeconds;
  const ruleDir = mkdtempSync(join(tmpdir(), 'podglow-bench-rules-'));
  const ruleFile = join(ruleDir, 'podglow-rules.yml');
  // Conditions and ALERTS for the SPEC §4b extra queries, labelled as the ksm-30 job.
  const extras = await startExtrasExposition(nodes, 'ksm-30');
  const { prom, fixtures, ingestSeconds, scrapeBytes } = await cluster(jobs, `${intervalSeconds}s`, {
    allPhases: opts.allPhases,
    ruleFile,
    evaluationInterval: `${evaluationSeconds}s`,
    extraJobs: [{ job: 'extras', targets: [extras.target] }],
  });
  try {
    await prom.waitForValue('count(ALERTS{alertstate="firing"})', 1 + Math.floor(nodes / 10), 240_000);
    log(`${nodes} nodes: ingested in ${ingestSeconds.toFixed(1)} s; polling`);
    const poll = await worker<PollWorkerResult>('pollWorker.js', [prom.url, 'ksm-30', String(pollsFor(nodes))]);
    const poll60 = opts.with60
      ? await worker<PollWorkerResult>('pollWorker.js', [prom.url, 'ksm-60', String(pollsFor(nodes))])
      : undefined;
    const promRss = prometheusRssMiB(prom.pid());
    const runRssMiB = await runRss(prom.url, 'ksm-30', nodes >= 5000 ? 5 : 15);
    const recorded = await measureRecorded(prom, ruleFile, nodes, evaluationSeconds, poll);
    let podList: SizeResult['podList'];
    if (opts.podList) {
      log(`${nodes} nodes: PodList + jq`);
      const json = makePodList(nodes, 30);
      const m = measureJqPoll(json);
      if (m.nodesOut !== nodes) throw new Error(`jq grouped ${m.nodesOut} nodes, expected ${nodes}`);
      podList = { bytes: m.bytes, jqCpuSeconds: m.jqCpuSeconds, extrapolated: false };
    }
    return {
      nodes,
      podsPerNode: 30,
      pods: c30.pods.length,
      scrapeBytes,
      ingestSeconds,
      prometheusRssMiB: promRss,
      poll,
      runRssMiB,
      poll60,
      podList,
      recorded,
    };
  } finally {
    await prom.dispose();
    for (const f of fixtures) await f.close();
    await extras.close();
    rmSync(ruleDir, { recursive: true, force: true });
  }
}

const kB = (b: number) => (b >= 1024 * 1024 ? `${(b / 1048576).toFixed(1)} MB` : `${(b / 1024).toFixed(1)} kB`);
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));
const ok = (pass: boolean) => (pass ? 'yes' : '**no**');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      // --nodes is the same as --sizes: which cluster sizes to measure.
      sizes: { type: 'string' },
      nodes: { type: 'string' },
      'jq-max': { type: 'string', default: '1000' },
      idle: { type: 'string', default: '10' },
      // one: only the active kube_pod_status_phase row per pod (less Prometheus memory).
      phases: { type: 'string', default: 'all' },
      // Default: bench/results.md for a full run; a run of some sizes only prints unless --out is given.
      out: { type: 'string' },
      // clusters: only the several-clusters section (bench/clusters.ts).
      only: { type: 'string' },
    },
  });
  const clustersWorker = (args: string[]) => worker<ClustersWorkerResult>('clustersWorker.js', args);
  if (values.only !== undefined) {
    if (values.only !== 'clusters') throw new Error(`--only: clusters, got ${values.only}`);
    const md = clustersMarkdown(await measureClusters(clustersWorker, log)).join('\n') + '\n';
    if (values.out) writeFileSync(values.out, md);
    process.stdout.write(md);
    return;
  }
  const DEFAULT_SIZES = '10,100,1000,5000';
  const sizesArg = values.nodes ?? values.sizes ?? DEFAULT_SIZES;
  const sizes = sizesArg.split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 4))
    throw new Error(`--nodes: a list of node counts ≥ 4 such as 10,100, got ${sizesArg}`);
  if (values.phases !== 'all' && values.phases !== 'one') throw new Error(`--phases: all or one, got ${values.phases}`);
  const allPhases = values.phases === 'all';
  const out = values.out ?? (sizesArg === DEFAULT_SIZES ? 'bench/results.md' : undefined);
  const promVersion =
    /version (\S+)/.exec(spawnSync('prometheus', ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? 'unknown';
  const jqMax = Number(values['jq-max']);
  const started = Date.now();
  const cpu = os.cpus();
  const machine = `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()}`;
  log(`machine: ${machine}`);

  log('frame pipeline and idle CPU');
  const frame = await worker<FrameWorkerResult>('frameWorker.js', [values.idle]);

  log('Blinkt!: GPIO writes and time per frame on the sysfs stand-in');
  const blinkt = await worker<BlinktWorkerResult>('blinktWorker.js', ['2000']);

  log('start-up: CLI commands, podglow run to first frame, steady RSS at 10 nodes');
  const startup = await measureStartup();

  const results: SizeResult[] = [];
  for (const n of sizes) results.push(await measureSize(n, { with60: n <= 1000, podList: n <= jqMax, allPhases }));
  const clusters = await measureClusters(clustersWorker, log);

  // Past jq-max the PodList is not built (150,000 pods ≈ 1 GB of JSON, over V8's string limit):
  // bytes and jq CPU grow linearly with pods, so scale the largest measured size.
  const measured = results.filter((r) => r.podList && !r.podList.extrapolated).at(-1);
  for (const r of results) {
    if (r.podList || !measured?.podList) continue;
    const k = r.pods / measured.pods;
    r.podList = { bytes: measured.podList.bytes * k, jqCpuSeconds: measured.podList.jqCpuSeconds * k, extrapolated: true };
  }

  const lines: string[] = [];
  lines.push('# podglow benchmark results', '');
  lines.push(`Machine: ${machine}  `);
  lines.push(`Date: ${new Date().toISOString()}  `);
  lines.push(
    `Prometheus: ${promVersion} (Debian); jq: Debian jq; command: \`npm run bench${sizesArg === DEFAULT_SIZES ? '' : ` -- --nodes ${sizesArg}`}\` (${((Date.now() - started) / 60000).toFixed(1)} min)  `,
  );
  lines.push(
    `kube-state-metrics fixture: ${allPhases ? 'all five kube_pod_status_phase rows per pod (0/1, as KSM v2 exports them)' : 'only the active kube_pod_status_phase row per pod (--phases one)'}`,
    '',
  );
  lines.push('## Per poll, 30 pods per node', '');
  lines.push(
    '| nodes | pods | Prometheus latency p50 / p95 (pod query alone) | with recording rule p50 / p95 (pod read alone) | bytes per poll (JSON; gzip on the wire) | podglow CPU: parse + layouts + effects | whole process CPU per poll | `podglow run` RSS | PodList + jq bytes | jq CPU per poll | bytes ratio | CPU ratio |',
  );
  lines.push('|---:|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const p = r.poll;
    const pl = r.podList;
    const star = pl?.extrapolated ? ' (extrapolated)' : '';
    lines.push(
      `| ${r.nodes.toLocaleString('en-US')} | ${r.pods.toLocaleString('en-US')} | ${ms(p.requestMsP50)} / ${ms(p.requestMsP95)} ms (${ms(p.podsQueryMsP50)} ms) | ${ms(r.recorded.poll.requestMsP50)} / ${ms(r.recorded.poll.requestMsP95)} ms (${ms(r.recorded.poll.podsQueryMsP50)} ms) | ${kB(p.bytesDecoded)} (${kB(p.bytesReceived)}) | ${ms(p.podglowCpuMsP50)} ms (${ms(p.parseMsP50)} + ${ms(p.renderMsP50)}) | ${ms(p.processCpuMsPerPoll)} ms | ${r.runRssMiB.toFixed(0)} MiB | ${pl ? kB(pl.bytes) + star : '—'} | ${pl ? `${ms(pl.jqCpuSeconds * 1000)} ms${star}` : '—'} | ${pl ? ratio(pl.bytes / p.bytesDecoded) + '×' : '—'} | ${pl ? ratio((pl.jqCpuSeconds * 1000) / p.podglowCpuMsP50) + '×' : '—'} |`,
    );
  }
  lines.push('');
  lines.push('## Extra queries: node conditions and firing alerts (SPEC §4b)', '');
  lines.push(
    'Sent concurrently with the pod queries on every poll, always directly (also with the recording rule). The fixture adds DiskPressure, PIDPressure and NetworkUnavailable rows per node (every 50th node under DiskPressure) and ALERTS series: a firing alert on every 10th node (by `instance` host:port), a pending one on others, the Watchdog.',
    '',
  );
  lines.push(
    '| nodes | conditions p50 | conditions series / JSON | alerts p50 | alerts series / JSON | whole poll p50 (direct) |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const c = r.poll.extras.conditions;
    const a = r.poll.extras.alerts;
    if (!c || !a) continue;
    lines.push(
      `| ${r.nodes.toLocaleString('en-US')} | ${ms(c.requestMsP50)} ms | ${c.series} / ${kB(c.bytesDecoded)} | ${ms(a.requestMsP50)} ms | ${a.series} / ${kB(a.bytesDecoded)} | ${ms(r.poll.requestMsP50)} ms |`,
    );
  }
  lines.push('');
  lines.push('## Recording rule (prometheus.recordingRule)', '');
  lines.push(
    "The `pods` query reads the series recorded by the rule `podglow check --rules` generates; Prometheus evaluates the rule (the direct pod query) every interval in the background, also while podglow polls. Counts checked equal to the direct poll's at every size.",
    '',
  );
  lines.push(
    '| nodes | pods | direct latency p50 / p95 | recorded latency p50 / p95 | faster (p50) | rule evaluation time median / max (`/api/v1/rules` evaluationTime) | evaluation interval | first recorded series after loading | Prometheus RSS without → with the rule |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const d = r.poll;
    const x = r.recorded;
    const ev = [...x.evaluationSeconds].sort((a, b) => a - b);
    const evText = ev.length
      ? `${ms(ev[Math.floor(ev.length / 2)]! * 1000)} / ${ms(ev.at(-1)! * 1000)} ms (${ev.length} evaluations)`
      : '—';
    lines.push(
      `| ${r.nodes.toLocaleString('en-US')} | ${r.pods.toLocaleString('en-US')} | ${ms(d.requestMsP50)} / ${ms(d.requestMsP95)} ms | ${ms(x.poll.requestMsP50)} / ${ms(x.poll.requestMsP95)} ms | ${ratio(d.requestMsP50 / x.poll.requestMsP50)}× | ${evText} | ${x.intervalSeconds} s | ${x.firstSeriesSeconds.toFixed(1)} s | ${r.prometheusRssMiB.toFixed(0)} → ${x.prometheusRssMiB.toFixed(0)} MiB |`,
    );
  }
  lines.push('');
  lines.push(...clustersMarkdown(clusters));
  lines.push('## Doubling the pods per node (same nodes, every pod twice: 60 per node)', '');
  lines.push('| nodes | pods at 30 → 60 per node | bytes per poll (JSON) at 30 → 60 | change | series |');
  lines.push('|---:|---:|---:|---:|---:|');
  for (const r of results.filter((x) => x.poll60)) {
    const a = r.poll.bytesDecoded;
    const b = r.poll60!.bytesDecoded;
    lines.push(
      `| ${r.nodes.toLocaleString('en-US')} | ${r.pods.toLocaleString('en-US')} → ${r.poll60!.pods.toLocaleString('en-US')} | ${a} → ${b} B | ${(((b - a) / a) * 100).toFixed(2)} % | ${r.poll.series} → ${r.poll60!.series} |`,
    );
  }
  lines.push('');
  lines.push('## Frame pipeline and idle', '');
  lines.push('| measure | value |', '|---|---:|');
  lines.push(
    `| one 64-LED frame: matrix layout + effects (brightness, cap, blink, gamma) | ${frame.frameUs.toFixed(1)} µs (layout ${frame.layoutUs.toFixed(1)} µs, effects ${frame.effectsUs.toFixed(1)} µs) |`,
  );
  lines.push(
    `| continuous 30 fps fade on 64 LEDs | ${frame.fadeCpuPercent.toFixed(2)} % of one core (${frame.fadeFps.toFixed(1)} frames/s, ${frame.fadeUsPerFrame.toFixed(0)} µs of process CPU per frame incl. timers) |`,
  );
  lines.push(
    `| idle between polls (3 outputs, HTTP server, nothing blinking) | ${frame.idleCpuMsPer10s.toFixed(1)} ms CPU per 10 s (${(frame.idleCpuMsPer10s / 100).toFixed(3)} %) |`,
  );
  lines.push(
    `| idle with a crashing pod blinking on each output | ${frame.idleBlinkCpuMsPer10s.toFixed(1)} ms CPU per 10 s (${(frame.idleBlinkCpuMsPer10s / 100).toFixed(3)} %) |`,
  );
  lines.push(
    `| one Blinkt! frame (8 APA102 LEDs bit-banged through sysfs GPIO value files; stand-in: plain files in ${tmpdir()}) | ${blinkt.frameUsP50.toFixed(0)} µs p50, ${blinkt.frameUsP95.toFixed(0)} µs p95 over ${blinkt.frames} frames; ${blinkt.writesMedian} GPIO writes (${blinkt.writesMin}–${blinkt.writesMax}; Pimoroni's sequence: ${blinkt.pimoroniWrites}), ${blinkt.writeUs.toFixed(2)} µs per write |`,
  );
  lines.push('');
  lines.push(...startupMarkdown(startup));
  lines.push('## Prometheus side', '');
  lines.push(
    '| nodes | exposition per KSM scrape | ingest (start → all pods queryable) | Prometheus RSS |',
    '|---:|---:|---:|---:|',
  );
  for (const r of results)
    lines.push(
      `| ${r.nodes.toLocaleString('en-US')} | ${kB(r.scrapeBytes)} | ${r.ingestSeconds.toFixed(1)} s | ${Number.isFinite(r.prometheusRssMiB) ? r.prometheusRssMiB.toFixed(0) + ' MiB' : '—'} |`,
    );
  lines.push('');
  const at = (n: number) => results.find((r) => r.nodes === n);
  lines.push('## Targets', '');
  lines.push('| target | measured | met |', '|---|---|---|');
  const r100 = at(100);
  const r5000 = at(5000);
  const r1000 = at(1000);
  const big = r5000 ?? results.at(-1)!;
  if (r1000?.poll60) {
    const change = Math.abs(r1000.poll60.bytesDecoded - r1000.poll.bytesDecoded) / r1000.poll.bytesDecoded;
    lines.push(
      `| bytes grow with nodes, not pods (30 → 60 pods per node at 1,000 nodes) | ${(change * 100).toFixed(2)} % change | ${ok(change < 0.02)} |`,
    );
  }
  const worst = Math.min(...results.filter((r) => r.podList).map((r) => r.podList!.bytes / r.poll.bytesDecoded));
  lines.push(`| ≥ 100× fewer bytes than the PodList at 30 pods per node | ${ratio(worst)}× at the least | ${ok(worst >= 100)} |`);
  if (r100)
    lines.push(
      `| podglow CPU ≤ 1 ms per poll at 100 nodes | ${ms(r100.poll.podglowCpuMsP50)} ms | ${ok(r100.poll.podglowCpuMsP50 <= 1)} |`,
    );
  if (r5000)
    lines.push(
      `| podglow CPU ≤ 20 ms per poll at 5,000 nodes | ${ms(r5000.poll.podglowCpuMsP50)} ms | ${ok(r5000.poll.podglowCpuMsP50 <= 20)} |`,
    );
  if (r5000) {
    lines.push(
      `| Prometheus latency ≤ 300 ms at 150,000 pods: direct query | ${ms(r5000.poll.requestMsP50)} ms p50, ${ms(r5000.poll.requestMsP95)} ms p95 | ${ok(r5000.poll.requestMsP50 <= 300)} |`,
    );
    const x = r5000.recorded.poll;
    // p95 is the polls that overlap the rule's own evaluation.
    lines.push(
      `| Prometheus latency ≤ 300 ms at 150,000 pods: with the recording rule | ${ms(x.requestMsP50)} ms p50, ${ms(x.requestMsP95)} ms p95 | p50 ${ok(x.requestMsP50 <= 300)}, p95 ${ok(x.requestMsP95 <= 300)} |`,
    );
  }
  const rssMax = Math.max(...results.map((r) => r.runRssMiB));
  lines.push(
    `| \`podglow run\` RSS ≤ 80 MB | ${rssMax.toFixed(0)} MiB at most (${big.nodes.toLocaleString('en-US')} nodes: ${big.runRssMiB.toFixed(0)} MiB) | ${ok(rssMax <= 80)} |`,
  );
  lines.push(`| 64-LED frame ≤ 50 µs | ${frame.frameUs.toFixed(1)} µs | ${ok(frame.frameUs <= 50)} |`);
  const node0 = startup.commands[0]!.wallMs;
  for (const c of startup.commands.slice(1)) {
    if (c.label === 'podglow run --help') continue;
    lines.push(
      `| \`${c.label}\` ≤ 1.5× \`node -e 0\` | ${(c.wallMs / node0).toFixed(2)}× (${c.wallMs.toFixed(0)} ms against ${node0.toFixed(0)} ms) | ${ok(c.wallMs <= 1.5 * node0)} |`,
    );
  }
  lines.push(
    `| \`podglow run\` steady RSS ≤ 70 MiB at 10 nodes | ${startup.steadyRssMiB.toFixed(1)} MiB | ${ok(startup.steadyRssMiB <= 70)} |`,
  );
  lines.push('');
  lines.push(
    "Notes: latency is the wall time of the four concurrent instant queries as podglow sees it; \"podglow CPU\" is the synchronous parse (JSON.parse, checks, snapshot) plus three outputs' layouts and effects (Unicorn HAT matrix, 32-LED nodes strip, BlinkStick summary), median of replays of one poll's answers; \"whole process CPU\" is everything the polling process spent per poll, HTTP client (axios, gzip) included, in a back-to-back loop; `podglow run` RSS is the built CLI's own process_resident_memory_bytes after a run of 1 s polls. The PodList is `kubectl get pod -A -o json`-shaped JSON of realistic pods (bench/podList.ts); jq CPU is jq 1.6's user + system time for the original grouping program, without kubectl's or the API server's cost. Recorded latency: the same poll with prometheus.recordingRule, after the rule's first evaluation, while Prometheus keeps evaluating it; its p95 includes polls that overlap an evaluation.",
  );
  const md = lines.join('\n') + '\n';
  if (out) writeFileSync(out, md);
  else log('some sizes only: not writing bench/results.md (give --out FILE to keep the table)');
  process.stdout.write(md);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
