import type { Logger as CronLogger } from 'node-cron';
import { nodeCron } from './nodeCron.js';
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

/** The longest gap between the next few runs of a cron expression in `timeZone`, in milliseconds. */
export function cronPeriodMs(expr: string, timeZone?: string): number {
  const task = nodeCron().createTask(expr, () => undefined, timeZone ? { timezone: timeZone } : {});
  try {
    const runs = task.getNextRuns(5);
    let gap = 0;
    for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i]!.getTime() - runs[i - 1]!.getTime());
    return gap;
  } finally {
    void task.destroy();
  }
}

/** Wall-clock fields of an instant in one time zone (month 0-based, as Date uses). */
interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock fields of `t` in `timeZone` (undefined: the process' local zone). */
export function wallTime(t: Date, timeZone?: string): WallTime {
  if (!timeZone) {
    return {
      year: t.getFullYear(),
      month: t.getMonth(),
      day: t.getDate(),
      hour: t.getHours(),
      minute: t.getMinutes(),
      second: t.getSeconds(),
    };
  }
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { year: p.year!, month: p.month! - 1, day: p.day!, hour: p.hour!, minute: p.minute!, second: p.second! };
}

const asUtc = (w: WallTime): number => Date.UTC(w.year, w.month, w.day, w.hour, w.minute, w.second);

/**
 * Every instant whose wall clock in `timeZone` reads `w`: none in a daylight-saving gap,
 * two in the repeated hour of a fall-back, otherwise one; in ascending order.
 */
export function instantsAt(w: WallTime, timeZone?: string): Date[] {
  const guess = asUtc(w);
  // The zone's UTC offsets a day either side: a wall time maps through one of them.
  const offsets = new Set([-86_400_000, 0, 86_400_000].map((d) => asUtc(wallTime(new Date(guess + d), timeZone)) - (guess + d)));
  const out = new Set<number>();
  for (const off of offsets) {
    const t = guess - off;
    if (asUtc(wallTime(new Date(t), timeZone)) === guess) out.add(t);
  }
  return [...out].sort((a, b) => a - b).map((t) => new Date(t));
}

const desc = (xs: readonly (number | string)[]): number[] =>
  xs.filter((x): x is number => typeof x === 'number').sort((a, b) => b - a);

/**
 * The latest time at or before `now` when `expr` fired in `timeZone` (default the local
 * zone), looking back at most `lookbackDays` days; null when it did not fire in that window.
 * In a fall-back's repeated hour the later occurrence counts; a time a spring-forward skips
 * never fired.
 */
export function previousRun(expr: string, now: Date, lookbackDays = 400, timeZone?: string): Date | null {
  const fields = nodeCron().parse(expr);
  const hours = desc(fields.hour);
  const minutes = desc(fields.minute);
  const seconds = desc(fields.second);
  // The day fields (L, W, nth weekday) are only checked through node-cron's own matcher.
  const task = nodeCron().createTask(expr, () => undefined, timeZone ? { timezone: timeZone } : {});
  const today = wallTime(now, timeZone);
  try {
    for (let d = 0; d <= lookbackDays; d++) {
      const date = new Date(Date.UTC(today.year, today.month, today.day - d));
      const day = { year: date.getUTCFullYear(), month: date.getUTCMonth(), day: date.getUTCDate() };
      const found = latestInDay(day, now, d === 0 ? today.hour : null, hours, minutes, seconds, timeZone, (t) => task.match(t));
      if (found) return found;
    }
    return null;
  } finally {
    void task.destroy();
  }
}

/** The latest run on one calendar day at or before `now`, or null (none, or the day fields do not match). */
function latestInDay(
  day: { year: number; month: number; day: number },
  now: Date,
  nowHour: number | null,
  hours: number[],
  minutes: number[],
  seconds: number[],
  timeZone: string | undefined,
  match: (t: Date) => boolean,
): Date | null {
  for (const hour of hours) {
    // Later hours of today are still to come, except the hour a fall-back repeats.
    if (nowHour !== null && hour > nowHour + 1) continue;
    if (nowHour !== null && hour > nowHour) {
      const first = instantsAt({ ...day, hour, minute: minutes.at(-1)!, second: seconds.at(-1)! }, timeZone);
      if (first.length && first.every((t) => t > now)) continue;
    }
    let found: Date | undefined;
    for (const minute of minutes) {
      for (const second of seconds) {
        const at = instantsAt({ ...day, hour, minute, second }, timeZone);
        if (found) {
          // In the repeated hour, a smaller wall time on the second pass is later than the
          // first-pass time found so far.
          if (at.length === 2 && at[1]! <= now) return match(at[1]!) ? at[1]! : null;
          continue;
        }
        const t = at.filter((x) => x <= now).at(-1);
        if (!t) continue;
        // Same day, same time fields: a mismatch can only come from the day fields.
        if (at.length < 2 || t === at[1]) return match(t) ? t : null;
        found = t;
      }
    }
    if (found) return match(found) ? found : null;
  }
  return null;
}
