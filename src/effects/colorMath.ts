import type { Rgb } from '../color.js';

/** Multiplies each channel by `factor` (0..1) and rounds to whole steps. */
export function scaleRgb(c: Rgb, factor: number): Rgb {
  return [Math.round(c[0] * factor), Math.round(c[1] * factor), Math.round(c[2] * factor)];
}

/** Linear blend from `a` (p = 0) to `b` (p = 1), rounded; p = 1 gives exactly `b`. */
export function mixRgb(a: Rgb, b: Rgb, p: number): Rgb {
  if (p >= 1) return b;
  if (p <= 0) return a;
  return [
    Math.round(a[0] + (b[0] - a[0]) * p),
    Math.round(a[1] + (b[1] - a[1]) * p),
    Math.round(a[2] + (b[2] - a[2]) * p),
  ];
}

/** True when both LED arrays hold the same colours. */
export function sameLeds(a: readonly Rgb[], b: readonly Rgb[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x[0] !== y[0] || x[1] !== y[1] || x[2] !== y[2]) return false;
  }
  return true;
}

/** Exponent of the WS2812 gamma curve (the one Adafruit and Pimoroni use for their tables). */
export const WS2812_GAMMA = 2.8;

/** Lookup table from a linear 0..255 value to the WS2812 PWM value. */
export const GAMMA_TABLE: readonly number[] = Array.from({ length: 256 }, (_, i) =>
  // A lit channel stays lit: dim palette colours at low brightness must not vanish.
  i === 0 ? 0 : Math.max(1, Math.round(Math.pow(i / 255, WS2812_GAMMA) * 255)),
);

/** Applies the WS2812 gamma curve to one colour. */
export function gammaRgb(c: Rgb): Rgb {
  return [GAMMA_TABLE[c[0]]!, GAMMA_TABLE[c[1]]!, GAMMA_TABLE[c[2]]!];
}
