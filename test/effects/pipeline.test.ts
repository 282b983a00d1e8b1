import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Metrics } from '../../src/metrics.js';
import { gammaLight, inverseGamma } from '../../src/color.js';
import { BLINK_HALF_PERIOD_MS, STALE_DIM, walkerStepMs } from '../../src/effects/pipeline.js';
import { RecordingDriver } from '../fakes/recordingDriver.js';
import { lit, makePipeline, solidFrame } from './helpers.js';

const GREEN = [0, 200, 0] as const;
/** Lets pending device writes (promises) complete without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);
const RED = [255, 0, 0] as const;

beforeEach(() => {
  vi.useFakeTimers();
  // On a blink boundary, so the on/off phases below are predictable.
  vi.setSystemTime(new Date(2026, 10, 21, 12, 0, 0, 0));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('fade', () => {
  it('reaches the target exactly, through intermediate steps at no more than fps', async () => {
    const { p, d } = makePipeline({ transitionMs: 400, fps: 30 });
    p.start();
    p.setFrame(solidFrame(4, 1, GREEN));
    const before = d.calls.length;
    await vi.advanceTimersByTimeAsync(500);
    const fadeCalls = d.calls.slice(before);
    expect(d.last).toEqual(new Array(4).fill(GREEN));
    // 400 ms at 30 fps: about 12 steps, never more than one per 33 ms.
    expect(fadeCalls.length).toBeGreaterThanOrEqual(8);
    expect(fadeCalls.length).toBeLessThanOrEqual(14);
    // Only the last step may come sooner: it lands exactly at the end of the transition.
    for (let i = 1; i < fadeCalls.length - 1; i++) expect(fadeCalls[i]!.at - fadeCalls[i - 1]!.at).toBeGreaterThanOrEqual(33);
    const greens = fadeCalls.map((c) => c.leds[1]![1]);
    expect(greens.some((g) => g > 0 && g < 200)).toBe(true);
    for (let i = 1; i < greens.length; i++) expect(greens[i]!).toBeGreaterThanOrEqual(greens[i - 1]!);
    expect(fadeCalls.at(-1)!.at - fadeCalls[0]!.at).toBeLessThanOrEqual(400);
  });

  it('a new frame mid-fade fades on from where the LEDs are, and still ends exactly', async () => {
    const { p, d } = makePipeline();
    p.start();
    p.setFrame(solidFrame(4, 1, GREEN));
    await vi.advanceTimersByTimeAsync(200);
    const mid = d.last![0]!;
    expect(mid[1]).toBeGreaterThan(0);
    expect(mid[1]).toBeLessThan(200);
    p.setFrame(solidFrame(4, 1, RED));
    await vi.advanceTimersByTimeAsync(20);
    expect(d.last![0]![1]).toBeLessThanOrEqual(mid[1]);
    await vi.advanceTimersByTimeAsync(500);
    expect(d.last).toEqual(new Array(4).fill(RED));
  });

  it('transitionMs 0 switches in one write', async () => {
    const { p, d } = makePipeline({ transitionMs: 0 });
    p.start();
    await settle();
    const n = d.calls.length;
    p.setFrame(solidFrame(4, 1, GREEN));
    await settle();
    expect(d.calls.length).toBe(n + 1);
    expect(d.last).toEqual(new Array(4).fill(GREEN));
    expect(p.animating).toBe(false);
  });
});

describe('idle', () => {
  it('writes nothing and arms no timer once a still frame is shown', async () => {
    const { p, d } = makePipeline();
    p.start();
    p.setFrame(solidFrame(4, 1, GREEN));
    await vi.advanceTimersByTimeAsync(1000);
    const n = d.calls.length;
    expect(p.animating).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(d.calls.length).toBe(n);
    // The same frame again is not a change either.
    p.setFrame(solidFrame(4, 1, GREEN));
    await vi.advanceTimersByTimeAsync(1000);
    expect(d.calls.length).toBe(n);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('blinks flagged LEDs at 1 Hz and stops the timer when nothing blinks', async () => {
    const { p, d } = makePipeline({ transitionMs: 0 });
    p.start();
    p.setFrame(solidFrame(4, 1, RED, [2]));
    await settle();
    expect(d.last![2]).toEqual(RED);
    expect(p.animating).toBe(true);
    await vi.advanceTimersByTimeAsync(BLINK_HALF_PERIOD_MS);
    expect(d.last![2]).toEqual([0, 0, 0]);
    expect(d.last![1]).toEqual(RED);
    await vi.advanceTimersByTimeAsync(BLINK_HALF_PERIOD_MS);
    expect(d.last![2]).toEqual(RED);
    const n = d.calls.length;
    await vi.advanceTimersByTimeAsync(10 * BLINK_HALF_PERIOD_MS);
    expect(d.calls.length).toBe(n + 10);
    p.setFrame(solidFrame(4, 1, RED));
    await vi.advanceTimersByTimeAsync(BLINK_HALF_PERIOD_MS);
    expect(d.last).toEqual(new Array(4).fill(RED));
    expect(p.animating).toBe(false);
  });

  it('does not keep a timer for a blinking LED that is off', async () => {
    const { p } = makePipeline({ transitionMs: 0 });
    p.start();
    p.setFrame({ ...solidFrame(4, 1, [0, 0, 0], [0]) });
    expect(p.animating).toBe(false);
  });
});

describe('brightness', () => {
  it('scales by the driver cap (Unicorn HAT: 0.5, a full channel at 128), never above it', async () => {
    const d = new RecordingDriver({ maxBrightness: 0.5 });
    const metrics = new Metrics({ defaultMetrics: false });
    const { p } = makePipeline({ brightness: 1, transitionMs: 0, metrics }, d);
    p.start();
    p.setFrame(solidFrame(4, 1, [255, 255, 255]));
    await settle();
    expect(d.last).toEqual(new Array(4).fill([128, 128, 128]));
    // Brightness is a share of the capped range (SPEC §6), not a second ceiling.
    p.setBrightness(0.9);
    await settle();
    expect(p.effectiveBrightness).toBe(0.9);
    expect(d.last).toEqual(new Array(4).fill([115, 115, 115]));
    expect(Math.max(...d.calls.flatMap((c) => c.leds.flat()))).toBeLessThanOrEqual(128);
    expect((await metrics.brightness.get()).values[0]!.value).toBe(0.9);
    p.setBrightness(0.2);
    await settle();
    expect(d.last).toEqual(new Array(4).fill([26, 26, 26]));
    expect((await metrics.brightness.get()).values[0]!.value).toBe(0.2);
  });

  it('fades to a new brightness', async () => {
    const { p, d } = makePipeline({ brightness: 1 });
    p.start();
    p.setFrame(solidFrame(4, 1, [200, 200, 200]));
    await vi.advanceTimersByTimeAsync(500);
    p.setBrightness(0.5);
    await vi.advanceTimersByTimeAsync(200);
    const mid = d.last![0]![0];
    expect(mid).toBeGreaterThan(100);
    expect(mid).toBeLessThan(200);
    await vi.advanceTimersByTimeAsync(300);
    expect(d.last).toEqual(new Array(4).fill([100, 100, 100]));
  });
});

describe('gamma', () => {
  it('runs before brightness, in floating point, rounded once; the view shows the screen colour', async () => {
    const plain = new RecordingDriver({ name: 'plain' });
    const ws = new RecordingDriver({ name: 'ws', gamma: true });
    const a = makePipeline({ transitionMs: 0, brightness: 0.5 }, plain).p;
    const b = makePipeline({ transitionMs: 0, brightness: 0.5 }, ws).p;
    a.start();
    b.start();
    const frame = solidFrame(4, 1, [200, 100, 2]);
    a.setFrame(frame);
    b.setFrame(frame);
    await settle();
    expect(plain.last![0]).toEqual([100, 50, 1]);
    // (200/255)^2.8 × 255 × 0.5 = 64.6 → 65; (100/255)^2.8 × 127.5 = 9.3 → 9; 2 is lit, so at least 1.
    expect(ws.last![0]).toEqual([65, 9, 1]);
    expect(ws.last![0]![0]).toBe(Math.round(gammaLight(200) * 127.5));
    expect(b.view().leds[0]).toBe(
      '#' +
        ws
          .last![0]!.map((v) =>
            Math.round(inverseGamma(v / 255))
              .toString(16)
              .padStart(2, '0'),
          )
          .join(''),
    );
    expect(a.view().leds[0]).toBe('#643201');
  });
});

describe('start-up walker', () => {
  it('walks one status-coloured LED across the output until the first frame', async () => {
    const { p, d } = makePipeline({ geometry: { width: 3, height: 2 }, brightness: 1 });
    p.start();
    const step = walkerStepMs(6);
    await vi.advanceTimersByTimeAsync(step * 7 + 1);
    const positions = d.shows.map((leds) => {
      expect(lit(leds)).toBe(1);
      const i = leds.findIndex((c) => c[0] || c[1] || c[2]);
      expect(leds[i]).toEqual([255, 160, 0]);
      return i;
    });
    expect(positions).toEqual([0, 1, 2, 3, 4, 5, 0, 1]);
    p.setFrame(solidFrame(3, 2, GREEN));
    await vi.advanceTimersByTimeAsync(1000);
    expect(d.last).toEqual(new Array(6).fill(GREEN));
    expect(p.animating).toBe(false);
  });

  it('scales the walker by brightness', async () => {
    const d = new RecordingDriver({ maxBrightness: 0.5 });
    const { p } = makePipeline({}, d);
    p.start();
    expect(d.last![0]).toEqual([128, 80, 0]);
  });
});

describe('stale display', () => {
  it('dims the last frame, blinks the amber status LED, and recovers', async () => {
    const { p, d } = makePipeline({ transitionMs: 0 });
    p.start();
    p.setFrame(solidFrame(4, 1, GREEN));
    p.setStale(true);
    await settle();
    const dim = [0, Math.round(200 * STALE_DIM), 0];
    expect(d.last).toEqual([dim, dim, dim, [255, 160, 0]]);
    expect(p.view().blink).toEqual([false, false, false, true]);
    await vi.advanceTimersByTimeAsync(BLINK_HALF_PERIOD_MS);
    expect(d.last).toEqual([dim, dim, dim, [0, 0, 0]]);
    await vi.advanceTimersByTimeAsync(BLINK_HALF_PERIOD_MS);
    expect(d.last![3]).toEqual([255, 160, 0]);
    p.setStale(false);
    await settle();
    expect(d.last).toEqual(new Array(4).fill(GREEN));
    expect(p.animating).toBe(false);
    expect(p.view().blink).toEqual([false, false, false, false]);
  });

  it('keeps walking when stale is reported before any frame', async () => {
    const { p, d } = makePipeline();
    p.start();
    p.setStale(true);
    await vi.advanceTimersByTimeAsync(walkerStepMs(4) * 2);
    expect(d.shows.every((l) => lit(l) === 1)).toBe(true);
  });
});

describe('device errors', () => {
  it('counts a failing show, keeps going and writes again after a refresh', async () => {
    const d = new RecordingDriver({ failShow: new Error('unplugged') });
    const metrics = new Metrics({ defaultMetrics: false });
    const { p } = makePipeline({ transitionMs: 0, metrics }, d);
    p.start();
    p.setFrame(solidFrame(4, 1, GREEN));
    await vi.advanceTimersByTimeAsync(0);
    expect((await metrics.outputErrors.get()).values[0]!.value).toBe(2);
    expect(p.up).toBe(false);
    expect((await metrics.outputUp.get()).values[0]!.value).toBe(0);
    d.failShow = undefined;
    p.refresh();
    await vi.advanceTimersByTimeAsync(0);
    expect(d.last).toEqual(new Array(4).fill(GREEN));
    expect(p.up).toBe(true);
    expect((await metrics.frames.get()).values[0]!.value).toBe(1);
  });

  it('coalesces frames while a slow device is busy and never overlaps show() calls', async () => {
    const d = new RecordingDriver({ showDelayMs: 100 });
    let inFlight = 0;
    let maxInFlight = 0;
    const show = d.show.bind(d);
    d.show = async (leds) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await show(leds);
      } finally {
        inFlight--;
      }
    };
    const { p } = makePipeline({ transitionMs: 400, fps: 30 }, d);
    p.start();
    p.setFrame(solidFrame(4, 1, GREEN));
    await vi.advanceTimersByTimeAsync(1000);
    expect(maxInFlight).toBe(1);
    expect(d.last).toEqual(new Array(4).fill(GREEN));
    expect(d.calls.length).toBeLessThan(8);
  });

  it('writes nothing after halt()', async () => {
    const { p, d } = makePipeline();
    p.start();
    p.setFrame(solidFrame(4, 1, GREEN));
    await p.halt();
    const n = d.calls.length;
    p.setFrame(solidFrame(4, 1, RED));
    await vi.advanceTimersByTimeAsync(2000);
    expect(d.calls.length).toBe(n);
    expect(vi.getTimerCount()).toBe(0);
  });
});
