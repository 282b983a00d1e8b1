import { clampByte, type Rgb } from '../color.js';

/** USB vendor id of every BlinkStick. */
export const BLINKSTICK_VID = 0x20a0;
/** USB product id of every BlinkStick. */
export const BLINKSTICK_PID = 0x41e5;

/** Feature report that holds the device mode (EEPROM). */
export const MODE_REPORT = 4;
/** Mode in which the device drives WS2812 LEDs with the indexed and batch reports. */
export const WS2812_MODE = 2;

/** The members of the BlinkStick family. */
export type BlinkStickVariant = 'blinkstick' | 'pro' | 'square' | 'strip' | 'nano' | 'flex' | 'unknown';

/** What podglow knows about each variant. */
export interface VariantInfo {
  name: string;
  /** LEDs on one channel. */
  maxLeds: number;
  /** Channels with LEDs (only the Pro has R, G and B outputs). */
  channels: number;
  /** Needs mode 2 (WS2812) to take the batch reports; false for the original, which has no modes. */
  ws2812Mode: boolean;
}

/** Facts per variant (SPEC §7). */
export const VARIANTS: Readonly<Record<BlinkStickVariant, VariantInfo>> = {
  blinkstick: { name: 'BlinkStick', maxLeds: 1, channels: 1, ws2812Mode: false },
  // The Pro ships in mode 0 (one RGB LED on its R/G/B pins); WS2812 chains need mode 2.
  pro: { name: 'BlinkStick Pro', maxLeds: 64, channels: 3, ws2812Mode: true },
  // Square, Strip, Nano and Flex ship in mode 2, but a desktop client may have changed it.
  square: { name: 'BlinkStick Square', maxLeds: 8, channels: 1, ws2812Mode: true },
  strip: { name: 'BlinkStick Strip', maxLeds: 8, channels: 1, ws2812Mode: true },
  nano: { name: 'BlinkStick Nano', maxLeds: 2, channels: 1, ws2812Mode: true },
  flex: { name: 'BlinkStick Flex', maxLeds: 32, channels: 1, ws2812Mode: true },
  // An unknown newer model: speak the batch reports, but never write its EEPROM.
  unknown: { name: 'unknown BlinkStick', maxLeds: 64, channels: 1, ws2812Mode: false },
};

const RELEASE_VARIANTS: Readonly<Record<number, BlinkStickVariant>> = {
  0x200: 'square',
  0x201: 'strip',
  0x202: 'nano',
  0x203: 'flex',
};

/** Hardware major/minor version from a serial such as `BS012345-3.0`, or undefined. */
export function parseSerial(serial: string | undefined): { major: number; minor: number } | undefined {
  const m = /-(\d+)\.(\d+)\s*$/.exec(serial ?? '');
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/** Variant from the serial's major version and, for major 3, the USB release number (bcdDevice). */
export function detectVariant(serial: string | undefined, release: number): BlinkStickVariant {
  const v = parseSerial(serial);
  if (v?.major === 1) return 'blinkstick';
  if (v?.major === 2) return 'pro';
  if (v?.major === 3) return RELEASE_VARIANTS[release] ?? 'unknown';
  return 'unknown';
}

/** Report that holds the first LED's colour; reading it is the idle probe (it touches no EEPROM). */
export const COLOR_REPORT = 1;

/**
 * The variant known without opening the stick: the configured `variant`, else the serial's
 * major version (1 = original, 2 = Pro); undefined when only the stick itself can tell.
 */
export function configuredVariant(
  variant: BlinkStickVariant | 'auto',
  serial: string | undefined,
): BlinkStickVariant | undefined {
  if (variant !== 'auto') return variant;
  const major = parseSerial(serial)?.major;
  return major === 1 ? 'blinkstick' : major === 2 ? 'pro' : undefined;
}

/** True when a variant's LEDs are WS2812s (every model but the original, which has one plain RGB LED). */
export function hasWs2812(variant: BlinkStickVariant): boolean {
  return variant !== 'blinkstick';
}

/** Report 1: `[1, R, G, B]`, the first (or only) LED. */
export function colorReport(c: Rgb): number[] {
  return [1, clampByte(c[0]), clampByte(c[1]), clampByte(c[2])];
}

/** Report 4: `[4, mode]`; stored in EEPROM, so write it only when it differs. */
export function modeReport(mode: number): number[] {
  return [MODE_REPORT, clampByte(mode)];
}

/** Report 5: `[5, channel, index, R, G, B]`, one LED. */
export function indexReport(channel: number, index: number, c: Rgb): number[] {
  return [5, channel, index, clampByte(c[0]), clampByte(c[1]), clampByte(c[2])];
}

/** Batch report ids and the LEDs each carries. */
export const BATCH_REPORTS: readonly { id: number; leds: number }[] = [
  { id: 6, leds: 8 },
  { id: 7, leds: 16 },
  { id: 8, leds: 32 },
  { id: 9, leds: 64 },
];

/** Report 6/7/8/9: `[id, channel, G, R, B, …]`, the smallest that holds `leds`, padded with off LEDs. */
export function batchReport(channel: number, leds: readonly Rgb[]): number[] {
  const size = BATCH_REPORTS.find((r) => r.leds >= leds.length);
  if (!size) throw new RangeError(`a BlinkStick channel holds at most 64 LEDs, got ${leds.length}`);
  const out = new Array<number>(2 + size.leds * 3).fill(0);
  out[0] = size.id;
  out[1] = channel;
  leds.forEach((c, i) => {
    out[2 + i * 3] = clampByte(c[1]);
    out[3 + i * 3] = clampByte(c[0]);
    out[4 + i * 3] = clampByte(c[2]);
  });
  return out;
}

/**
 * The one feature report that shows `leds` on a variant: report 1 on the original
 * BlinkStick, report 5 for a single LED elsewhere, else the smallest batch report.
 */
export function frameReport(variant: BlinkStickVariant, channel: number, leds: readonly Rgb[]): number[] {
  const max = VARIANTS[variant].maxLeds;
  const shown = leds.length > max ? leds.slice(0, max) : leds;
  if (variant === 'blinkstick') return colorReport(shown[0] ?? [0, 0, 0]);
  if (shown.length === 1) return indexReport(channel, 0, shown[0]!);
  return batchReport(channel, shown);
}

/** The report that turns every LED of a variant's channel off. */
export function blankReport(variant: BlinkStickVariant, channel: number): number[] {
  const off: Rgb = [0, 0, 0];
  return frameReport(variant, channel, new Array<Rgb>(VARIANTS[variant].maxLeds).fill(off));
}
