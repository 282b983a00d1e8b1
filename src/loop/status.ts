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

/** How old the data shown is (SPEC §3b), for `/api/state`, the preview header and the terminal line. */
export interface DataAge {
  /** Age now (ms): the server's evaluation time minus the newest kube-state-metrics sample, plus the time since that poll. */
  ageMs: number;
  /** The newest sample's time (epoch ms, on the server's clock). */
  sampleTime: number;
  /** The lane (scrape job) read, or null for every job. */
  lane: string | null;
  /** How often new data lands, as podglow observed it (ms), or null when not known. */
  landsEveryMs: number | null;
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
  /** The data's age, when the source knows it (absent or null otherwise). */
  dataAge?(): DataAge | null;
  outputs(): OutputView[];
  /** Subscribes to displayed-frame changes; returns the unsubscribe function. */
  onFrame(listener: (output: OutputView) => void): () => void;
}

export type { Frame };
