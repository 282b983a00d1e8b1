// Several clusters in one poll (SPEC §3c): what `clusters:` costs against one cluster of the
// same size, read from one Prometheus that scrapes one kube-state-metrics fixture per cluster
// (each target labelled cluster=<name>, as a central store holds them) and one fixture with
// all the nodes. Part of `npm run bench` (bench/run.ts); `--only clusters` runs it alone.
import { generateCluster, startKsmFixture, type KsmFixture } from '../test/helpers/ksmFixture.js';
import { startPrometheus } from '../test/helpers/prometheus.js';
import type { ClustersWorkerResult } from './clustersWorker.js';

/** Cluster counts × nodes per cluster measured, 30 pods per node. */
export const CLUSTER_SIZES = [
  { clusters: 3, nodes: 100 },
  { clusters: 10, nodes: 20 },
] as const;

/** One size: several clusters against one cluster of the same total size. */
export interface ClustersResult {
  clusters: number;
  nodesPerCluster: number;
  several: ClustersWorkerResult;
  one: ClustersWorkerResult;
}

/** Measures every CLUSTER_SIZES entry with `worker` (a compiled clustersWorker in its own process). */
export async function measureClusters(
  worker: (args: string[]) => Promise<ClustersWorkerResult>,
  log: (s: string) => void,
  polls = 20,
): Promise<ClustersResult[]> {
  const out: ClustersResult[] = [];
  for (const size of CLUSTER_SIZES) {
    log(`clusters: ${size.clusters} × ${size.nodes} nodes against one cluster of ${size.clusters * size.nodes}`);
    const fixtures: KsmFixture[] = [];
    try {
      for (let i = 0; i < size.clusters; i++)
        fixtures.push(await startKsmFixture({ cluster: generateCluster({ nodes: size.nodes, podsPerNode: 30, seed: i + 1 }) }));
      const all = generateCluster({ nodes: size.clusters * size.nodes, podsPerNode: 30 });
      fixtures.push(await startKsmFixture({ cluster: all }));
      const prom = await startPrometheus({
        scrapeInterval: '5s',
        jobs: [
          ...fixtures
            .slice(0, -1)
            .map((f, i) => ({ job: `ksm-c${i}`, targets: f.targets, labels: { cluster: `cluster-${i + 1}` } })),
          { job: 'ksm-one', targets: fixtures.at(-1)!.targets },
        ],
      });
      try {
        const pods = size.clusters * (size.nodes * 30 + Math.ceil(size.nodes / 20));
        await prom.waitForValue('count(kube_pod_info{job=~"ksm-c.+"})', pods, 120_000);
        await prom.waitForValue('count(kube_pod_info{job="ksm-one"})', all.pods.length, 120_000);
        const several = await worker([prom.url, 'job=~"ksm-c.+"', String(polls), 'clusters']);
        const one = await worker([prom.url, 'job="ksm-one"', String(polls)]);
        out.push({ clusters: size.clusters, nodesPerCluster: size.nodes, several, one });
      } finally {
        await prom.stop();
      }
    } finally {
      for (const f of fixtures) await f.close();
    }
  }
  return out;
}

/** The results as a Markdown section. */
export function clustersMarkdown(results: readonly ClustersResult[]): string[] {
  const kB = (b: number) => `${(b / 1024).toFixed(1)} kB`;
  const ms = (x: number) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const lines = ['## Several clusters in one poll (clusters:, SPEC §3c)', ''];
  lines.push(
    'One Prometheus scraping one kube-state-metrics fixture per cluster (target label `cluster`), 30 pods per node; `clusters: auto` against one cluster of the same total size. Outputs: the three bench outputs plus an 8-LED `clusters` layout.',
    '',
  );
  lines.push(
    '| clusters × nodes | queries per poll | series | bytes per poll (JSON; wire) | latency p50 | podglow CPU per poll (parse + snapshot + layouts) | whole process CPU per poll |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const row = (label: string, x: ClustersWorkerResult) =>
      `| ${label} | ${x.queriesPerPoll} | ${x.series} | ${kB(x.bytesDecoded)} (${kB(x.bytesReceived)}) | ${ms(x.requestMsP50)} ms | ${ms(x.podglowCpuMsP50)} ms | ${ms(x.processCpuMsPerPoll)} ms |`;
    lines.push(row(`${r.clusters} × ${r.nodesPerCluster}`, r.several));
    lines.push(row(`1 × ${r.clusters * r.nodesPerCluster}`, r.one));
  }
  lines.push('');
  return lines;
}
