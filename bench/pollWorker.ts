// Per-poll cost of podglow against a real Prometheus, in its own process so CPU and RSS are
// podglow's alone: `node dist/bench/pollWorker.js URL JOB POLLS` runs POLLS polls back to
// back (after 3 warm-up polls) through the Prometheus source, then the layouts and effects
// pipelines of three outputs (Unicorn HAT matrix, 32-LED nodes strip, BlinkStick summary),
// and prints one JSON object (PollWorkerResult). A fifth argument RULE reads the pod counts
// from that recording rule (prometheus.recordingRule) instead of the direct query.
import type { Rgb } from '../src/color.js';
import { parseConfig } from '../src/config/load.js';
import { defaultLayout, type Config } from '../src/config/schema.js';
import { OutputPipeline } from '../src/effects/pipeline.js';
import { renderLayout, resolvePalette } from '../src/layout/index.js';
import { silentLogger } from '../src/log.js';
import type { Driver } from '../src/output/driver.js';
import { outputGeometry } from '../src/output/geometry.js';
import { PrometheusSource } from '../src/source/prometheus.js';
import { parseVectorResponse } from '../src/source/answer.js';
import { buildSnapshot, type PollAnswers } from '../src/source/parse.js';
import { nodeFilter } from '../src/source/promql.js';
import { BENCH_OUTPUTS, measurePolls, median, pollBodies, quantile, runAsWorker } from './worker.js';

/** Per-poll figures (medians and 95th percentiles over the measured polls). */
export interface PollWorkerResult {
  polls: number;
  nodes: number;
  pods: number;
  /** Bytes read from the sockets per poll (headers and gzip bodies, as Prometheus sends them). */
  bytesReceived: number;
  /** JSON bytes per poll after decompression. */
  bytesDecoded: number;
  series: number;
  /** Wall time of the four concurrent queries (ms): median, p95. */
  requestMsP50: number;
  requestMsP95: number;
  /** The slowest query alone (the pod-state query), ms. */
  podsQueryMsP50: number;
  /** JSON.parse + shape checks + snapshot of the four answers (ms, median of replays of one poll's bodies). */
  parseMsP50: number;
  /** Layouts + effects of the three outputs (ms, median of replays). */
  renderMsP50: number;
  /** parse + layouts + effects (ms, median of replays). */
  podglowCpuMsP50: number;
  /** The same measured live during the polls (wall time of synchronous code, noisier on a busy machine). */
  livePodglowMsP50: number;
  /** Whole-process CPU per poll including the HTTP client (ms). */
  processCpuMsPerPoll: number;
  rssMiB: number;
  heapUsedMiB: number;
  /** SPEC §4b extra queries (conditions, alerts): each one's latency p50 (ms), series and JSON bytes of the last poll. */
  extras: Record<string, { requestMsP50: number; series: number; bytesDecoded: number }>;
}

class NullDriver implements Driver {
  up = true;
  constructor(
    readonly maxBrightness: number,
    readonly gamma: boolean,
  ) {}
  async start(): Promise<void> {}
  async show(_leds: readonly Rgb[]): Promise<void> {}
  async stop(): Promise<void> {}
}

/** The benchmark's podglow config: KSM series of `job`, three outputs; pod counts from `recordingRule` when given. */
export function benchConfig(url: string, job: string, recordingRule?: string): Config {
  return parseConfig(
    {
      source: 'prometheus',
      prometheus: { url, timeout: '60s', matchers: [`job="${job}"`], ...(recordingRule ? { recordingRule } : {}) },
      effects: { transitionMs: 0, fps: 30 },
      outputs: BENCH_OUTPUTS,
    },
    { env: {} },
  );
}

/** Measures `polls` polls of `url` selecting `job` (pod counts from `recordingRule` when given). */
export async function pollWorker(url: string, job: string, polls: number, recordingRule?: string): Promise<PollWorkerResult> {
  const config = benchConfig(url, job, recordingRule);
  const source = new PrometheusSource(config, { log: silentLogger });
  const outs = config.outputs.map((o, i) => {
    const hat = o.type === 'unicornhat';
    const geometry = outputGeometry(o);
    const palette = resolvePalette(config.palette, o.palette);
    const pipeline = new OutputPipeline({
      name: o.name ?? `o${i}`,
      type: o.type,
      driver: new NullDriver(hat ? 0.5 : 1, hat),
      geometry,
      brightness: o.brightness,
      transitionMs: 0,
      fps: 30,
      statusColor: palette.colors.status,
      log: silentLogger,
    });
    pipeline.start();
    return { layout: o.layout ?? defaultLayout(o.type), geometry, palette, pipeline };
  });
  const one = async () => {
    const r = await source.pollWithStats();
    const t = performance.now();
    for (const o of outs)
      o.pipeline.setFrame(renderLayout(o.layout, r.snapshot, { geometry: o.geometry, palette: o.palette, page: 0 }));
    return { r, renderMs: performance.now() - t };
  };
  const { rows, cpu } = await measurePolls(polls, one);
  source.close();

  // Replay one poll's answer bodies many times: the CPU of parse + layouts + effects alone.
  const { names, bodies } = await pollBodies(url, source.queries);
  const keepNode = nodeFilter(config);
  const replays = Math.max(10, Math.min(300, Math.round(3000 / Math.max(1, rows.at(-1)!.r.snapshot.nodes.length))));
  const replay: { parseMs: number; renderMs: number }[] = [];
  for (let i = 0; i < replays + 5; i++) {
    const t0 = performance.now();
    const answers = Object.fromEntries(names.map((n, k) => [n, parseVectorResponse(bodies[k]!, n).samples])) as PollAnswers;
    const snapshot = buildSnapshot(answers, { time: new Date(), keepNode, extras: config });
    const t1 = performance.now();
    for (const o of outs)
      o.pipeline.setFrame(renderLayout(o.layout, snapshot, { geometry: o.geometry, palette: o.palette, page: 0 }));
    const t2 = performance.now();
    if (i >= 5) replay.push({ parseMs: t1 - t0, renderMs: t2 - t1 });
  }
  for (const o of outs) await o.pipeline.halt();
  const last = rows.at(-1)!.r;
  const mem = process.memoryUsage();
  const pods =
    last.snapshot.nodes.reduce((n, node) => n + Object.values(node.pods).reduce((a, b) => a + b, 0), 0) +
    Object.values(last.snapshot.unscheduled).reduce((a, b) => a + b, 0);
  return {
    polls,
    nodes: last.snapshot.nodes.length,
    pods,
    bytesReceived: median(rows.map((x) => x.r.stats.bytesReceived)),
    bytesDecoded: median(rows.map((x) => x.r.stats.bytesDecoded)),
    series: last.stats.queries.reduce((n, q) => n + q.series, 0),
    requestMsP50: median(rows.map((x) => x.r.stats.requestMs)),
    requestMsP95: quantile(
      rows.map((x) => x.r.stats.requestMs),
      0.95,
    ),
    podsQueryMsP50: median(rows.map((x) => x.r.stats.queries.find((q) => q.name === 'pods')!.requestMs)),
    parseMsP50: median(replay.map((x) => x.parseMs)),
    renderMsP50: median(replay.map((x) => x.renderMs)),
    podglowCpuMsP50: median(replay.map((x) => x.parseMs + x.renderMs)),
    livePodglowMsP50: median(rows.map((x) => x.r.stats.parseMs + x.renderMs)),
    processCpuMsPerPoll: (cpu.user + cpu.system) / 1000 / polls,
    rssMiB: mem.rss / 1048576,
    heapUsedMiB: mem.heapUsed / 1048576,
    extras: Object.fromEntries(
      last.stats.queries
        .filter((q) => q.name === 'conditions' || q.name === 'alerts')
        .map((q) => [
          q.name,
          {
            requestMsP50: median(rows.map((x) => x.r.stats.queries.find((y) => y.name === q.name)!.requestMs)),
            series: q.series,
            bytesDecoded: q.bytesDecoded,
          },
        ]),
    ),
  };
}

runAsWorker(import.meta.url, async () => {
  const [url, job, polls, rule] = process.argv.slice(2);
  if (!url || !job || !polls) {
    console.error('usage: pollWorker URL JOB POLLS [RECORDING_RULE]');
    process.exit(2);
  }
  return pollWorker(url, job, Number(polls), rule);
});
