import { describe, expect, it } from 'vitest';
import { cronPeriodMs, instantsAt, previousRun } from '../../src/loop/cron.js';
import { intervalMs } from '../../src/loop/scheduler.js';
import { scheduledBrightness } from '../../src/effects/schedule.js';

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

describe('previousRun in a time zone (config `timezone`)', () => {
  // Europe/Berlin in the IANA tz database (Node's ICU): CEST → CET at 03:00 local on
  // 2026-10-25 (01:00Z), CET → CEST at 02:00 local on 2027-03-28 (01:00Z).
  const berlin = 'Europe/Berlin';

  it('maps a wall time to both instants of the repeated fall-back hour, and to none in the spring gap', () => {
    expect(instantsAt({ year: 2026, month: 9, day: 25, hour: 2, minute: 30, second: 0 }, berlin)).toEqual([
      new Date('2026-10-25T00:30:00Z'),
      new Date('2026-10-25T01:30:00Z'),
    ]);
    expect(instantsAt({ year: 2027, month: 2, day: 28, hour: 2, minute: 30, second: 0 }, berlin)).toEqual([]);
    expect(instantsAt({ year: 2026, month: 10, day: 21, hour: 12, minute: 0, second: 0 }, berlin)).toEqual([
      new Date('2026-11-21T11:00:00Z'),
    ]);
  });

  it('reads the cron fields in that zone, not the process zone', () => {
    const now = new Date('2026-11-21T12:00:00Z');
    expect(previousRun('0 22 * * *', now, 400, 'America/New_York')).toEqual(new Date('2026-11-21T03:00:00Z'));
    expect(previousRun('0 22 * * *', now, 400, 'Asia/Tokyo')).toEqual(new Date('2026-11-20T13:00:00Z'));
    expect(previousRun('0 7 * * *', now, 400, berlin)).toEqual(new Date('2026-11-21T06:00:00Z'));
  });

  it('in the repeated fall-back hour, takes the latest occurrence that has passed', () => {
    // 02:45 CET, the second pass: both 02:30s have passed; the later one counts.
    expect(previousRun('30 2 * * *', new Date('2026-10-25T01:45:00Z'), 400, berlin)).toEqual(new Date('2026-10-25T01:30:00Z'));
    // 02:10 CET, the second pass: only the first 02:30 (CEST) has passed, although 02:30 > 02:10 on the wall.
    expect(previousRun('30 2 * * *', new Date('2026-10-25T01:10:00Z'), 400, berlin)).toEqual(new Date('2026-10-25T00:30:00Z'));
    // 02:10 CEST, the first pass: today's 02:30 has not come yet.
    expect(previousRun('30 2 * * *', new Date('2026-10-25T00:10:00Z'), 400, berlin)).toEqual(new Date('2026-10-24T00:30:00Z'));
  });

  it('a wall time the spring-forward skips did not fire that day', () => {
    expect(previousRun('30 2 * * *', new Date('2027-03-28T10:00:00Z'), 400, berlin)).toEqual(new Date('2027-03-27T01:30:00Z'));
    expect(previousRun('0 3 * * *', new Date('2027-03-28T10:00:00Z'), 400, berlin)).toEqual(new Date('2027-03-28T01:00:00Z'));
  });

  it('scheduledBrightness follows the zone', () => {
    const entries = [
      { cron: '0 22 * * *', brightness: 0.1 },
      { cron: '0 7 * * *', brightness: 0.8 },
    ];
    // 06:30 UTC is 07:30 in Berlin (day) but 01:30 in New York (night).
    const now = new Date('2026-11-21T06:30:00Z');
    expect(scheduledBrightness(entries, now, berlin)).toBe(0.8);
    expect(scheduledBrightness(entries, now, 'America/New_York')).toBe(0.1);
  });

  it('stays fast for an every-second expression', () => {
    const t = performance.now();
    expect(previousRun('* * * * * *', new Date('2026-10-25T01:10:00.500Z'), 400, berlin)).toEqual(
      new Date('2026-10-25T01:10:00Z'),
    );
    expect(performance.now() - t).toBeLessThan(2000);
  });
});
