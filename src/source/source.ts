import type { Snapshot } from '../snapshot.js';

/** Anything that can produce snapshots: the Prometheus source or the demo cluster. */
export interface Source {
  /** One poll; rejects with a PollError (src/source/errors.ts) when it fails. */
  poll(signal?: AbortSignal): Promise<Snapshot>;
  /** Releases timers and sockets; idempotent. */
  close?(): Promise<void> | void;
}
