// Issue 10, "Time": the poll loop against wall-clock jumps, on fake timers. vitest 4's fake
// timers (@sinonjs/fake-timers) fake Date, setTimeout and performance.now together;
// vi.setSystemTime moves only Date and shifts pending timers with it, so a wall-clock step
// leaves timers and the monotonic clock alone, as a real NTP step does. The first test pins
// that property, since every other test here relies on it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { Controller } from '../../src/loop/controller.js';
import { DisplayHealth } from '../../src/loop/displayHealth.js';
import { PollError } from '../../src/source/errors.js';
import type { Config } from '../../src/config/schema.js';
import type { Snapshot } from '../../src/snapshot.js';
import type { Source } from '../../src/source/source.js';
import { snap, stripController, stripOutput as strip, testConfig } from './helpers.js';

const GREEN = [0, 255, 0];
const OFF = [0, 0, 0];

let controller: Controller | undefined;
const savedTz = process.env.TZ;

beforeEach(() => {
  // The process' own zone matters to node-cron and Date; the loop must not care.
  process.env.TZ = 'Europe/Berlin';
  vi.useFakeTimers();
});
afterEach(async () => {
  // stop() gives a source that ignores abort a second to let go: let fake time pass.
  const stopped = controller?.stop();
  await vi.advanceTimersByTimeAsync(1_000);
  await stopped;
  controller = undefined;
  vi.useRealTimers();
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

/** A healthy source answering after `delayMs`; records each poll's start on the monotonic clock. */
class TimedSource implements Source {
  readonly starts: number[] = [];
  readonly wallStarts: number[] = [];
  delayMs = 200;
  constructor(public answer: () => Snapshot | Error = () => snap({ a: { running: 1 } })) {}
  poll(signal?: AbortSignal): Promise<Snapshot> {
    this.starts.push(performance.now());
    this.wallStarts.push(Date.now());
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        const r = this.answer();
        if (r instanceof Error) reject(r);
        else resolve(r);
      }, this.delayMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        reject(new Error('aborted'));
      });
    });
  }
}

function setup(config: Config, source: Source) {
  const s = stripController(config, source);
  controller = s.c;
  return s;
}

/** Advances fake time in steps, asserting the display is live after every step. */
async function runLive(c: Controller, ms: number, stepMs = 5000): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    await vi.advanceTimersByTimeAsync(stepMs);
    expect(c.stale(), `stale at ${new Date().toISOString()}`).toBe(false);
    expect(c.readiness()).toEqual({ ready: true });
    expect(c.health()).toEqual({ ok: true });
  }
}

function expectRate(starts: number[], ms: number): void {
  const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
  expect(new Set(gaps)).toEqual(new Set([ms]));
}

describe('fake timers as a clock lab', () => {
  it('vi.setSystemTime steps the wall clock, not performance.now, and pending timers keep their delay', async () => {
    vi.setSystemTime(new Date('2026-11-21T12:00:00Z'));
    let fired = 0;
    setTimeout(() => fired++, 10_000);
    const mono = performance.now();
    vi.setSystemTime(new Date('2026-11-21T11:00:00Z'));
    expect(performance.now()).toBe(mono);
    vi.setSystemTime(new Date('2026-11-22T12:00:00Z'));
    expect(performance.now()).toBe(mono);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(fired).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toBe(1);
    expect(performance.now() - mono).toBe(10_000);
  });
});

describe('polls keep their rate and the display stays live across wall-clock jumps (interval 10s, timezone Europe/Berlin)', () => {
  const config = () => testConfig({ interval: '10s', timezone: 'Europe/Berlin', outputs: [strip] });

  it('the 2026-10-25 fall-back (03:00 CEST → 02:00 CET)', async () => {
    // 02:30 CEST, 30 min before the clocks go back; run two hours of fake time.
    vi.setSystemTime(new Date('2026-10-25T00:30:00Z'));
    const source = new TimedSource();
    const { c, driver } = setup(config(), source);
    c.start();
    await runLive(c, 2 * 3600_000);
    expect(source.starts).toHaveLength(721);
    expectRate(source.starts, 10_000);
    // The wall clock did go back: local 02:xx appeared twice.
    expect(new Date().toISOString()).toBe('2026-10-25T02:30:00.000Z');
    expect(driver.last).toEqual([GREEN, OFF, OFF, OFF]);
  });

  it('the 2027-03-28 spring-forward (02:00 CET → 03:00 CEST)', async () => {
    vi.setSystemTime(new Date('2027-03-28T00:30:00Z'));
    const source = new TimedSource();
    const { c } = setup(config(), source);
    c.start();
    await runLive(c, 2 * 3600_000);
    expect(source.starts).toHaveLength(721);
    expectRate(source.starts, 10_000);
  });

  it('a 1 h backward step (NTP correcting a fast clock)', async () => {
    vi.setSystemTime(new Date('2026-11-21T12:00:00Z'));
    const source = new TimedSource();
    const { c } = setup(config(), source);
    c.start();
    await runLive(c, 60_000);
    vi.advanceTimersByTime(3_000);
    vi.setSystemTime(new Date(Date.now() - 3600_000));
    await runLive(c, 10 * 60_000);
    // 0 s … 11 min on the monotonic clock: a poll every 10 s, none lost to the step.
    expect(source.starts).toHaveLength(67);
    expectRate(source.starts, 10_000);
    // The wall times of the polls went back by an hour once.
    const wallGaps = source.wallStarts.slice(1).map((s, i) => s - source.wallStarts[i]!);
    expect(wallGaps.filter((g) => g !== 10_000)).toEqual([10_000 - 3600_000]);
  });

  it('a 1 day forward step (a Pi without RTC booting, then NTP)', async () => {
    vi.setSystemTime(new Date('2026-11-21T12:00:00Z'));
    const source = new TimedSource();
    const { c, driver } = setup(config(), source);
    c.start();
    await runLive(c, 60_000);
    vi.advanceTimersByTime(3_000);
    vi.setSystemTime(new Date(Date.now() + 86_400_000));
    const before = source.starts.length;
    // No burst of catch-up polls, no stall: the next poll is on its slot.
    await vi.advanceTimersByTimeAsync(7_000);
    expect(source.starts.length).toBe(before + 1);
    await runLive(c, 10 * 60_000);
    // 0 s … 11 min 10 s on the monotonic clock.
    expect(source.starts).toHaveLength(68);
    expectRate(source.starts, 10_000);
    expect(driver.last).toEqual([GREEN, OFF, OFF, OFF]);
  });

  it('after a 1 day forward step, "no good poll for …" is the monotonic age, not a day', async () => {
    vi.setSystemTime(new Date('2026-11-21T12:00:00Z'));
    let fail = false;
    const source = new TimedSource(() =>
      fail ? new PollError('connection', 'connect ECONNREFUSED 127.0.0.1:9090') : snap({ a: { running: 1 } }),
    );
    const { c } = setup(config(), source);
    c.start();
    await vi.advanceTimersByTimeAsync(1_000);
    fail = true;
    vi.setSystemTime(new Date(Date.now() + 86_400_000));
    await vi.advanceTimersByTimeAsync(29_000);
    expect(c.stale()).toBe(false);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(c.stale()).toBe(true);
    // Good poll at 0.2 s, now 35 s on the monotonic clock.
    expect(c.readiness().reason).toBe('stale: no good poll for 35s (last error: connect ECONNREFUSED 127.0.0.1:9090)');
  });
});

describe('a poll that overruns its deadline', () => {
  it('a source that ignores abort: later polls still run on time, and its late answer is discarded', async () => {
    vi.setSystemTime(new Date('2026-11-21T12:00:00Z'));
    const starts: number[] = [];
    let call = 0;
    // Poll 1 hangs for 25 s ignoring the signal, then answers with an old state (3 pods on b).
    // Every other poll answers at once with the current state (1 pod on a).
    const source: Source = {
      poll: () => {
        starts.push(performance.now());
        const old = call++ === 1;
        return new Promise((resolve) =>
          setTimeout(() => resolve(old ? snap({ a: {}, b: { running: 3 } }) : snap({ a: { running: 1 } })), old ? 25_000 : 100),
        );
      },
    };
    const config = testConfig({ interval: '10s', prometheus: { timeout: '2s' }, outputs: [strip] });
    const { c, driver, metrics } = setup(config, source);
    expect(c.deadlineMs).toBe(3_000);
    c.start();
    await vi.advanceTimersByTimeAsync(60_000);
    // Polls at 0, 10 (hangs, abandoned at 13), 20, 30, 40, 50 and 60 s: none late.
    expect(starts).toEqual([0, 10, 20, 30, 40, 50, 60].map((s) => starts[0]! + s * 1000));
    expect((await metrics.pollErrors.get()).values.find((v) => v.labels.reason === 'timeout')?.value).toBe(1);
    // The late answer came at 35 s and painted nothing.
    expect(c.discardedAnswers()).toBe(1);
    expect(c.snapshot()!.nodes.map((n) => n.name)).toEqual(['a']);
    expect(driver.shows.some((leds) => leds[1]![1] === 255)).toBe(false);
    expect(driver.last).toEqual([GREEN, OFF, OFF, OFF]);
    expect(c.readiness()).toEqual({ ready: true });
  });

  it('a source that never answers nor honours abort: every poll is abandoned on time, /healthz stays ok', async () => {
    vi.setSystemTime(new Date('2026-11-21T12:00:00Z'));
    const starts: number[] = [];
    const source: Source = {
      poll: () => {
        starts.push(performance.now());
        return new Promise(() => undefined);
      },
    };
    const { c, metrics } = setup(testConfig({ interval: '10s', prometheus: { timeout: '2s' }, outputs: [strip] }), source);
    c.start();
    await vi.advanceTimersByTimeAsync(100_000);
    expect(starts).toHaveLength(11);
    expect((await metrics.pollErrors.get()).values.find((v) => v.labels.reason === 'timeout')?.value).toBe(10);
    expect(c.health()).toEqual({ ok: true });
    expect(c.readiness().reason).toMatch(
      /^waiting for the first successful poll \(last error: poll took longer than 3s; abandoned\)$/,
    );
  });
});

describe('/healthz wedge rule: max(3 × interval, staleAfter) + timeout', () => {
  it('is computed from the config', () => {
    const src = new TimedSource();
    expect(setup(testConfig({ interval: '10s', outputs: [strip] }), src).c.wedgedAfterMs).toBe(40_000);
    void controller!.stop();
    expect(
      setup(testConfig({ interval: '10s', staleAfter: '2m', prometheus: { timeout: '5s' }, outputs: [strip] }), src).c
        .wedgedAfterMs,
    ).toBe(125_000);
  });

  it('turns unhealthy when no poll has finished for that long (the scheduler died), healthy again on the next poll', async () => {
    vi.setSystemTime(new Date('2026-11-21T12:00:00Z'));
    const source = new TimedSource();
    const { c } = setup(testConfig({ interval: '10s', outputs: [strip] }), source);
    c.start();
    await vi.advanceTimersByTimeAsync(1_000);
    // Simulate a wedged loop: the schedule stops without the controller knowing.
    (c as unknown as { schedule: { stop(): void } }).schedule.stop();
    // The last poll finished at 0.2 s.
    await vi.advanceTimersByTimeAsync(39_000);
    expect(c.health()).toEqual({ ok: true });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(c.health()).toEqual({ ok: false, reason: 'polling has wedged: no poll has finished for 42s (limit 40s)' });
    const poll = c.pollNow();
    await vi.advanceTimersByTimeAsync(200);
    await poll;
    expect(c.health()).toEqual({ ok: true });
  });

  it('counts from start-up before the first poll finishes, and ignores wall-clock steps', () => {
    let now = 0;
    const h = new DisplayHealth({
      staleAfterMs: 30_000,
      wedgedAfterMs: 40_000,
      metrics: new Metrics({ defaultMetrics: false }),
      log: silentLogger,
      onStale: () => undefined,
      now: () => now,
    });
    vi.setSystemTime(new Date(Date.now() + 86_400_000));
    expect(h.health().ok).toBe(true);
    now = 40_001;
    expect(h.health()).toEqual({
      ok: false,
      reason: 'polling has wedged: no poll has finished since start-up for 40s (limit 40s)',
    });
    h.failed(new PollError('connection', 'refused'));
    expect(h.health().ok).toBe(true);
    h.stop();
  });
});

describe('a cron interval runs on the wall clock in `timezone`', () => {
  it('"0 0 * * * *" in Asia/Kolkata (UTC+5:30) fires on Kolkata hours, not the process zone (Europe/Berlin)', async () => {
    vi.setSystemTime(new Date('2026-11-21T12:10:00Z')); // 17:40 in Kolkata, 13:10 in Berlin
    const source = new TimedSource();
    const { c } = setup(testConfig({ interval: '0 0 * * * *', timezone: 'Asia/Kolkata', outputs: [strip] }), source);
    c.start();
    await vi.advanceTimersByTimeAsync(2 * 3600_000);
    // At start-up, then 18:00 and 19:00 Kolkata time.
    expect(source.wallStarts.map((t) => new Date(t).toISOString())).toEqual([
      '2026-11-21T12:10:00.000Z',
      '2026-11-21T12:30:00.000Z',
      '2026-11-21T13:30:00.000Z',
    ]);
    expect(c.staleAfterMs).toBe(3 * 3600_000);
  });
});
