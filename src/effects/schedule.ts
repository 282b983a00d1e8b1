import type { ScheduledTask } from 'node-cron';
import { nodeCron } from '../loop/nodeCron.js';
import type { Logger } from '../log.js';
import { cronLogger, previousRun } from '../loop/cron.js';

/** One brightness schedule entry: from each time `cron` fires, use `brightness`. */
export interface ScheduleEntry {
  cron: string;
  brightness: number;
}

/**
 * The brightness of the entry that fired most recently at or before `now`, or undefined
 * when none fired in the last year (then the output's own brightness applies), with the
 * cron expressions read in `timeZone` (default the local zone). On a tie the later entry
 * in the list wins.
 */
export function scheduledBrightness(entries: readonly ScheduleEntry[], now: Date, timeZone?: string): number | undefined {
  let best: { at: number; brightness: number } | undefined;
  for (const e of entries) {
    const at = previousRun(e.cron, now, 400, timeZone)?.getTime();
    if (at !== undefined && (!best || at >= best.at)) best = { at, brightness: e.brightness };
  }
  return best?.brightness;
}

/** Runs an output's brightness schedule with node-cron in `timeZone`, calling `onChange` when an entry fires. */
export class BrightnessSchedule {
  private tasks: ScheduledTask[] = [];

  constructor(
    private readonly entries: readonly ScheduleEntry[],
    private readonly onChange: (brightness: number) => void,
    private readonly log: Logger,
    private readonly timeZone?: string,
  ) {}

  /** Brightness that applies at `now` according to the schedule, if any. */
  current(now: Date = new Date()): number | undefined {
    return scheduledBrightness(this.entries, now, this.timeZone);
  }

  /** Starts one cron task per entry; idempotent. */
  start(): void {
    if (this.tasks.length || !this.entries.length) return;
    const logger = cronLogger(this.log);
    this.tasks = this.entries.map((e) =>
      nodeCron().schedule(e.cron, () => this.onChange(e.brightness), {
        logger,
        name: `brightness ${e.cron}`,
        ...(this.timeZone ? { timezone: this.timeZone } : {}),
      }),
    );
  }

  /** Stops and forgets every cron task. */
  stop(): void {
    for (const t of this.tasks) void t.destroy();
    this.tasks = [];
  }
}
