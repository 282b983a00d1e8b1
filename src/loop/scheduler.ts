import type { ScheduledTask } from 'node-cron';
import { nodeCron } from './nodeCron.js';
import { DURATION_RE, parseDuration } from '../config/duration.js';
import { AUTO_INTERVAL } from '../config/schema.js';
import type { Logger } from '../log.js';
import { cronLogger, cronPeriodMs } from './cron.js';

/** A running poll schedule. */
export interface PollSchedule {
  /** Time between two polls (for a cron expression: the longest gap among its next runs). */
  readonly periodMs: number;
  /** How the schedule runs, for the start-up log line. */
  readonly description: string;
  /** How often new data lands, as observed (ms; schedules that follow the data), or null. */
  landsEveryMs?(): number | null;
  stop(): void;
}

/** How schedulePolls runs. */
export interface ScheduleOptions {
  /** IANA zone of a cron expression (default the process' zone). */
  timezone?: string;
  /** Monotonic milliseconds; default performance.now (tests may pass their own). */
  now?: () => number;
}

/**
 * The period `interval: auto` stands for in the defaults derived from the interval (staleAfter,
 * the wedge limit): the slowest scrape it is made to follow, kube-prometheus' 30 s.
 */
export const AUTO_PERIOD_MS = 30_000;

/** What `interval: auto` means for a source that cannot tell when data lands (the demo): today's fixed grid. */
export const AUTO_FALLBACK_INTERVAL = '10s';

/** Milliseconds between polls for an `interval` setting: a duration, a cron expression's period, or AUTO_PERIOD_MS for `auto`. */
export function intervalMs(interval: string, timezone?: string): number {
  if (interval === AUTO_INTERVAL) return AUTO_PERIOD_MS;
  return DURATION_RE.test(interval) ? parseDuration(interval) : cronPeriodMs(interval, timezone);
}

/** setTimeout's longest delay (about 24.8 days); longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `tick` once right away, then on the configured `interval`:
 * - a duration (`10s`) runs on the monotonic clock: each poll is armed when the previous one
 *   has ended, for the next slot of a fixed grid (start + k × interval), so the rate holds
 *   without drift, slots missed by a slow poll are skipped, and wall-clock steps (DST, NTP,
 *   `date`) change nothing;
 * - a cron expression runs on the wall clock in `timezone` (node-cron, `noOverlap`).
 * A tick never starts while the previous one still runs.
 */
export function schedulePolls(
  interval: string,
  tick: () => Promise<void>,
  log: Logger,
  opts: ScheduleOptions = {},
): PollSchedule {
  const safeTick = (): Promise<void> => tick().catch((e: unknown) => log.error({ err: e }, 'poll tick failed'));
  if (DURATION_RE.test(interval))
    return monotonic(parseDuration(interval), safeTick, opts.now ?? (() => performance.now()), interval);
  void safeTick();
  const task: ScheduledTask = nodeCron().schedule(interval, safeTick, {
    noOverlap: true,
    logger: cronLogger(log),
    name: 'poll',
    ...(opts.timezone ? { timezone: opts.timezone } : {}),
  });
  return {
    periodMs: intervalMs(interval, opts.timezone),
    description: `cron "${interval}"${opts.timezone ? ` in ${opts.timezone}` : ''}`,
    stop: () => void task.destroy(),
  };
}

/** `tick` never rejects (schedulePolls logs its errors). */
function monotonic(ms: number, tick: () => Promise<void>, now: () => number, interval: string): PollSchedule {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const wait = (until: number, then: () => void): void => {
    if (stopped) return;
    const left = until - now();
    if (left > MAX_TIMER_MS) timer = setTimeout(() => wait(until, then), MAX_TIMER_MS);
    else timer = setTimeout(then, Math.max(0, left));
  };
  const run = (slot: number): void => {
    if (stopped) return;
    void tick().finally(() => {
      if (stopped) return;
      const t = now();
      let next = slot + ms;
      // Slots missed while the poll ran are skipped, not queued.
      if (next < t) next += Math.ceil((t - next) / ms) * ms;
      wait(next, () => run(next));
    });
  };
  run(now());
  return {
    periodMs: ms,
    description: `every ${interval} (monotonic clock)`,
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
