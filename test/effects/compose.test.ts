import { describe, expect, it } from 'vitest';
import type { Rgb } from '../../src/color.js';
import {
  BLINK_HALF_PERIOD_MS,
  STALE_DIM,
  compose,
  deviceColor,
  walkerStepMs,
  type EffectState,
} from '../../src/effects/compose.js';
import type { Frame } from '../../src/frame.js';

// compose() is pure: every case below is a plain call, no timers, no driver.

const fx = (over: Partial<EffectState> = {}): EffectState => ({
  count: 4,
  brightness: 1,
  cap: 1,
  gamma: false,
  stale: false,
  statusColor: [255, 153, 0],
  fps: 30,
  walkerStart: 0,
  fade: null,
  ...over,
});

function frame(leds: Rgb[], blink: boolean[] = leds.map(() => false)): Frame {
  return { width: leds.length, height: 1, leds, blink, pages: 1 };
}

const T0 = 1_000_000; // on a blink boundary

describe('compose', () => {
  it('rounds once after gamma × brightness × cap: (200/255)^2.8 × 255 × 0.5 × 0.5 = 32.3 → 32', () => {
    expect(deviceColor([200, 0, 0], { brightness: 0.5, cap: 0.5, gamma: true })).toEqual([32, 0, 0]);
    // Gamma first, then the scaling: not gamma(200 × 0.25) = 0.
    expect(deviceColor([200, 0, 0], { brightness: 0.5, cap: 0.5, gamma: true })[0]).toBeGreaterThan(1);
  });

  it('keeps every lit channel at 1 or more, and brightness 0 turns it off', () => {
    expect(deviceColor([1, 0, 3], { brightness: 0.05, cap: 0.5, gamma: true })).toEqual([1, 0, 1]);
    expect(deviceColor([255, 255, 255], { brightness: 0, cap: 1, gamma: true })).toEqual([0, 0, 0]);
  });

  it('is still (next = Infinity) for a steady frame, and dims stale frames with a blinking status LED', () => {
    const f = frame([
      [200, 0, 0],
      [0, 100, 0],
      [0, 0, 10],
      [50, 50, 50],
    ]);
    const live = compose(f, fx(), T0);
    expect(live.leds).toEqual(f.leds);
    expect(live.next).toBe(Infinity);
    const stale = compose(f, fx({ stale: true }), T0);
    expect(STALE_DIM).toBe(0.3);
    expect(stale.leds.slice(0, 3)).toEqual([
      [60, 0, 0],
      [0, 30, 0],
      [0, 0, 3],
    ]);
    expect(stale.leds[3]).toEqual([255, 153, 0]);
    expect(stale.blink).toEqual([false, false, false, true]);
    expect(stale.next).toBe(T0 + BLINK_HALF_PERIOD_MS);
    expect(compose(f, fx({ stale: true }), T0 + BLINK_HALF_PERIOD_MS).leds[3]).toEqual([0, 0, 0]);
  });

  it('fades in light from `from` to the target, stepping at fps, exact at the end', () => {
    const f = frame(new Array<Rgb>(4).fill([0, 200, 0]));
    const fade = { from: new Array<Rgb>(4).fill([0, 0, 0]), start: T0, end: T0 + 400 };
    const mid = compose(f, fx({ fade }), T0 + 200);
    expect(mid.leds[0]).toEqual([0, 100, 0]);
    expect(mid.next).toBeCloseTo(T0 + 200 + 1000 / 30);
    expect(mid.fadeDone).toBe(false);
    const end = compose(f, fx({ fade }), T0 + 400);
    expect(end.leds[0]).toEqual([0, 200, 0]);
    expect(end.fadeDone).toBe(true);
  });

  it('walks the status colour before the first frame', () => {
    const step = walkerStepMs(4);
    const c = compose(null, fx({ walkerStart: T0 }), T0 + step * 2 + 1);
    expect(c.leds).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [255, 153, 0],
      [0, 0, 0],
    ]);
    expect(c.next).toBe(T0 + step * 3);
  });
});
