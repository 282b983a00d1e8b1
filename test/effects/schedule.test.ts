// Brightness schedules run their cron expressions in the config `timezone` (SPEC §6), both
// when node-cron fires them and for the entry that applies at start-up.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { BrightnessSchedule } from '../../src/effects/schedule.js';

const savedTz = process.env.TZ;
beforeEach(() => {
  process.env.TZ = 'UTC';
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

const entries = [
  { cron: '0 22 * * *', brightness: 0.1 },
  { cron: '0 7 * * *', brightness: 0.8 },
];

describe('BrightnessSchedule in a time zone', () => {
  it('applies and fires the entries on Europe/Berlin wall time while the process runs in UTC', async () => {
    // 21:30 in Berlin (CET, UTC+1): the 07:00 entry applies; 22:00 Berlin is 21:00Z.
    vi.setSystemTime(new Date('2026-11-21T20:30:00Z'));
    const seen: number[] = [];
    const s = new BrightnessSchedule(entries, (b) => seen.push(b), silentLogger, 'Europe/Berlin');
    expect(s.current()).toBe(0.8);
    s.start();
    await vi.advanceTimersByTimeAsync(30 * 60_000 - 1000);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(seen).toEqual([0.1]);
    expect(s.current()).toBe(0.1);
    s.stop();
  });

  it('without a zone, the process zone decides (here UTC: still day at 21:30Z)', () => {
    vi.setSystemTime(new Date('2026-11-21T21:30:00Z'));
    expect(new BrightnessSchedule(entries, () => undefined, silentLogger).current()).toBe(0.8);
    expect(new BrightnessSchedule(entries, () => undefined, silentLogger, 'Europe/Berlin').current()).toBe(0.1);
  });

  it('across the 2026-10-25 fall-back, a 02:30 entry applies from its later occurrence on', () => {
    const dst = [
      { cron: '30 2 * * *', brightness: 0.2 },
      { cron: '0 2 * * *', brightness: 0.6 },
    ];
    const s = new BrightnessSchedule(dst, () => undefined, silentLogger, 'Europe/Berlin');
    // 02:10 CET (01:10Z), second pass: the 02:00 entry fired again at 01:00Z, after the first 02:30.
    vi.setSystemTime(new Date('2026-10-25T01:10:00Z'));
    expect(s.current()).toBe(0.6);
    // 02:40 CET: the second 02:30 has passed.
    vi.setSystemTime(new Date('2026-10-25T01:40:00Z'));
    expect(s.current()).toBe(0.2);
  });
});
