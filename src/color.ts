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

/** Formats an Rgb as lower-case `#rrggbb`. */
export function toHex(c: Rgb): string {
  return '#' + c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
}

/** True when both colours are the same. */
export function sameRgb(a: Rgb, b: Rgb): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

/** A channel value as a device byte: rounded, clamped to 0..255, NaN as 0. */
export function clampByte(v: number): number {
  return v >= 0 ? (v <= 255 ? Math.round(v) : 255) : 0;
}
