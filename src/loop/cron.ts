import { createTask, parse, type Logger as CronLogger } from 'node-cron';
import type { Logger } from '../log.js';

/** Routes node-cron's own messages (missed or blocked runs) into the process log. */
export function cronLogger(log: Logger): CronLogger {
  return {
    info: (m) => log.debug({ cron: true }, m),
    // Overlap and missed-run warnings are expected when a poll is slow; keep them out of warn.
    warn: (m) => log.debug({ cron: true }, m),
    error: (m, e) => log.error({ cron: true, err: e ?? m }, typeof m === 'string' ? m : m.message),
    debug: (m) => log.debug({ cron: true }, typeof m === 'string' ? m : m.message),
  };
}

/**
 * The six-field cron expression that fires exactly every `ms` milliseconds, aligned to the
 * clock, or null when none exists (sub-second intervals, or steps that do not divide a
 * minute, an hour or a day).
 */
export function intervalToCron(ms: number): string | null {
  if (ms <= 0 || ms % 1000 !== 0) return null;
  const s = ms / 1000;
  if (s < 60) return 60 % s === 0 ? `*/${s} * * * * *` : null;
  if (s % 60 !== 0) return null;
  const m = s / 60;
  if (m < 60) return 60 % m === 0 ? `0 */${m} * * * *` : null;
  if (m % 60 !== 0) return null;
  const h = m / 60;
  if (h < 24) return 24 % h === 0 ? `0 0 */${h} * * *` : null;
  return h === 24 ? '0 0 0 * * *' : null;
}

/** The longest gap between the next few runs of a cron expression, in milliseconds. */
export function cronPeriodMs(expr: string): number {
  const task = createTask(expr, () => undefined);
  try {
    const runs = task.getNextRuns(5);
    let gap = 0;
    for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i]!.getTime() - runs[i - 1]!.getTime());
    return gap;
  } finally {
    void task.destroy();
  }
}

const desc = (xs: readonly (number | string)[]): number[] =>
  xs.filter((x): x is number => typeof x === 'number').sort((a, b) => b - a);

/**
 * The latest time at or before `now` when `expr` fired (local time), looking back at most
 * `lookbackDays` days; null when it did not fire in that window.
 */
export function previousRun(expr: string, now: Date, lookbackDays = 400): Date | null {
  const fields = parse(expr);
  const hours = desc(fields.hour);
  const minutes = desc(fields.minute);
  const seconds = desc(fields.second);
  // The day fields (L, W, nth weekday) are only checked through node-cron's own matcher.
  const task = createTask(expr, () => undefined);
  try {
    for (let d = 0; d <= lookbackDays; d++) {
      const today = d === 0;
      const day = new Date(now.getFullYear(), now.getMonth(), now.getDate() - d);
      const found = latestInDay(day, today ? now : null, hours, minutes, seconds, (t) => task.match(t));
      if (found) return found;
    }
    return null;
  } finally {
    void task.destroy();
  }
}

function latestInDay(
  day: Date,
  limit: Date | null,
  hours: number[],
  minutes: number[],
  seconds: number[],
  match: (t: Date) => boolean,
): Date | null {
  for (const h of hours) {
    if (limit && h > limit.getHours()) continue;
    for (const m of minutes) {
      if (limit && h === limit.getHours() && m > limit.getMinutes()) continue;
      for (const s of seconds) {
        if (limit && h === limit.getHours() && m === limit.getMinutes() && s > limit.getSeconds()) continue;
        const t = new Date(day.getFullYear(), day.getMonth(), day.getDate(), h, m, s);
        // A daylight-saving gap moves the wall-clock time: try the next candidate.
        if (t.getHours() !== h || (limit && t > limit)) continue;
        // Same day, same time fields: a mismatch can only come from the day fields.
        return match(t) ? t : null;
      }
    }
  }
  return null;
}
