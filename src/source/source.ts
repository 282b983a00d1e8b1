import type { Snapshot } from '../snapshot.js';

/**
 * Where the newest data stands, on the server's clock (SPEC §3b): what a probe or a full
 * poll learned about when kube-state-metrics samples last landed.
 */
export interface DataTime {
  /** When the server evaluated the query (ms since epoch, its clock). */
  evaluatedAt: number;
  /** The newest kube-state-metrics sample of the lane read (ms, server clock); null when there is none. */
  newestSample: number | null;
  /**
   * The time whose advance means there is something new to poll: the newest KSM sample, or
   * with `prometheus.recordingRule` the newest recorded sample (the rule's last evaluation).
   */
  watermark: number | null;
  /** The `job` (lane) read, or null when podglow reads every job (no lane pinned). */
  lane: string | null;
}

/** A snapshot and, where the source knows it, the age of the data behind it. */
export interface Reading {
  snapshot: Snapshot;
  data?: DataTime;
}

/** Anything that can produce snapshots: the Prometheus source or the demo cluster. */
export interface Source {
  /** One poll; rejects with a PollError (src/source/errors.ts) when it fails. */
  poll(signal?: AbortSignal): Promise<Snapshot>;
  /** One poll with the age of its data; sources without it are read through poll(). */
  read?(signal?: AbortSignal): Promise<Reading>;
  /** One cheap query for where the newest data is; sources without it are polled on a fixed grid. */
  probe?(signal?: AbortSignal): Promise<DataTime>;
  /** Releases timers and sockets; idempotent. */
  close?(): Promise<void> | void;
}
