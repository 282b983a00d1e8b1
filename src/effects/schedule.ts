import { schedule as cronSchedule, type ScheduledTask } from 'node-cron';
import type { Logger } from '../log.js';
import { cronLogger, previousRun } from '../loop/cron.js';

/** One brightness schedule entry: from each time `cron` fires, use `brightness`. */
export interface ScheduleEntry {
  cron: string;
  brightness: number;
}

/**
 * The brightness of the entry that fired most recently at or before `now`, or undefined
 * when none fired in the last year (then the output's own brightness applies). On a tie
 * the later entry in the list wins.
 */
export function scheduledBrightness(entries: readonly ScheduleEntry[], now: Date): number | undefined {
  let best: { at: number; brightness: number } | undefined;
  for (const e of entries) {
    const at = previousRun(e.cron, now)?.getTime();
    if (at !== undefined && (!best || at >= best.at)) best = { at, brightness: e.brightness };
  }
  return best?.brightness;
}

/** Runs an output's brightness schedule with node-cron, calling `onChange` when an entry fires. */
export class BrightnessSchedule {
  private tasks: ScheduledTask[] = [];

  constructor(
    private readonly entries: readonly ScheduleEntry[],
    private readonly onChange: (brightness: number) => void,
    private readonly log: Logger,
    /** IANA time zone the cron expressions run in; default node-cron's (TZ, else the system's). */
    private readonly timezone?: string,
  ) {}

  /** Brightness that applies at `now` according to the schedule, if any. */
  current(now: Date = new Date()): number | undefined {
    return scheduledBrightness(this.entries, now);
  }

  /** Starts one cron task per entry; idempotent. */
  start(): void {
    if (this.tasks.length || !this.entries.length) return;
    const logger = cronLogger(this.log);
    this.tasks = this.entries.map((e) =>
      cronSchedule(e.cron, () => this.onChange(e.brightness), { logger, name: `brightness ${e.cron}`, ...(this.timezone ? { timezone: this.timezone } : {}) }),
    );
  }

  /** Stops and forgets every cron task. */
  stop(): void {
    for (const t of this.tasks) void t.destroy();
    this.tasks = [];
  }
}
