import type { Snapshot } from '../snapshot.js';
import type { Frame } from '../frame.js';
import type { OutputView } from '../effects/view.js';

// Defined beside the effects that produce it; re-exported for the server and the loop.
export type { OutputView };

/** Why the display is not live: before the first good poll, or stale. */
export interface Readiness {
  ready: boolean;
  /** e.g. "waiting for the first successful poll", "stale: no good poll for 35s (last error: connection refused)". */
  reason?: string;
}

/** Whether the process is alive for `/healthz`: false when polling has wedged (SPEC §6). */
export interface Health {
  ok: boolean;
  /** e.g. "polling has wedged: no poll has finished for 1m5s (limit 45s)". */
  reason?: string;
}

/**
 * The controller as the HTTP server sees it: read-only state plus a frame event.
 * Implemented by the poll loop (src/loop/controller.ts).
 */
export interface StatusView {
  /** Last good snapshot, or null before the first. */
  snapshot(): Snapshot | null;
  /** Time of the last good poll, or null. */
  lastGoodPoll(): Date | null;
  /** Message of the last failed poll since the last good one, or null. */
  lastError(): string | null;
  readiness(): Readiness;
  /** Liveness for `/healthz`; absent means always alive. */
  health?(): Health;
  stale(): boolean;
  outputs(): OutputView[];
  /** Subscribes to displayed-frame changes; returns the unsubscribe function. */
  onFrame(listener: (output: OutputView) => void): () => void;
}

export type { Frame };
