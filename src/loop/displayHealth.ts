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
  /** Data older than this is stale even when polls succeed (ms; SPEC §3b); default staleAfterMs. */
  dataStaleAfterMs?: number;
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
  /** Why the display went stale: no good poll, or old data in good ones. */
  private staleWhy: 'polls' | 'data' = 'polls';
  /** The data's age (server clock) at the last good poll that knew it, and when that was (monotonic). */
  private dataAgeAt: { ageMs: number; at: number } | null = null;
  private staleTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly startedAt: number;

  constructor(private readonly opts: DisplayHealthOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.startedAt = this.now();
  }

  /**
   * A good poll: live again and the stale timer re-armed, unless its data (`dataAgeMs` old on
   * the server's clock; null when the source does not know) is older than dataStaleAfterMs.
   * Returns whether this is a recovery (stale or failing before, live now).
   */
  good(dataAgeMs: number | null = null): boolean {
    const before = this.isStale || this.lastErr !== null;
    const t = this.now();
    this.lastGoodAt = this.lastFinishedAt = t;
    this.lastGoodWall = new Date();
    this.lastErr = null;
    this.isStale = false;
    this.dataAgeAt = dataAgeMs === null ? null : { ageMs: Math.max(0, dataAgeMs), at: t };
    this.opts.metrics.stale.set(0);
    clearTimeout(this.staleTimer);
    this.staleTimer = setTimeout(() => this.markStale('polls'), this.opts.staleAfterMs);
    this.checkData();
    return before && !this.isStale;
  }

  /**
   * Stale when the data shown has grown older than dataStaleAfterMs (SPEC §3b): checked at
   * every good poll and, when following the data, at every probe, so a backend that keeps
   * answering with old samples goes stale while its polls succeed.
   */
  checkData(): void {
    const age = this.dataAge();
    if (age !== null && age > this.dataStaleAfterMs && !this.isStale && this.lastGoodAt !== null) this.markStale('data');
  }

  private get dataStaleAfterMs(): number {
    return this.opts.dataStaleAfterMs ?? this.opts.staleAfterMs;
  }

  /** How old the data shown is now (ms): its age at the last good poll plus the monotonic time since; null when unknown. */
  dataAge(): number | null {
    return this.dataAgeAt ? this.dataAgeAt.ageMs + (this.now() - this.dataAgeAt.at) : null;
  }

  /** A failed poll; "no kube-state-metrics data" makes the display stale at once. */
  failed(e: PollError): void {
    this.lastFinishedAt = this.now();
    const repeated = this.lastErr?.message === e.message;
    this.lastErr = e;
    if (repeated) this.opts.log.debug({ reason: e.reason }, `poll failed: ${e.message}`);
    else this.opts.log.warn({ reason: e.reason }, `poll failed: ${e.message}`);
    // An empty answer is not an empty cluster: showing it as fresh would lie.
    if (e.reason === 'no_ksm_data') this.markStale('polls');
  }

  private markStale(why: 'polls' | 'data'): void {
    clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
    if (this.stopped) return;
    this.opts.metrics.stale.set(1);
    if (this.isStale || this.lastGoodAt === null) return;
    this.isStale = true;
    this.staleWhy = why;
    const dataAge = why === 'data' ? age(this.dataAge() ?? 0) : undefined;
    this.opts.log.warn(
      { lastGoodPoll: this.lastGoodWall?.toISOString(), lastError: this.lastErr?.message, dataAge },
      'display is stale',
    );
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
    if (this.isStale && this.staleWhy === 'data') {
      return {
        ready: false,
        reason: `stale: the newest kube-state-metrics data is ${age(this.dataAge() ?? 0)} old (limit ${formatDuration(this.dataStaleAfterMs)})${err}`,
      };
    }
    if (this.isStale) return { ready: false, reason: `stale: no good poll for ${age(this.now() - this.lastGoodAt)}${err}` };
    return { ready: true };
  }

  /** Alive unless no poll has been decided (answered, failed or abandoned) for wedgedAfterMs. */
  health(): Health {
    const since = this.lastFinishedAt ?? this.startedAt;
    const quiet = this.now() - since;
    if (quiet <= this.opts.wedgedAfterMs) return { ok: true };
    const what = this.lastFinishedAt === null ? 'no poll has finished since start-up' : 'no poll has finished';
    return {
      ok: false,
      reason: `polling has wedged: ${what} for ${age(quiet)} (limit ${formatDuration(this.opts.wedgedAfterMs)})`,
    };
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
