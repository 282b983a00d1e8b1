import { describe, expect, it } from 'vitest';
import { cronPeriodMs, intervalToCron, previousRun } from '../../src/loop/cron.js';
import { intervalMs } from '../../src/loop/scheduler.js';
import { scheduledBrightness } from '../../src/effects/schedule.js';

describe('intervalToCron', () => {
  it('turns durations that divide a minute, an hour or a day into clock-aligned cron expressions', () => {
    expect(intervalToCron(10_000)).toBe('*/10 * * * * *');
    expect(intervalToCron(1000)).toBe('*/1 * * * * *');
    expect(intervalToCron(30_000)).toBe('*/30 * * * * *');
    expect(intervalToCron(60_000)).toBe('0 */1 * * * *');
    expect(intervalToCron(15 * 60_000)).toBe('0 */15 * * * *');
    expect(intervalToCron(3600_000)).toBe('0 0 */1 * * *');
    expect(intervalToCron(6 * 3600_000)).toBe('0 0 */6 * * *');
    expect(intervalToCron(24 * 3600_000)).toBe('0 0 0 * * *');
  });

  it('returns null when no cron expression fires exactly every interval', () => {
    for (const ms of [500, 1500, 7000, 45_000, 90_000, 7 * 60_000, 5 * 3600_000, 48 * 3600_000]) expect(intervalToCron(ms)).toBeNull();
  });
});

describe('intervalMs', () => {
  it('reads durations and the period of cron expressions', () => {
    expect(intervalMs('10s')).toBe(10_000);
    expect(intervalMs('1m30s')).toBe(90_000);
    expect(intervalMs('*/15 * * * * *')).toBe(15_000);
    expect(cronPeriodMs('*/5 * * * *')).toBe(300_000);
  });
});

describe('previousRun', () => {
  const now = new Date(2026, 10, 21, 12, 30, 15); // a Saturday

  it('finds the latest run today, yesterday, or further back', () => {
    expect(previousRun('0 7 * * *', now)).toEqual(new Date(2026, 10, 21, 7, 0, 0));
    expect(previousRun('0 22 * * *', now)).toEqual(new Date(2026, 10, 20, 22, 0, 0));
    expect(previousRun('*/15 * * * *', now)).toEqual(new Date(2026, 10, 21, 12, 30, 0));
    expect(previousRun('30 12 * * *', now)).toEqual(new Date(2026, 10, 21, 12, 30, 0));
    expect(previousRun('20 30 12 * * *', now)).toEqual(new Date(2026, 10, 20, 12, 30, 20));
    // Weekdays only: Friday evening.
    expect(previousRun('0 18 * * 1-5', now)).toEqual(new Date(2026, 10, 20, 18, 0, 0));
    // Last day of the month: 31 October.
    expect(previousRun('0 9 L * *', now)).toEqual(new Date(2026, 9, 31, 9, 0, 0));
    expect(previousRun('0 0 1 1 *', now)).toEqual(new Date(2026, 0, 1, 0, 0, 0));
  });

  it('counts a run exactly at `now`', () => {
    expect(previousRun('0 7 * * *', new Date(2026, 10, 21, 7, 0, 0))).toEqual(new Date(2026, 10, 21, 7, 0, 0));
  });

  it('returns null when nothing fired within the look-back window', () => {
    expect(previousRun('0 0 29 2 *', new Date(2026, 10, 21), 30)).toBeNull();
  });
});

describe('scheduledBrightness', () => {
  const entries = [
    { cron: '0 22 * * *', brightness: 0.1 },
    { cron: '0 7 * * *', brightness: 0.8 },
  ];

  it('takes the entry that fired most recently', () => {
    expect(scheduledBrightness(entries, new Date(2026, 10, 21, 23, 0))).toBe(0.1);
    expect(scheduledBrightness(entries, new Date(2026, 10, 21, 3, 0))).toBe(0.1);
    expect(scheduledBrightness(entries, new Date(2026, 10, 21, 7, 0))).toBe(0.8);
    expect(scheduledBrightness(entries, new Date(2026, 10, 21, 21, 59, 59))).toBe(0.8);
    expect(scheduledBrightness([], new Date())).toBeUndefined();
  });
});
