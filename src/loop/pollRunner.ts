import { formatDuration } from '../config/duration.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Snapshot } from '../snapshot.js';
import type { DataTime, Reading, Source } from '../source/source.js';
import { PollError, toPollError } from '../source/errors.js';

/** What one poll ended with: a snapshot (with the age of its data where the source knows it) or the reason it failed. */
export type PollOutcome =
  { snapshot: Snapshot; data?: DataTime; error?: undefined } | { snapshot?: undefined; data?: undefined; error: PollError };

/** What the runner needs. */
export interface PollRunnerOptions {
  source: Source;
  /** A poll still unanswered this long after it started is abandoned (ms). */
  deadlineMs: number;
  metrics: Metrics;
  log: Logger;
  /** Receives the outcome of each poll exactly once, never a late or superseded one. */
  onOutcome: (outcome: PollOutcome) => void;
  /** Monotonic milliseconds; default performance.now. */
  now?: () => number;
}

/** Longest wait in stop() for a poll that does not honour its AbortSignal. */
const ABORT_GRACE_MS = 1000;

interface Poll {
  generation: number;
  abort: AbortController;
  /** Settles when the poll is decided: answered, failed, abandoned or stopped. */
  decided: Promise<void>;
  decide: () => void;
  deadline: NodeJS.Timeout;
  /** Settles when the source itself has answered (it may never, if it ignores aborts). */
  answered: Promise<unknown>;
}

/**
 * Runs one poll at a time against the source with a hard deadline. The poll's outcome is
 * decided by whichever comes first, the source's answer or the deadline, whatever the
 * source does with the abort signal; every poll has a generation number, and only the
 * current generation's first outcome is delivered, so a late answer never paints an old
 * state. Counts podglow_polls_total, podglow_poll_errors_total, the poll duration histogram
 * and the last-success timestamp.
 */
export class PollRunner {
  /** Late answers discarded so far (snapshots that came after their poll was decided). */
  discarded = 0;
  private generation = 0;
  private current: Poll | null = null;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly opts: PollRunnerOptions) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** Starts a poll unless one is running (then returns that one); resolves when it is decided. */
  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.current) {
      this.opts.log.debug('previous poll still running; skipping this one');
      return this.current.decided;
    }
    const generation = ++this.generation;
    const abort = new AbortController();
    const started = this.now();
    let decide!: () => void;
    const decided = new Promise<void>((r) => (decide = r));
    const settle = (outcome: PollOutcome, late: boolean): void => {
      if (this.current?.generation !== generation) {
        // Decided already (deadline, stop) or superseded: this answer describes the past.
        // A rejection after our own abort is the source letting go, not an answer.
        if (late && !(abort.signal.aborted && outcome.error)) {
          this.discarded++;
          this.opts.log.debug({ generation, current: this.generation }, 'discarding the late answer of an abandoned poll');
        }
        return;
      }
      clearTimeout(deadline);
      this.current = null;
      if (!this.stopped) this.record(outcome, (this.now() - started) / 1000);
      decide();
    };
    const deadline = setTimeout(() => {
      const e = new PollError('timeout', `poll took longer than ${formatDuration(this.opts.deadlineMs)}; abandoned`);
      abort.abort(e);
      settle({ error: e }, false);
    }, this.opts.deadlineMs);
    const poll: Poll = { generation, abort, decided, decide, deadline, answered: Promise.resolve() };
    this.current = poll;
    try {
      const source = this.opts.source;
      const reading: Promise<Reading> = source.read
        ? source.read(abort.signal)
        : source.poll(abort.signal).then((snapshot) => ({ snapshot }));
      poll.answered = reading.then(
        (r) => settle(r.data ? { snapshot: r.snapshot, data: r.data } : { snapshot: r.snapshot }, true),
        (e: unknown) =>
          settle(
            { error: abort.signal.aborted && abort.signal.reason instanceof PollError ? abort.signal.reason : toPollError(e) },
            true,
          ),
      );
    } catch (e) {
      // A source that throws instead of rejecting.
      settle({ error: toPollError(e) }, true);
    }
    return decided;
  }

  private record(outcome: PollOutcome, seconds: number): void {
    const { metrics, log } = this.opts;
    metrics.pollDuration.observe(seconds);
    if (outcome.snapshot) {
      metrics.polls.inc({ result: 'success' });
      metrics.lastSuccess.set(Date.now() / 1000);
    } else {
      metrics.polls.inc({ result: 'failure' });
      metrics.pollErrors.inc({ reason: outcome.error.reason });
    }
    try {
      this.opts.onOutcome(outcome);
    } catch (e) {
      log.error({ err: e }, 'handling a poll outcome failed');
    }
  }

  /**
   * Aborts the poll in flight (nothing is delivered afterwards) and waits up to a second
   * for the source to let go of it. Idempotent.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const poll = this.current;
    if (!poll) return;
    this.current = null;
    poll.abort.abort(new PollError('aborted', 'shutting down'));
    clearTimeout(poll.deadline);
    poll.decide();
    let t: NodeJS.Timeout | undefined;
    await Promise.race([poll.answered, new Promise<void>((r) => (t = setTimeout(r, ABORT_GRACE_MS)))]);
    clearTimeout(t);
  }
}
