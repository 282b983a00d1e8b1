import { OFF, clampByte, deviceByte, gammaLight, inverseGamma, mixRgb, type Rgb } from '../color.js';
import type { Frame } from '../frame.js';

/** Half period of blinking LEDs: 1 Hz, on for 500 ms then off for 500 ms. */
export const BLINK_HALF_PERIOD_MS = 500;
/**
 * Share of its light each LED keeps while the data is stale. It multiplies light (after
 * gamma), like brightness, so any LED above the lowest step visibly dims.
 */
export const STALE_DIM = 0.3;

/** Time the start-up walker stays on each LED: one lap takes about 3 s, within 60..500 ms a step. */
export function walkerStepMs(ledCount: number): number {
  return Math.min(500, Math.max(60, Math.round(3000 / Math.max(1, ledCount))));
}

/**
 * A fade in progress: from `from` (device scale, floating point) to the current target,
 * between two moments on the monotonic clock (performance.now()).
 */
export interface Fade {
  from: readonly Rgb[];
  start: number;
  end: number;
}

/** Everything besides the frame that decides what one output's LEDs show. */
export interface EffectState {
  /** LEDs of the output (width × height). */
  count: number;
  /** Brightness 0..1 (configured or scheduled): a share of the device's full scale under its cap. */
  brightness: number;
  /** The device's ceiling (Driver.maxBrightness): 0.5 puts a full channel at 128 on the Unicorn HAT. */
  cap: number;
  /** True for WS2812 devices: the base colour goes through the gamma curve first. */
  gamma: boolean;
  /** True when the device applies brightness itself (Driver.hardwareBrightness): light stays at full scale, 0 only when off. */
  hardwareBrightness?: boolean;
  stale: boolean;
  /** Colour of the start-up walker and the stale status LED. */
  statusColor: Rgb;
  fps: number;
  /** When the walker started, on the monotonic clock (performance.now()). */
  walkerStart: number;
  fade: Fade | null;
}

/** What compose() decides for one moment. */
export interface Composed {
  /** Per LED, in device scale (0..255) before blinking and rounding: where a new fade starts. */
  light: Rgb[];
  /** The device bytes: one rounding, lit channels at least 1, blinking LEDs off in their off phase. */
  leds: Rgb[];
  blink: boolean[];
  /** When the LEDs change next on their own (monotonic ms, like `t`), Infinity when everything is still. */
  next: number;
  /** False while `fade` is still running. */
  fadeDone: boolean;
}

/**
 * Device light of one base colour, in floating point (SPEC §6): base → gamma (WS2812) →
 * × brightness × cap × dim. Brightness 0 turns the output off; everything else is rounded once, later.
 * A device with hardware brightness gets full-scale light and applies the brightness itself.
 */
export function deviceLight(c: Rgb, fx: Pick<EffectState, 'brightness' | 'cap' | 'gamma' | 'hardwareBrightness'>, dim = 1): Rgb {
  const b = Math.max(0, Math.min(fx.brightness, 1));
  const k = (fx.hardwareBrightness ? (b > 0 ? 1 : 0) : b) * fx.cap * dim;
  if (!fx.gamma) return [clamp255(c[0]) * k, clamp255(c[1]) * k, clamp255(c[2]) * k];
  return [gammaLight(c[0]) * 255 * k, gammaLight(c[1]) * 255 * k, gammaLight(c[2]) * 255 * k];
}

/** Device bytes of a light value: one rounding, and a channel with light never goes to 0. */
export function toDeviceBytes(c: Rgb): Rgb {
  return [deviceByte(c[0]), deviceByte(c[1]), deviceByte(c[2])];
}

/**
 * Device bytes of a light value on its way to `to`: the floor of 1 holds only for channels
 * lit in the target, so a channel fading out reaches 0 like any other step instead of
 * sitting at 1/255 until the fade ends.
 */
export function fadeBytes(c: Rgb, to: Rgb): Rgb {
  return [fadeByte(c[0], to[0]), fadeByte(c[1], to[1]), fadeByte(c[2], to[2])];
}

function fadeByte(v: number, to: number): number {
  return to > 0 ? deviceByte(v) : clampByte(v);
}

/** The device bytes of a base colour at a brightness: what a still, live LED receives. */
export function deviceColor(c: Rgb, fx: Pick<EffectState, 'brightness' | 'cap' | 'gamma' | 'hardwareBrightness'>, dim = 1): Rgb {
  return toDeviceBytes(deviceLight(c, fx, dim));
}

/** A device colour as the screen colour it looks like (the gamma curve undone on WS2812 devices). */
export function screenColor(c: Rgb, gamma: boolean): Rgb {
  if (!gamma) return c;
  return [clampByte(inverseGamma(c[0] / 255)), clampByte(inverseGamma(c[1] / 255)), clampByte(inverseGamma(c[2] / 255))];
}

function clamp255(v: number): number {
  return v > 0 ? Math.min(v, 255) : 0;
}

/** `xs` cut or padded to `n` entries. */
export function fit<T>(xs: readonly T[], n: number, fill: T): T[] {
  const out = xs.slice(0, n);
  while (out.length < n) out.push(fill);
  return out;
}

/** The still picture of a frame: light per LED and blink flags (stale: dimmed, blinking status LED last). */
export function target(frame: Frame, fx: EffectState): { light: Rgb[]; blink: boolean[] } {
  const n = fx.count;
  const blink = fit(frame.blink, n, false);
  const dim = fx.stale ? STALE_DIM : 1;
  const light = fit(frame.leds, n, OFF).map((c) => deviceLight(c, fx, dim));
  if (fx.stale && n > 0) {
    light[n - 1] = deviceLight(fx.statusColor, fx);
    blink[n - 1] = true;
  }
  return { light, blink };
}

/**
 * What one output shows at time `t` (monotonic ms; pure: no timers, no device): the walker
 * before the first frame, else the frame's target, faded from `fx.fade.from`, with blinking
 * LEDs off in the second half of every second; plus when that picture changes next. From
 * `fade.end` on, the bytes are exactly the target's.
 */
export function compose(frame: Frame | null, fx: EffectState, t: number): Composed {
  const n = fx.count;
  if (!frame) {
    const step = walkerStepMs(n);
    const k = Math.max(0, Math.floor((t - fx.walkerStart) / step));
    const light = new Array<Rgb>(n).fill(OFF);
    if (n > 0) light[k % n] = deviceLight(fx.statusColor, fx);
    const blink = new Array<boolean>(n).fill(false);
    return { light, leds: light.map(toDeviceBytes), blink, next: fx.walkerStart + (k + 1) * step, fadeDone: true };
  }
  const still = target(frame, fx);
  let light = still.light;
  let next = Infinity;
  let fadeDone = true;
  const fade = fx.fade;
  let bytes: (c: Rgb, i: number) => Rgb = toDeviceBytes;
  if (fade && t < fade.end && fade.from.length === n) {
    const p = (t - fade.start) / (fade.end - fade.start);
    light = light.map((c, i) => mixRgb(fade.from[i]!, c, p));
    next = Math.min(fade.end, t + 1000 / fx.fps);
    fadeDone = false;
    bytes = (c: Rgb, i: number) => fadeBytes(c, still.light[i]!);
  }
  const blinkOff = Math.floor(t / BLINK_HALF_PERIOD_MS) % 2 === 1;
  const leds = light.map((c, i) => (blinkOff && still.blink[i] ? OFF : bytes(c, i)));
  const litBlink = still.blink.some((b, i) => b && light[i]!.some((v) => v > 0));
  if (litBlink) next = Math.min(next, (Math.floor(t / BLINK_HALF_PERIOD_MS) + 1) * BLINK_HALF_PERIOD_MS);
  return { light, leds, blink: still.blink, next, fadeDone };
}
