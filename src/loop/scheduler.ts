import { schedule as cronSchedule, type ScheduledTask } from 'node-cron';
import { DURATION_RE, parseDuration } from '../config/duration.js';
import type { Logger } from '../log.js';
import { cronLogger, cronPeriodMs, intervalToCron } from './cron.js';

/** A running poll schedule. */
export interface PollSchedule {
  /** Time between two polls (for a cron expression: the longest gap among its next runs). */
  readonly periodMs: number;
  /** How the schedule runs, for the start-up log line. */
  readonly description: string;
  stop(): void;
}

/** Milliseconds between polls for an `interval` setting: a duration, or a cron expression's period. */
export function intervalMs(interval: string): number {
  return DURATION_RE.test(interval) ? parseDuration(interval) : cronPeriodMs(interval);
}

/**
 * Calls `tick` on the configured `interval`: a duration (`10s`, run by node-cron on the
 * equivalent clock-aligned cron expression, or on a fixed-rate timer when no cron expression
 * fits, e.g. `7s` or `500ms`) or a cron expression. A tick is never started while the
 * previous one is still running: node-cron's `noOverlap`, and the fixed-rate timer skips
 * ticks while one runs.
 */
export function schedulePolls(interval: string, tick: () => Promise<void>, log: Logger): PollSchedule {
  const isDuration = DURATION_RE.test(interval);
  const cron = isDuration ? intervalToCron(parseDuration(interval)) : interval;
  if (cron !== null) {
    const task: ScheduledTask = cronSchedule(cron, () => tick(), {
      noOverlap: true,
      logger: cronLogger(log),
      name: 'poll',
    });
    return {
      periodMs: intervalMs(interval),
      description: isDuration ? `every ${interval} (cron "${cron}")` : `cron "${cron}"`,
      stop: () => void task.destroy(),
    };
  }
  return fixedRate(parseDuration(interval), tick, interval);
}

function fixedRate(ms: number, tick: () => Promise<void>, interval: string): PollSchedule {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let stopped = false;
  let next = Date.now() + ms;
  const arm = (): void => {
    if (stopped) return;
    timer = setTimeout(fire, Math.max(0, next - Date.now()));
  };
  const fire = (): void => {
    const now = Date.now();
    // Runs missed while the process was busy are skipped, not queued.
    next += ms * Math.max(1, Math.floor((now - next) / ms) + 1);
    if (!running) {
      running = tick().finally(() => {
        running = null;
      });
    }
    arm();
  };
  arm();
  return {
    periodMs: ms,
    description: `every ${interval}`,
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
