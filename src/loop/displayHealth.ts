import { formatDuration } from '../config/duration.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { PollError } from '../source/errors.js';
import type { Health, Readiness } from './status.js';

/** What display health needs. */
export interface DisplayHealthOptions {
  /** No good poll for this long means the data is stale (ms). */
  staleAfterMs: number;
  /** No poll decided for this long means polling has wedged (ms; SPEC §6). */
  wedgedAfterMs: number;
  metrics: Metrics;
  log: Logger;
  /** Called once each time the display turns stale. */
  onStale: () => void;
  /** Monotonic milliseconds; default performance.now. */
  now?: () => number;
}

/**
 * The one state `/readyz`, `/healthz`, podglow_data_stale and the stale display share:
 * when the last good poll was, the last error since, and whether the display is stale.
 * Every age is taken on the monotonic clock, so a wall-clock step never makes the display
 * stale or fresh by itself; the wall time of the last good poll is kept for display only.
 */
export class DisplayHealth {
  private lastGoodAt: number | null = null;
  private lastGoodWall: Date | null = null;
  private lastFinishedAt: number | null = null;
  private lastErr: PollError | null = null;
  private isStale = false;
  private staleTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly startedAt: number;

  constructor(private readonly opts: DisplayHealthOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.startedAt = this.now();
  }

  /** A good poll: live again, stale timer re-armed. Returns whether this is a recovery (stale or failing before). */
  good(): boolean {
    const recovered = this.isStale || this.lastErr !== null;
    this.lastGoodAt = this.lastFinishedAt = this.now();
    this.lastGoodWall = new Date();
    this.lastErr = null;
    this.isStale = false;
    this.opts.metrics.stale.set(0);
    clearTimeout(this.staleTimer);
    this.staleTimer = setTimeout(() => this.markStale(), this.opts.staleAfterMs);
    return recovered;
  }

  /** A failed poll; "no kube-state-metrics data" makes the display stale at once. */
  failed(e: PollError): void {
    this.lastFinishedAt = this.now();
    const repeated = this.lastErr?.message === e.message;
    this.lastErr = e;
    if (repeated) this.opts.log.debug({ reason: e.reason }, `poll failed: ${e.message}`);
    else this.opts.log.warn({ reason: e.reason }, `poll failed: ${e.message}`);
    // An empty answer is not an empty cluster: showing it as fresh would lie.
    if (e.reason === 'no_ksm_data') this.markStale();
  }

  private markStale(): void {
    clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
    if (this.stopped) return;
    this.opts.metrics.stale.set(1);
    if (this.isStale || this.lastGoodAt === null) return;
    this.isStale = true;
    this.opts.log.warn({ lastGoodPoll: this.lastGoodWall?.toISOString(), lastError: this.lastErr?.message }, 'display is stale');
    this.opts.onStale();
  }

  stale(): boolean {
    return this.isStale;
  }

  /** Wall time of the last good poll, for display (nothing decides on it). */
  lastGoodPoll(): Date | null {
    return this.lastGoodWall;
  }

  lastError(): string | null {
    return this.lastErr?.message ?? null;
  }

  /** Before the first good poll, or stale: not ready, with the reason and a monotonic age. */
  readiness(): Readiness {
    const err = this.lastErr ? ` (last error: ${this.lastErr.message})` : '';
    if (this.lastGoodAt === null) return { ready: false, reason: `waiting for the first successful poll${err}` };
    if (this.isStale) return { ready: false, reason: `stale: no good poll for ${age(this.now() - this.lastGoodAt)}${err}` };
    return { ready: true };
  }

  /** Alive unless no poll has been decided (answered, failed or abandoned) for wedgedAfterMs. */
  health(): Health {
    const since = this.lastFinishedAt ?? this.startedAt;
    const quiet = this.now() - since;
    if (quiet <= this.opts.wedgedAfterMs) return { ok: true };
    const what = this.lastFinishedAt === null ? 'no poll has finished since start-up' : 'no poll has finished';
    return { ok: false, reason: `polling has wedged: ${what} for ${age(quiet)} (limit ${formatDuration(this.opts.wedgedAfterMs)})` };
  }

  /** Stops the stale timer; nothing changes afterwards. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
  }
}

/** An age rounded to whole seconds, as `/readyz` words it. */
function age(ms: number): string {
  return formatDuration(Math.max(0, Math.round(ms / 1000) * 1000));
}
