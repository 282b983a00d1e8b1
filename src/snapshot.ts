import { POD_STATES, emptyCounts, type StateCounts } from './states.js';

// Moved to its own module; re-exported so existing imports keep working. (Source lives in
// src/source/source.ts, which imports this file: no re-export, so no loop.)
export { naturalCompare, sortNodeNames } from './naturalSort.js';

/** Alert severities podglow counts, most severe first (SPEC §4b). */
export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;
/** One alert severity. */
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
/** Firing alerts per severity; all three keys are always present. */
export type AlertCounts = Record<AlertSeverity, number>;

/** An AlertCounts with every severity at zero. */
export function emptyAlerts(): AlertCounts {
  return { critical: 0, warning: 0, info: 0 };
}

/** One node as seen in a poll (SPEC §4, §4b). */
export interface NodeSnapshot {
  name: string;
  /** Ready condition: true, false, or null when unknown / not reported. */
  ready: boolean | null;
  unschedulable: boolean;
  pods: StateCounts;
  /** Names of the node's true conditions other than Ready (e.g. DiskPressure), sorted. */
  conditions: string[];
  /** Firing alerts attributed to this node, by severity. */
  alerts: AlertCounts;
}

/** The answer to one of the user's named queries (`queries:` in the config). */
export interface QueryResult {
  /** The number, or null when the query failed or did not give exactly one number. */
  value: number | null;
  /** `#rrggbb` from the query's thresholds; absent when no threshold applies or on error. */
  color?: string;
  /** Why there is no number (names the query); absent when `value` is a number. */
  error?: string;
}

/** One cluster's block of a Snapshot with `clusters:` (SPEC §3c): its own unit of truth. */
export interface ClusterSnapshot {
  /** The cluster label's value. */
  name: string;
  /** The name shown to people, from the config; absent when none is set. */
  displayName?: string;
  /** Nodes in display order. */
  nodes: NodeSnapshot[];
  /** Pods of this cluster not bound to any node. */
  unscheduled: StateCounts;
  /** Firing alerts of this cluster not attributable to one of its nodes, by severity. */
  alerts: AlertCounts;
  /** Seconds from this cluster's newest kube-state-metrics sample to the evaluation, on the server's clock; null with no data. */
  dataAgeSeconds: number | null;
  /** True when this cluster's data is older than staleAfter (or missing): its LEDs dim and are marked. */
  stale: boolean;
}

/** What one poll knows about the cluster: the JSON contract of SPEC §4 and §4b. */
export interface Snapshot {
  /** ISO 8601 time of the poll. */
  time: string;
  /** Nodes in display order. */
  nodes: NodeSnapshot[];
  /** Pods not bound to any node. */
  unscheduled: StateCounts;
  /** Firing alerts not attributable to a shown node, by severity. */
  alerts: AlertCounts;
  /** The user's named queries, by name (`{}` when none are configured). */
  queries: Record<string, QueryResult>;
  /**
   * With `clusters:` only (SPEC §3c): one block per cluster in display order. `nodes` and
   * `unscheduled` above then hold every cluster's nodes and pods together (for consumers that
   * read one list; the JSON contract leaves them out, see snapshotJson), and `alerts` the
   * firing alerts that carry no cluster label.
   */
  clusters?: ClusterSnapshot[];
}

/** The label a cluster shows under: its display name, else its label value. */
export function clusterTitle(c: Pick<ClusterSnapshot, 'name' | 'displayName'>): string {
  return c.displayName ?? c.name;
}

/** The JSON contract of a Snapshot with `clusters:` (SPEC §3c): each node listed once, inside its cluster. */
export interface ClustersSnapshotJson {
  time: string;
  clusters: ClusterSnapshot[];
  /** Firing alerts that carry no cluster label. */
  alerts: AlertCounts;
  queries: Record<string, QueryResult>;
}

/** The Snapshot as its JSON contract (SPEC §4, §3c): itself without clusters; with clusters `{time, clusters, alerts, queries}`. */
export function snapshotContract(s: Snapshot): Snapshot | ClustersSnapshotJson {
  if (!s.clusters) return s;
  return { time: s.time, clusters: s.clusters, alerts: s.alerts, queries: s.queries };
}

/**
 * A Snapshot with clusters whose flat `nodes` and `unscheduled` are rebuilt from its blocks
 * (after a cluster block was added, replaced or marked).
 */
export function withClusters(s: Omit<Snapshot, 'nodes' | 'unscheduled' | 'clusters'>, clusters: ClusterSnapshot[]): Snapshot {
  const unscheduled = emptyCounts();
  for (const c of clusters) for (const k of POD_STATES) unscheduled[k] += c.unscheduled[k];
  return { time: s.time, nodes: clusters.flatMap((c) => c.nodes), unscheduled, alerts: s.alerts, queries: s.queries, clusters };
}
