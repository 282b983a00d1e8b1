import type { StateCounts } from './states.js';

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
}
