import type { Logger } from '../log.js';
import type { DataTime } from '../source/source.js';
import type { PollSchedule } from './scheduler.js';

/** What followData needs. */
export interface FollowOptions {
  /** The source's probe: where the newest data stands (src/source/freshness.ts). */
  probe: (signal: AbortSignal) => Promise<DataTime>;
  /** One full poll (the poll runner: deadline, generations); never rejects. */
  poll: () => Promise<void>;
  /** Called after every probe that answered (the display checks the age of its data). */
  onProbe?: () => void;
  /** Full polls start no closer than this (ms). */
  minIntervalMs: number;
  /** A full poll starts at least this often, new data or not (ms). */
  maxIntervalMs: number;
  /** A probe unanswered this long is abandoned, whatever it does with its abort signal (ms). */
  deadlineMs: number;
  log: Logger;
  /** Monotonic milliseconds; default performance.now. */
  now?: () => number;
}

/** Probe spacing while the landing rhythm is not known, or once a landing is late. */
export const PROBE_MS = 1000;
/** Probe spacing just around an expected landing. */
export const NEAR_MS = 250;
/** How long around an expected landing probes run NEAR_MS apart. */
const NEAR_WINDOW_MS = 2000;
/** Longest gap between probes while waiting for the next landing, so a shorter scrape interval is noticed. */
export const CHECK_MS = 5000;
/** Full polls while probes fail come no closer than this: what a failing backend cost before (the old 10 s grid). */
export const FAILING_POLL_MS = 10_000;
/** Without a rhythm, probes run PROBE_MS apart this long after the last landing (the slowest scrape expected), then CHECK_MS apart. */
const LEARN_MS = 60_000;
/** Landing gaps remembered; the rhythm is the smallest (every gap is a whole number of scrapes). */
const GAPS = 3;
/** Answer delays remembered (sample time to first answer, server clock). */
const LAGS = 5;

/**
 * Polls when new data has landed (SPEC §3b) instead of on a blind grid. A cheap probe (the
 * newest sample's `timestamp()`, on the server's clock) runs at the times new data can be
 * there, and a full poll starts as soon as the probe sees a newer sample: at most one full
 * poll per new scrape, and at least one every `maxIntervalMs`.
 *
 * The rhythm is locked onto the data: the smallest gap between landings seen (a whole number
 * of scrapes) is the scrape period P, and the delay from a sample's time to its first answer
 * is the lag. After a landing the probe sleeps until the next expected one (newest + P + lag,
 * on the monotonic clock, through the offset between server and local time the last answer
 * gave), then probes NEAR_MS apart; on the way it checks every CHECK_MS, so a period that
 * shrinks (30 s → 5 s) is seen within a scrape or two. A landing overdue by more than two
 * periods forgets the rhythm (the period grew, or data stopped): probes run PROBE_MS apart
 * for up to a minute after the last landing, then CHECK_MS apart while nothing lands. The first failed probe (or one that finds no
 * data) starts a full poll at once, which names the problem; while that lasts, one every
 * FAILING_POLL_MS. A new lane, or data that went back in time, starts a new rhythm. A probe
 * unanswered at `deadlineMs` is abandoned like a poll (SPEC §6) and counts as failed. One step at a time: a probe
 * or a poll never overlaps another.
 */
export function followData(opts: FollowOptions): PollSchedule {
  const now = opts.now ?? (() => performance.now());
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inflight: AbortController | null = null;
  /** Newest watermark seen (server ms), and the one the last full poll was started for. */
  let seen: number | null = null;
  let polledFor: number | null = null;
  /** Local (monotonic) minus server time, from the last answer. */
  let offset = 0;
  let gaps: number[] = [];
  const lags: number[] = [];
  let lastPollAt = -Infinity;
  let lastLandingAt = now();
  /** When the last probe found nothing new (monotonic), or null after a landing. */
  let lastMissAt: number | null = null;
  let lastProbeOk = true;
  /** The last probe answered without any data (no kube-state-metrics series). */
  let noData = false;
  /** The last probe failed or found no data; and it was the first to do so after good ones. */
  let hadTrouble = false;
  let firstTrouble = false;
  /** The lane the last probe read. */
  let lane: string | null = null;

  const period = (): number | null => (gaps.length ? Math.min(...gaps) : null);

  const fullPoll = async (): Promise<void> => {
    const wait = lastPollAt + opts.minIntervalMs - now();
    if (wait > 0) await sleep(wait);
    if (stopped) return;
    lastPollAt = now();
    polledFor = seen;
    await opts.poll();
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    });

  const probeOnce = async (): Promise<void> => {
    const abort = new AbortController();
    inflight = abort;
    let deadline: NodeJS.Timeout | undefined;
    try {
      const late = new Promise<never>((_, reject) => {
        deadline = setTimeout(() => {
          abort.abort();
          reject(new Error(`probe took longer than ${opts.deadlineMs} ms; abandoned`));
        }, opts.deadlineMs);
      });
      const d = await Promise.race([opts.probe(abort.signal), late]);
      const t = now();
      lastProbeOk = true;
      opts.onProbe?.();
      offset = t - d.evaluatedAt;
      noData = d.watermark === null;
      firstTrouble = noData && !hadTrouble;
      hadTrouble = noData;
      if (d.lane !== lane || (d.watermark !== null && seen !== null && d.watermark < seen)) {
        // Another lane, or a backend whose data went back (restored, replaced): a new rhythm.
        lane = d.lane;
        seen = null;
        gaps = [];
      }
      const landed = d.watermark !== null && (seen === null || d.watermark > seen);
      if (landed) {
        if (seen !== null) gaps = [...gaps, d.watermark! - seen].slice(-GAPS);
        // A miss just before bounds the delay to NEAR_MS; a first-try hit may have come late,
        // so the next probe aims a little earlier until a miss bounds it again.
        const bounded = lastMissAt !== null && t - lastMissAt <= NEAR_MS + 100;
        lags.push(Math.max(0, d.evaluatedAt - d.watermark! - (bounded ? 0 : NEAR_MS / 2)));
        if (lags.length > LAGS) lags.shift();
        seen = d.watermark;
        lastLandingAt = t;
      }
      lastMissAt = landed ? null : t;
    } catch (e) {
      if (stopped) return;
      if (lastProbeOk) opts.log.debug({ err: e }, 'probe failed; polling to name the error');
      lastProbeOk = false;
      firstTrouble = !hadTrouble;
      hadTrouble = true;
    } finally {
      clearTimeout(deadline);
      inflight = null;
    }
  };

  /** Milliseconds until the next probe. */
  const nextProbeIn = (): number => {
    const t = now();
    const p = period();
    let wait: number;
    if (p === null || seen === null) {
      // No rhythm yet (or forgotten): every PROBE_MS while a scrape may still come, then every CHECK_MS.
      wait = t - lastLandingAt < LEARN_MS ? PROBE_MS : CHECK_MS;
    } else {
      const lag = lags.length ? Math.min(...lags) : 0;
      // The lag is the smallest seen: this probe meets the landing, or one NEAR_MS later does.
      const expected = seen + p + lag + offset;
      const late = t - expected;
      if (late < 0) wait = Math.min(-late, CHECK_MS);
      else if (late > Math.max(2 * p, 2 * CHECK_MS)) {
        gaps = [];
        opts.log.debug({ periodMs: p }, 'expected data did not land; following afresh');
        wait = PROBE_MS;
      } else wait = late < NEAR_WINDOW_MS ? NEAR_MS : PROBE_MS;
    }
    return Math.max(0, Math.min(wait, lastPollAt + opts.maxIntervalMs - t));
  };

  const step = async (): Promise<void> => {
    if (stopped) return;
    await probeOnce();
    if (stopped) return;
    const t = now();
    const fresh = seen !== null && seen !== polledFor;
    // Failing, or answering without data: a full poll names the problem, at once and then every FAILING_POLL_MS.
    const failing = (!lastProbeOk || noData) && (firstTrouble || t - lastPollAt >= FAILING_POLL_MS);
    if (fresh || failing || t - lastPollAt >= opts.maxIntervalMs) await fullPoll();
    if (stopped) return;
    timer = setTimeout(() => void step().catch((e: unknown) => opts.log.error({ err: e }, 'poll step failed')), nextProbeIn());
  };

  void step().catch((e: unknown) => opts.log.error({ err: e }, 'poll step failed'));
  return {
    periodMs: opts.maxIntervalMs,
    description: `when new data lands (probing its timestamp; full polls ${opts.minIntervalMs / 1000}s to ${opts.maxIntervalMs / 1000}s apart)`,
    landsEveryMs: period,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      inflight?.abort();
    },
  };
}
