import type { StateCounts } from './states.js';

/** One node as seen in a poll (SPEC §4). */
export interface NodeSnapshot {
  name: string;
  /** Ready condition: true, false, or null when unknown / not reported. */
  ready: boolean | null;
  unschedulable: boolean;
  pods: StateCounts;
}

/** What one poll knows about the cluster: the JSON contract of SPEC §4. */
export interface Snapshot {
  /** ISO 8601 time of the poll. */
  time: string;
  /** Nodes in display order. */
  nodes: NodeSnapshot[];
  /** Pods not bound to any node. */
  unscheduled: StateCounts;
}

/** Anything that can produce snapshots: the Prometheus source or the demo cluster. */
export interface Source {
  /** One poll; rejects with a PollError (src/source/errors.ts) when it fails. */
  poll(signal?: AbortSignal): Promise<Snapshot>;
  /** Releases timers and sockets; idempotent. */
  close?(): Promise<void> | void;
}

/** Natural order for node names: `node-2` before `node-10`. */
export const naturalCompare = new Intl.Collator('en', { numeric: true, sensitivity: 'base' }).compare;

/** Sorts node names: those in `order` first (in that order), the rest in natural order. */
export function sortNodeNames(names: Iterable<string>, order: readonly string[] = []): string[] {
  const rank = new Map(order.map((n, i) => [n, i]));
  return [...names].sort((a, b) => {
    const ra = rank.get(a);
    const rb = rank.get(b);
    if (ra !== undefined || rb !== undefined) return (ra ?? Infinity) - (rb ?? Infinity);
    return naturalCompare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
  });
}
