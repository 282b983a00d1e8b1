// Several clusters in one poll (SPEC §3c): the answers, grouped by the cluster label, cut into
// one block per cluster, each built like a one-cluster Snapshot (pure, no I/O).
import type { ClustersConfig } from '../config/schema.js';
import { emptyAlerts, naturalCompare, withClusters, type ClusterSnapshot, type Snapshot } from '../snapshot.js';
import { emptyCounts } from '../states.js';
import { PollError } from './errors.js';
import { applyExtras, type ExtrasOptions } from './extras.js';
import { isUserQuery } from './extrasQueries.js';
import type { Sample } from './answer.js';
import { buildSnapshot, type PollAnswers } from './parse.js';

/** What buildClusterSnapshot needs besides the answers. */
export interface ClusterSnapshotOptions {
  time: Date;
  clusters: ClustersConfig;
  clusterLabel: string;
  /** A cluster whose newest sample is older than this (ms) is stale. */
  staleAfterMs: number;
  order?: readonly string[];
  keepNode?: (name: string) => boolean;
  nodeSelector?: string;
  extras?: ExtrasOptions;
  queryErrors?: Record<string, string>;
}

/** The answers of one cluster: every grouped answer's samples whose cluster label is `name`. */
function answersOf(answers: PollAnswers, label: string, name: string): PollAnswers {
  const out: Record<string, Sample[]> = {};
  for (const [k, samples] of Object.entries(answers)) {
    if (isUserQuery(k)) continue;
    out[k] = (samples as Sample[]).filter((s) => (s.metric[label] ?? '') === name);
  }
  return out as PollAnswers;
}

/** Seconds from each cluster's newest sample to `time`, by cluster: the `nodes` answer's values are each node's newest sample time (Unix seconds). */
export function dataAges(samples: readonly Sample[] | undefined, label: string, time: Date): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples ?? []) {
    const name = s.metric[label];
    if (name === undefined || !Number.isFinite(s.value)) continue;
    const age = Math.max(0, Math.round(time.getTime() / 1000 - s.value));
    out.set(name, Math.min(out.get(name) ?? age, age));
  }
  return out;
}

/** A cluster's block with no data yet: no nodes, stale. */
export function emptyCluster(name: string, displayName?: string): ClusterSnapshot {
  const c: ClusterSnapshot = {
    name,
    nodes: [],
    unscheduled: emptyCounts(),
    alerts: emptyAlerts(),
    dataAgeSeconds: null,
    stale: true,
  };
  if (displayName !== undefined) c.displayName = displayName;
  return c;
}

/**
 * Turns the grouped answers of one poll into a Snapshot with one block per cluster (pure):
 * the listed clusters in their order, or with `auto` every value of the cluster label on
 * kube_node_info in natural order. Each block is built as a one-cluster Snapshot (buildSnapshot);
 * a listed cluster without data is an empty stale block. Alerts without a cluster label stay
 * top-level; named queries stay global. No node at all, or with `auto` no node carrying the
 * label, is PollError `no_ksm_data` naming what was looked for.
 */
export function buildClusterSnapshot(answers: PollAnswers, opts: ClusterSnapshotOptions): Snapshot {
  const label = opts.clusterLabel;
  const seen = new Set<string>();
  for (const s of answers.nodes) if (s.metric.node) seen.add(s.metric[label] ?? '');
  if (seen.size === 0) {
    throw new PollError(
      'no_ksm_data',
      `no kube-state-metrics data: ${opts.nodeSelector ?? 'kube_node_info'} has no series (is kube-state-metrics running and scraped? do prometheus.matchers and clusters: match?)`,
    );
  }
  seen.delete('');
  const wanted =
    opts.clusters === 'auto'
      ? [...seen].sort(naturalCompare).map((name) => ({ name }) as { name: string; displayName?: string })
      : opts.clusters;
  if (wanted.length === 0) {
    throw new PollError(
      'no_ksm_data',
      `clusters: auto: no kube_node_info series carries the label "${label}" (set prometheus.clusterLabel to the label your clusters carry)`,
    );
  }
  const ages = dataAges(answers.nodes, label, opts.time);
  const alertsOnly: ExtrasOptions | undefined = opts.extras && { alerts: opts.extras.alerts, queries: {} };
  const blocks = wanted.map(({ name, displayName }): ClusterSnapshot => {
    if (!seen.has(name)) return emptyCluster(name, displayName);
    const one = buildSnapshot(answersOf(answers, label, name), { ...opts, extras: alertsOnly, queryErrors: {} });
    const age = ages.get(name) ?? null;
    const block: ClusterSnapshot = {
      name,
      nodes: one.nodes,
      unscheduled: one.unscheduled,
      alerts: one.alerts,
      dataAgeSeconds: age,
      stale: age === null || age * 1000 > opts.staleAfterMs,
    };
    if (displayName !== undefined) block.displayName = displayName;
    return block;
  });
  // Alerts with no cluster label (or another cluster's), and the named queries: global.
  const shown = new Set(wanted.map((c) => c.name));
  const global = applyExtras(
    { time: opts.time.toISOString(), nodes: [], unscheduled: emptyCounts(), alerts: emptyAlerts(), queries: {} },
    { ...answers, alerts: answers.alerts?.filter((s) => !shown.has(s.metric[label] ?? '')) },
    { extras: opts.extras, queryErrors: opts.queryErrors },
  );
  return withClusters({ time: global.time, alerts: global.alerts, queries: global.queries }, blocks);
}

/**
 * Keeps clusters from silently vanishing (SPEC §3c): a cluster of `previous` that this poll
 * left out (gone from `auto`) or found without data (listed) keeps its last block, stale, its
 * data age counted on from the last one. Returns the merged snapshot and the names carried over.
 */
export function carryOver(snapshot: Snapshot, previous: Snapshot | null): { snapshot: Snapshot; carried: string[] } {
  if (!snapshot.clusters || !previous?.clusters) return { snapshot, carried: [] };
  const elapsed = Math.max(0, Math.round((Date.parse(snapshot.time) - Date.parse(previous.time)) / 1000));
  const now = new Map(snapshot.clusters.map((c) => [c.name, c]));
  const carried: string[] = [];
  const aged = (c: ClusterSnapshot): ClusterSnapshot => {
    carried.push(c.name);
    return { ...c, stale: true, dataAgeSeconds: c.dataAgeSeconds === null ? null : c.dataAgeSeconds + elapsed };
  };
  const blocks = snapshot.clusters.map((c) => {
    const before = previous.clusters!.find((p) => p.name === c.name);
    return c.nodes.length === 0 && c.dataAgeSeconds === null && before && before.nodes.length > 0 ? aged(before) : c;
  });
  // Gone from auto: kept where it was, after the clusters that still precede it.
  previous.clusters.forEach((p, i) => {
    if (now.has(p.name)) return;
    const after = previous.clusters!.slice(0, i).map((x) => x.name);
    let at = 0;
    blocks.forEach((b, j) => {
      if (after.includes(b.name)) at = j + 1;
    });
    blocks.splice(at, 0, aged(p));
  });
  return { snapshot: withClusters(snapshot, blocks), carried };
}
