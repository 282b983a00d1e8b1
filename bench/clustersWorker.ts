// Per-poll cost of several clusters in one poll (SPEC §3c), in its own process:
// `node dist/bench/clustersWorker.js URL MATCHER POLLS [clusters]` runs POLLS polls of the KSM
// series selected by MATCHER (after 3 warm-up polls) with `clusters: auto` when the fourth
// argument is `clusters`, else as one cluster, and prints one JSON object (ClustersWorkerResult).
import { parseConfig } from '../src/config/load.js';
import { defaultLayout } from '../src/config/schema.js';
import { renderLayout, resolvePalette } from '../src/layout/index.js';
import { silentLogger } from '../src/log.js';
import { outputGeometry } from '../src/output/geometry.js';
import { buildClusterSnapshot } from '../src/source/clusters.js';
import { parseVectorResponse } from '../src/source/answer.js';
import { buildSnapshot, type PollAnswers } from '../src/source/parse.js';
import { PrometheusSource } from '../src/source/prometheus.js';
import { nodeFilter } from '../src/source/promql.js';
import { BENCH_OUTPUTS, measurePolls, median, pollBodies, runAsWorker } from './worker.js';

/** What one configuration costs per poll. */
export interface ClustersWorkerResult {
  clusters: number;
  nodes: number;
  queriesPerPoll: number;
  series: number;
  /** JSON bytes per poll after decompression, and bytes on the wire (median). */
  bytesDecoded: number;
  bytesReceived: number;
  requestMsP50: number;
  /** parse + snapshot + layouts of the bench outputs (ms, median of replays of one poll's bodies). */
  podglowCpuMsP50: number;
  /** Whole-process CPU per poll, HTTP client included (ms). */
  processCpuMsPerPoll: number;
}

/** Measures `polls` polls; with `clusters` one block per value of the cluster label. */
export async function clustersWorker(
  url: string,
  matcher: string,
  polls: number,
  clusters: boolean,
): Promise<ClustersWorkerResult> {
  const outputs = clusters
    ? [...BENCH_OUTPUTS!, { name: 'desk', type: 'web' as const, width: 8, height: 1, layout: { type: 'clusters' as const } }]
    : BENCH_OUTPUTS;
  const config = parseConfig(
    { prometheus: { url, timeout: '60s', matchers: [matcher] }, ...(clusters ? { clusters: 'auto' } : {}), outputs },
    { env: {} },
  );
  const source = new PrometheusSource(config, { log: silentLogger });
  const outs = config.outputs.map((o) => ({
    layout: o.layout ?? defaultLayout(o.type),
    geometry: outputGeometry(o),
    palette: resolvePalette(config.palette, o.palette),
  }));
  const { rows, cpu } = await measurePolls(polls, () => source.pollWithStats());
  source.close();
  const { names, bodies } = await pollBodies(url, source.queries);
  const keepNode = nodeFilter(config);
  const replay: number[] = [];
  for (let i = 0; i < 105; i++) {
    const t0 = performance.now();
    const answers = Object.fromEntries(names.map((n, k) => [n, parseVectorResponse(bodies[k]!, n).samples])) as PollAnswers;
    const time = new Date();
    const snapshot = clusters
      ? buildClusterSnapshot(answers, {
          time,
          keepNode,
          extras: config,
          clusters: 'auto',
          clusterLabel: 'cluster',
          staleAfterMs: 30_000,
        })
      : buildSnapshot(answers, { time, keepNode, extras: config });
    for (const o of outs) renderLayout(o.layout, snapshot, { geometry: o.geometry, palette: o.palette, page: 0 });
    if (i >= 5) replay.push(performance.now() - t0);
  }
  const last = rows.at(-1)!;
  return {
    clusters: last.snapshot.clusters?.length ?? 1,
    nodes: last.snapshot.nodes.length,
    queriesPerPoll: last.stats.queries.length,
    series: last.stats.queries.reduce((n, q) => n + q.series, 0),
    bytesDecoded: median(rows.map((r) => r.stats.bytesDecoded)),
    bytesReceived: median(rows.map((r) => r.stats.bytesReceived)),
    requestMsP50: median(rows.map((r) => r.stats.requestMs)),
    podglowCpuMsP50: median(replay),
    processCpuMsPerPoll: (cpu.user + cpu.system) / 1000 / polls,
  };
}

runAsWorker(import.meta.url, async () => {
  const [url, matcher, polls, mode] = process.argv.slice(2);
  if (!url || !matcher || !polls) {
    console.error('usage: clustersWorker URL MATCHER POLLS [clusters]');
    process.exit(2);
  }
  return clustersWorker(url, matcher, Number(polls), mode === 'clusters');
});
