// Issue 17, "Fades that finish" (SPEC §6): the same picture never restarts a fade, a new one
// fades from what the LEDs show, every fade ends exactly on its target bytes, nothing keeps
// a timer once still, and fades, blinks and the walker run on the monotonic clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Rgb } from '../../src/color.js';
import { compose, deviceColor } from '../../src/effects/compose.js';
import type { Frame } from '../../src/frame.js';
import { silentLogger } from '../../src/log.js';
import { Controller } from '../../src/loop/controller.js';
import { Metrics } from '../../src/metrics.js';
import { RecordingDriver } from '../fakes/recordingDriver.js';
import { pagedMatrixOutput, ScriptedSource, snap, testConfig } from '../loop/helpers.js';
import { makePipeline, solidFrame } from './helpers.js';

const RED: Rgb = [255, 0, 0];
const MAGENTA: Rgb = [255, 0, 255];
const OFF: Rgb = [0, 0, 0];
const GREEN: Rgb = [0, 200, 0];

beforeEach(() => {
  // Fakes Date, timers and performance.now together; vi.setSystemTime below steps Date only.
  vi.useFakeTimers();
  vi.setSystemTime(new Date(2026, 10, 21, 12, 0, 0, 0));
});
afterEach(() => {
  vi.useRealTimers();
});

/** The same picture as a new Frame object, as every poll builds one. */
function again(f: Frame): Frame {
  return { ...f, leds: f.leds.map((c) => [...c] as unknown as Rgb), blink: [...f.blink] };
}

/** Every channel at 1 whose target channel is 0: the floor-of-1 rule left where the light should be dark. */
function leftAtOne(leds: readonly Rgb[], target: readonly Rgb[]): number {
  let n = 0;
  leds.forEach((c, i) => c.forEach((v, k) => (n += v === 1 && target[i]![k] === 0 ? 1 : 0)));
  return n;
}

describe('a poll that brings the same picture', () => {
  it('leaves a running fade alone: it ends transitionMs after it began, not after the last poll', async () => {
    const { p, d } = makePipeline({ transitionMs: 400, fps: 30 });
    p.start();
    const green = solidFrame(4, 1, GREEN);
    p.setFrame(green);
    const t0 = performance.now();
    await vi.advanceTimersByTimeAsync(150);
    const mid = d.last![0]![1];
    p.setFrame(again(green));
    await vi.advanceTimersByTimeAsync(100);
    // Still moving on from where it was, not started over from the mid-fade colour.
    expect(d.last![0]![1]).toBeGreaterThan(mid);
    p.setFrame(again(green));
    await vi.advanceTimersByTimeAsync(t0 + 400 - performance.now());
    expect(performance.now()).toBe(t0 + 400);
    expect(d.last).toEqual(new Array(4).fill(GREEN));
    expect(p.animating).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('with transitionMs longer than the poll interval, the fade still finishes and the fps timer stops', async () => {
    // 10 s fades, a poll every 2 s: before issue 17 every poll restarted the fade, which crept and never ended.
    const { p, d } = makePipeline({ transitionMs: 10_000, fps: 30 });
    p.start();
    const frame = solidFrame(4, 1, GREEN);
    p.setFrame(frame);
    const t0 = performance.now();
    for (let i = 0; i < 7; i++) {
      await vi.advanceTimersByTimeAsync(2_000);
      p.setFrame(again(frame));
    }
    expect(performance.now() - t0).toBe(14_000);
    expect(d.last).toEqual(new Array(4).fill(GREEN));
    expect(p.animating).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    const n = d.calls.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(d.calls.length).toBe(n);
  });

  it('a panel left by the start-up walker goes dark on time: no LED kept at 1/255 by repeated polls', async () => {
    // The walker lights one amber LED; the first frame is dark there. Polls every 5 s, fades of 8 s.
    const { p, d } = makePipeline({ geometry: { width: 4, height: 1 }, transitionMs: 8_000, fps: 30 });
    p.start();
    await vi.advanceTimersByTimeAsync(1_700);
    const dark: Frame = { width: 4, height: 1, leds: [OFF, OFF, OFF, RED], blink: [false, false, false, false], pages: 1 };
    p.setFrame(dark);
    const t0 = performance.now();
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(5_000);
      p.setFrame(again(dark));
    }
    expect(performance.now() - t0).toBeGreaterThanOrEqual(8_000);
    expect(d.last).toEqual(dark.leds);
    expect(leftAtOne(d.last!, dark.leds)).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('a new picture', () => {
  it('fades from what the LEDs show, without a jump', async () => {
    const { p, d } = makePipeline({ transitionMs: 400, fps: 30 });
    p.start();
    p.setFrame(solidFrame(4, 1, GREEN));
    await vi.advanceTimersByTimeAsync(200);
    const shown = d.last![0]!;
    p.setFrame(solidFrame(4, 1, RED));
    const first = d.last![0]!;
    // The first step of the new fade is where the old one was (within one rounding).
    for (let k = 0; k < 3; k++) expect(Math.abs(first[k]! - shown[k]!)).toBeLessThanOrEqual(1);
    await vi.advanceTimersByTimeAsync(400);
    expect(d.last).toEqual(new Array(4).fill(RED));
  });
});

describe('every fade ends exactly on its target bytes', () => {
  const cases: { name: string; from: Rgb; to: Rgb; brightness: number; cap: number; gamma: boolean }[] = [
    { name: '#ff00ff → #ff0000 (seen as #ff0001)', from: MAGENTA, to: RED, brightness: 1, cap: 1, gamma: false },
    { name: 'Unicorn HAT cap 0.5, brightness 0.05', from: MAGENTA, to: RED, brightness: 0.05, cap: 0.5, gamma: false },
    { name: 'WS2812 gamma, brightness 0.3', from: [255, 255, 255], to: [0, 0, 40], brightness: 0.3, cap: 1, gamma: true },
    { name: 'lit → off', from: GREEN, to: OFF, brightness: 0.2, cap: 1, gamma: true },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const d = new RecordingDriver({ maxBrightness: c.cap, gamma: c.gamma });
      const { p } = makePipeline({ transitionMs: 700, fps: 60, brightness: c.brightness }, d);
      p.start();
      p.setFrame(solidFrame(4, 1, c.from));
      await vi.advanceTimersByTimeAsync(1_000);
      const start = d.calls.length;
      p.setFrame(solidFrame(4, 1, c.to));
      // Polls with the same picture meanwhile, at awkward moments.
      for (const ms of [90, 233, 301]) {
        await vi.advanceTimersByTimeAsync(ms);
        p.setFrame(solidFrame(4, 1, c.to));
      }
      await vi.advanceTimersByTimeAsync(700 - 90 - 233 - 301);
      const want = new Array(4).fill(deviceColor(c.to, { brightness: c.brightness, cap: c.cap, gamma: c.gamma }));
      expect(d.last).toEqual(want);
      expect(leftAtOne(d.last!, want)).toBe(0);
      // It got there by fading (intermediate steps), and nothing moves afterwards.
      expect(d.calls.length - start).toBeGreaterThan(5);
      expect(vi.getTimerCount()).toBe(0);
    });
  }
});

describe('compose() during a fade', () => {
  it('keeps the floor of 1 for channels lit in the target only: one fading out reaches 0 like any other step', () => {
    const frame = solidFrame(2, 1, [0, 100, 0]);
    const fx = { count: 2, brightness: 1, cap: 1, gamma: false, stale: false, statusColor: RED, fps: 30, walkerStart: 0 };
    // From [100, 0, 0] at p = 0.998: red light 0.2 (target 0), green 99.8 (target lit).
    const fade = { from: [[100, 0, 0] as Rgb, [100, 0, 0] as Rgb], start: 0, end: 1000 };
    expect(compose(frame, { ...fx, fade }, 998).leds[0]).toEqual([0, 100, 0]);
    // From [0, 0, 0] to green: at p = 0.001 the green light is 0.1, lit in the target, so 1.
    const fadeIn = { from: [OFF, OFF], start: 0, end: 1000 };
    expect(compose(frame, { ...fx, fade: fadeIn }, 1).leds[0]).toEqual([0, 1, 0]);
    // A still LED keeps the floor as before (SPEC §6: no lit LED goes dark).
    expect(deviceColor([0, 1, 0], { brightness: 0.05, cap: 0.5, gamma: false })).toEqual([0, 1, 0]);
  });
});

describe('the monotonic clock: a wall-clock step mid-fade changes nothing', () => {
  /** The device bytes of a 400 ms fade, with `step` applied to Date (not performance.now) 150 ms in. */
  async function fadeWithStep(step: number): Promise<{ shows: Rgb[][]; endedAt: number; timers: number }> {
    const { p, d } = makePipeline({ transitionMs: 400, fps: 30 });
    p.start();
    p.setFrame(solidFrame(4, 1, RED));
    await vi.advanceTimersByTimeAsync(1_000);
    const from = d.calls.length;
    p.setFrame(solidFrame(4, 1, GREEN, [1]));
    const t0 = performance.now();
    await vi.advanceTimersByTimeAsync(150);
    const wall = Date.now();
    vi.setSystemTime(wall + step);
    // Date moved, the monotonic clock did not.
    expect(Date.now() - wall).toBe(step);
    expect(performance.now() - t0).toBe(150);
    await vi.advanceTimersByTimeAsync(250);
    const endedAt = performance.now() - t0;
    const shows = d.shows.slice(from);
    // Blinking goes on at 1 Hz (LED 1): two more half periods, then stop it to count timers.
    await vi.advanceTimersByTimeAsync(1_000);
    p.setFrame(solidFrame(4, 1, GREEN));
    // Each run takes 4 s in all, so the next one starts in the same blink phase.
    await vi.advanceTimersByTimeAsync(1_600);
    return { shows, endedAt, timers: vi.getTimerCount() };
  }

  it('−1 h and +1 day: the same bytes at the same moments as without a step, and no timer left', async () => {
    const ref = await fadeWithStep(0);
    const back = await fadeWithStep(-3_600_000);
    const fwd = await fadeWithStep(86_400_000);
    expect(ref.shows.at(-1)).toEqual([GREEN, GREEN, GREEN, GREEN]);
    expect(ref.shows.length).toBeGreaterThan(8);
    expect(back.shows).toEqual(ref.shows);
    expect(fwd.shows).toEqual(ref.shows);
    expect([back.endedAt, fwd.endedAt]).toEqual([ref.endedAt, ref.endedAt]);
    expect([ref.timers, back.timers, fwd.timers]).toEqual([0, 0, 0]);
  });

  it('the walker keeps its pace across a −1 h step', async () => {
    const { p, d } = makePipeline({ geometry: { width: 3, height: 1 } });
    p.start();
    await vi.advanceTimersByTimeAsync(100);
    vi.setSystemTime(Date.now() - 3_600_000);
    await vi.advanceTimersByTimeAsync(3_000);
    // walkerStepMs(3) is 500 ms: 3.1 s is six steps after the first position, whatever Date says.
    expect(d.shows.length).toBe(7);
  });
});

describe('paging on the monotonic clock', () => {
  it('flips pages every pageSeconds across a −1 h and a +1 day wall-clock step', async () => {
    const source = new ScriptedSource(() => snap({ a: { running: 1 }, b: { pending: 1 }, c: { running: 1 } }));
    const config = testConfig({ interval: '1m', outputs: [pagedMatrixOutput] });
    const c = new Controller({
      config,
      source,
      outputs: config.outputs.map((o) => ({ name: o.name!, config: o, driver: new RecordingDriver({ name: o.name! }) })),
      metrics: new Metrics({ defaultMetrics: false }),
      log: silentLogger,
    });
    try {
      c.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(c.outputs()[0]).toMatchObject({ page: 0, pages: 2 });
      await vi.advanceTimersByTimeAsync(2_000);
      vi.setSystemTime(Date.now() - 3_600_000);
      await vi.advanceTimersByTimeAsync(3_000);
      expect(c.outputs()[0]!.page).toBe(1);
      await vi.advanceTimersByTimeAsync(2_000);
      vi.setSystemTime(Date.now() + 86_400_000);
      await vi.advanceTimersByTimeAsync(2_999);
      expect(c.outputs()[0]!.page).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(c.outputs()[0]!.page).toBe(0);
    } finally {
      await c.stop();
    }
  });
});
