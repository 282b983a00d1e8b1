/** A colour as [red, green, blue], each 0..255. */
export type Rgb = readonly [number, number, number];

/** Off / black. */
export const OFF: Rgb = [0, 0, 0];

/** Parses `#rrggbb` (or `#rgb`) into an Rgb; throws on anything else. */
export function parseHex(hex: string): Rgb {
  const m = /^#?([0-9a-f]{6}|[0-9a-f]{3})$/i.exec(hex.trim());
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  let h = m[1]!;
  if (h.length === 3) h = [...h].map((c) => c + c).join('');
  const n = parseInt(h, 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** Formats an Rgb as lower-case `#rrggbb` (channels rounded and clamped). */
export function toHex(c: Rgb): string {
  return '#' + c.map((v) => clampByte(v).toString(16).padStart(2, '0')).join('');
}

/** A channel value as a device byte: rounded, clamped to 0..255, NaN as 0. */
export function clampByte(v: number): number {
  return v >= 0 ? (v <= 255 ? Math.round(v) : 255) : 0;
}

/** Multiplies each channel by `factor` and rounds to whole steps. */
export function scaleRgb(c: Rgb, factor: number): Rgb {
  return [Math.round(c[0] * factor), Math.round(c[1] * factor), Math.round(c[2] * factor)];
}

/** Linear blend from `a` (p = 0) to `b` (p = 1), in floating point; p = 1 gives exactly `b`. */
export function mixRgb(a: Rgb, b: Rgb, p: number): Rgb {
  if (p >= 1) return b;
  if (p <= 0) return a;
  return [a[0] + (b[0] - a[0]) * p, a[1] + (b[1] - a[1]) * p, a[2] + (b[2] - a[2]) * p];
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

/**
 * Exponent of the WS2812 gamma curve: a WS2812's light output is linear in its PWM byte,
 * and 2.8 is the curve Adafruit's NeoPixel guide uses to make equal colour steps look equal.
 */
export const WS2812_GAMMA = 2.8;

/** A 0..255 colour channel as WS2812 light, 0..1 of the full PWM duty (no rounding). */
export function gammaLight(v: number): number {
  return v <= 0 ? 0 : Math.pow(Math.min(v, 255) / 255, WS2812_GAMMA);
}

/** The inverse of `gammaLight`: light 0..1 back to a 0..255 colour channel (no rounding). */
export function inverseGamma(light: number): number {
  return light <= 0 ? 0 : Math.pow(Math.min(light, 1), 1 / WS2812_GAMMA) * 255;
}

/**
 * A floating-point channel (0..255 of full scale) as a device byte: rounded once, and a
 * channel with any light at all never rounds to 0 (SPEC §6: no lit LED goes dark).
 */
export function deviceByte(v: number): number {
  if (!(v > 0)) return 0;
  return Math.max(1, clampByte(v));
}
