// How fast the light follows the cluster (SPEC §3b, issue 17): a real Prometheus scraping a
// kube-state-metrics fixture every S seconds, one pod flipped between Running and Failed at
// random moments, several podglow instances started at different phases, for the old
// behaviour (a fixed `interval: 10s`) and the new default (`interval: auto`). Each mode has a
// Prometheus of its own (same fixture, same interval), so its queries can be counted there.
//
// For every flip and instance: end to end (the pod changed → the frame was announced) and
// podglow's own share (the new sample was answerable → the frame was announced). The sample's
// answerable time is its timestamp plus the scrape's duration, both read from Prometheus
// after the run. Prometheus work per instance and minute: /api/v1/query requests and engine
// seconds (prometheus_engine_query_duration_seconds_sum, all slices), read from its /metrics.
//
//   npm run bench:latency -- [--scrapes 5,30] [--duration SECONDS] [--phases 4]
//
// --duration is the length of each scrape interval's run (default: 75 s at 5 s, 150 s at 30 s).
import { parseArgs } from 'node:util';
import { startPodglow, type Podglow } from '../src/app.js';
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { Metrics } from '../src/metrics.js';
import { PrometheusSource } from '../src/source/prometheus.js';
import { startKsmFixture, type KsmCluster, type PodPhase } from '../test/helpers/ksmFixture.js';
import { startPrometheus, type TestPrometheus } from '../test/helpers/prometheus.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The behaviours compared: the old fixed grid, the new default, and the new one with its floor raised to the old interval. */
const MODES = {
  old: { label: 'interval: 10s (old default)', config: { interval: '10s' } },
  new: { label: 'interval: auto (new default)', config: { interval: 'auto' } },
  floor: { label: 'auto, follow.minInterval: 10s', config: { interval: 'auto', follow: { minInterval: '10s' } } },
} as const;
type Mode = keyof typeof MODES;

function cluster(phase: PodPhase): KsmCluster {
  const pods = [{ name: 'flip', namespace: 'default', node: 'node-1', phase }];
  for (let i = 0; i < 20; i++)
    pods.push({ name: `web-${i}`, namespace: 'default', node: `node-${2 + (i % 3)}`, phase: 'Running' });
  return { nodes: [1, 2, 3, 4].map((i) => ({ name: `node-${i}` })), pods };
}

interface Flip {
  at: number;
  phase: PodPhase;
}

interface Instance {
  mode: Mode;
  app: Podglow;
  /** When each flip's frame was announced (index of the flip → ms), first frame showing its phase. */
  shown: Map<number, number>;
}

/** Percentile (nearest rank) of `xs`. */
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** The counters of Prometheus' own /metrics that say how much querying it did. */
async function promWork(url: string): Promise<{ queries: number; seconds: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let queries = 0;
  let seconds = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('prometheus_http_requests_total{') && line.includes('handler="/api/v1/query"'))
      queries += Number(line.split(' ').pop());
    // Engine work: every slice but queue_time (waiting for a query slot is no work).
    if (line.startsWith('prometheus_engine_query_duration_seconds_sum{') && !line.includes('queue_time'))
      seconds += Number(line.split(' ').pop());
  }
  return { queries, seconds };
}

/** When the flip's new phase became answerable in `prom`: the first sample of it after the flip, plus that scrape's duration. */
async function answerableAt(prom: TestPrometheus, flip: Flip, windowS: number): Promise<number | null> {
  const r = await prom.queryRaw(`kube_pod_status_phase{pod="flip",phase="${flip.phase}"}[${windowS}s]`);
  const d = await prom.queryRaw(`scrape_duration_seconds[${windowS}s]`);
  type Matrix = { data?: { result: { values: [number, string][] }[] } };
  const samples = (r.body as Matrix).data?.result[0]?.values ?? [];
  const durations = (d.body as Matrix).data?.result[0]?.values ?? [];
  const first = samples.find(([t, v]) => t * 1000 >= flip.at && v === '1');
  if (!first) return null;
  const dur = durations.find(([t]) => t === first[0]);
  return first[0] * 1000 + (dur ? Number(dur[1]) * 1000 : 0);
}

/** What one probe and one full poll cost Prometheus (queries, engine ms), each measured alone over several runs. */
async function unitCosts(url: string): Promise<{ probeMs: number; pollQueries: number; pollMs: number }> {
  const config = parseConfig(
    { source: 'prometheus', prometheus: { url, matchers: ['job="kube-state-metrics"'] }, outputs: [{ type: 'web' }] },
    { env: {} },
  );
  const source = new PrometheusSource(config, { log: silentLogger });
  const N = 30;
  const w0 = await promWork(url);
  for (let i = 0; i < N; i++) await source.probe();
  const w1 = await promWork(url);
  for (let i = 0; i < N; i++) await source.poll();
  const w2 = await promWork(url);
  source.close();
  return {
    probeMs: ((w1.seconds - w0.seconds) / N) * 1000,
    pollQueries: (w2.queries - w1.queries) / N,
    pollMs: ((w2.seconds - w1.seconds) / N) * 1000,
  };
}

async function runScrape(scrapeS: number, durationS: number, phases: number) {
  const fixture = await startKsmFixture({ cluster: cluster('Running') });
  const proms = {} as Record<Mode, TestPrometheus>;
  for (const mode of Object.keys(MODES) as Mode[]) {
    proms[mode] = await startPrometheus({
      jobs: [{ job: 'kube-state-metrics', targets: fixture.targets }],
      scrapeInterval: `${scrapeS}s`,
    });
    await proms[mode].waitForGeneration(fixture.generation, 3 * scrapeS * 1000 + 10_000);
  }
  const flips: Flip[] = [];
  const instances: Instance[] = [];
  let current: PodPhase = 'Running';
  // Instances start a fraction of their period apart, so every phase between scrapes and polls is covered.
  for (const mode of Object.keys(MODES) as Mode[]) {
    const periodMs = mode === 'old' ? 10_000 : scrapeS * 1000;
    for (let k = 0; k < phases; k++) {
      await sleep(periodMs / phases);
      const config = parseConfig(
        {
          source: 'prometheus',
          prometheus: { url: proms[mode].url, matchers: ['job="kube-state-metrics"'] },
          ...MODES[mode].config,
          effects: { transitionMs: 0, fps: 30 },
          server: { enabled: false },
          outputs: [{ name: 'strip', type: 'web', width: 4, height: 1, layout: { type: 'nodes' } }],
        },
        { env: {} },
      );
      const app = await startPodglow(config, { log: silentLogger, metrics: new Metrics({ defaultMetrics: false }) });
      const inst: Instance = { mode, app, shown: new Map() };
      app.controller.onFrame(() => {
        const i = flips.length - 1;
        const pods = app.controller.snapshot()?.nodes.find((n) => n.name === 'node-1')?.pods;
        const want = flips[i]?.phase === 'Failed' ? 'failed' : 'running';
        if (i >= 0 && pods?.[want] === 1 && !inst.shown.has(i)) inst.shown.set(i, Date.now());
      });
      instances.push(inst);
    }
  }
  // Let every instance show the first picture and learn the rhythm (two landings), then count from here.
  await sleep(Math.max(11_000, 2 * scrapeS * 1000 + 3000));
  const before = {} as Record<Mode, { queries: number; seconds: number }>;
  for (const mode of Object.keys(MODES) as Mode[]) before[mode] = await promWork(proms[mode].url);
  const started = Date.now();
  // Flips a little more than the slowest worst case apart (scrape + old interval), at random moments.
  const minGap = scrapeS * 1000 + 10_000 + 1500;
  while (Date.now() - started < durationS * 1000 - minGap) {
    await sleep(minGap * (1 + 0.4 * Math.random()) - (flips.length ? 0 : minGap * 0.9));
    current = current === 'Running' ? 'Failed' : 'Running';
    flips.push({ at: Date.now(), phase: current });
    fixture.set(cluster(current));
  }
  await sleep(minGap);
  const elapsedMin = (Date.now() - started) / 60_000;
  const after = {} as Record<Mode, { queries: number; seconds: number }>;
  for (const mode of Object.keys(MODES) as Mode[]) after[mode] = await promWork(proms[mode].url);
  for (const inst of instances) await inst.app.stop();

  const out: Record<Mode, { e2e: number[]; share: number[]; queriesPerMin: number; querySecondsPerMin: number; missed: number }> =
    {} as never;
  for (const mode of Object.keys(MODES) as Mode[]) {
    const e2e: number[] = [];
    const share: number[] = [];
    let missed = 0;
    const windowS = Math.ceil((Date.now() - started) / 1000) + 60;
    const answerable = await Promise.all(flips.map((f) => answerableAt(proms[mode], f, windowS)));
    for (const inst of instances.filter((x) => x.mode === mode)) {
      flips.forEach((f, i) => {
        const shown = inst.shown.get(i);
        if (shown === undefined) return void missed++;
        e2e.push(shown - f.at);
        const a = answerable[i];
        if (a != null) share.push(Math.max(0, shown - a));
      });
    }
    const n = instances.filter((x) => x.mode === mode).length;
    out[mode] = {
      e2e,
      share,
      missed,
      queriesPerMin: (after[mode].queries - before[mode].queries) / elapsedMin / n,
      querySecondsPerMin: (after[mode].seconds - before[mode].seconds) / elapsedMin / n,
    };
  }
  const unit = await unitCosts(proms.new.url);
  for (const p of Object.values(proms)) await p.stop();
  await fixture.close();
  return { scrapeS, flips: flips.length, instances: phases, minutes: elapsedMin, modes: out, unit };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scrapes: { type: 'string', default: '5,30' },
      duration: { type: 'string' },
      phases: { type: 'string', default: '4' },
    },
  });
  const scrapes = values.scrapes.split(',').map(Number);
  const phases = Number(values.phases);
  const rows: string[] = [];
  const units: string[] = [];
  for (const s of scrapes) {
    const durationS = values.duration ? Number(values.duration) : s <= 5 ? 75 : 150;
    process.stderr.write(`scrape ${s}s: ${durationS}s run, ${phases} instances per mode…\n`);
    const r = await runScrape(s, durationS, phases);
    for (const mode of Object.keys(MODES) as Mode[]) {
      const m = r.modes[mode];
      const f = (xs: number[], p: number) => (xs.length ? (pct(xs, p) / 1000).toFixed(1) : '–');
      rows.push(
        `| ${s} s | ${MODES[mode].label} | ${f(m.e2e, 50)} | ${f(m.e2e, 95)} | ${f(m.share, 50)} | ${f(m.share, 95)} | ` +
          `${m.queriesPerMin.toFixed(1)} | ${(m.querySecondsPerMin * 1000).toFixed(1)} | ${m.e2e.length}${m.missed ? ` (${m.missed} missed)` : ''} |`,
      );
    }
    // The other design, a probe every second (not run: its cost follows from the measured unit costs).
    const u = r.unit;
    const polls = 60 / s;
    rows.push(
      `| ${s} s | probe every 1 s (computed) | – | – | ≈0.5 | ≈1.0 | ${(60 + polls * u.pollQueries).toFixed(1)} | ${(60 * u.probeMs + polls * u.pollMs).toFixed(1)} | – |`,
    );
    units.push(
      `scrape ${s} s: a probe is 1 query and ${u.probeMs.toFixed(2)} ms of engine time; a full poll ${u.pollQueries.toFixed(0)} queries and ${u.pollMs.toFixed(2)} ms`,
    );
    process.stderr.write(`  ${r.flips} flips over ${r.minutes.toFixed(1)} min\n`);
  }
  console.log(
    '| scrape | podglow | end to end p50 (s) | p95 (s) | own share p50 (s) | p95 (s) | queries / min | query ms / min | samples |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(r);
  console.log('\n(per podglow instance; Prometheus work from its own /metrics: /api/v1/query requests and engine seconds)');
  for (const u of units) console.log(u);
}

await main();
