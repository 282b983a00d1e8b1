import { inverseGamma, parseHex, toHex, type Rgb } from '../color.js';
import { PALETTE_KEYS, type PaletteConfig, type PaletteKey } from '../config/schema.js';
import type { ResolvedPalette } from './types.js';

/** One built-in palette: a colour for every key and the states that blink. */
export interface PalettePreset {
  colors: Record<PaletteKey, string>;
  blink: readonly PaletteKey[];
  /**
   * Set when `colors` are raw PWM bytes of a device that ran at a fixed low level: the PWM
   * value that counts as full scale. Palettes hold full-brightness screen colours (the
   * brightness setting dims them), so such a preset is scaled to full scale and put through
   * the inverse WS2812 curve; colours then stay apart at every brightness (SPEC §6).
   */
  pwmFullScale?: number;
}

/** Name of a built-in palette. */
export type PresetName = PaletteConfig['preset'];

const OFF_HEX = '#000000';

/** Built-in palettes (SPEC §5). */
export const PRESETS: Record<PresetName, PalettePreset> = {
  default: {
    colors: {
      running: '#00ff00',
      pending: '#ff9900',
      terminating: '#0000ff',
      crashing: '#ff0000',
      failed: '#ff0000',
      unknown: '#8000ff',
      succeeded: '#303030',
      overflow: '#ffffff',
      notReady: '#400000',
      cordoned: '#402600',
      status: '#ff9900',
      // SPEC §4b: a critical alert strobes like graybern/k8s-blinkstick; a pressure condition is a dim background (teal: a dim yellow met cordoned's bytes at 0.5 and below).
      alertCritical: '#ff0040',
      alertWarning: '#ffd000',
      alertInfo: '#0080ff',
      condition: '#003838',
      queryError: '#ff00ff',
    },
    blink: ['crashing', 'alertCritical', 'queryError'],
  },
  // The original Unicorn HAT monitor lit running pods green and pending pods blue, nothing else.
  'unicorn-classic': {
    colors: {
      running: '#00ff00',
      pending: '#0000ff',
      terminating: OFF_HEX,
      crashing: OFF_HEX,
      failed: OFF_HEX,
      unknown: OFF_HEX,
      succeeded: OFF_HEX,
      overflow: OFF_HEX,
      notReady: OFF_HEX,
      cordoned: OFF_HEX,
      // podglow's own health display (start-up walker, stale LED) stays visible.
      status: '#ff9900',
      // The original showed neither alerts nor conditions; a broken query of the user's own is still shown.
      alertCritical: OFF_HEX,
      alertWarning: OFF_HEX,
      alertInfo: OFF_HEX,
      condition: OFF_HEX,
      queryError: '#ff00ff',
    },
    blink: [],
  },
  // The original BlinkStick monitor's dim colours (green 0,25,0; yellow 50,50,0; blue 0,0,50;
  // red 50,0,0; an unused orange 60,20,0); states it did not know get equally dim colours.
  // Its red was PWM 50: on a WS2812 stick with gamma on, brightness 50/255 (about 0.2) sends
  // exactly these bytes.
  'blinkstick-classic': {
    pwmFullScale: 50,
    colors: {
      running: '#001900',
      pending: '#323200',
      terminating: '#000032',
      crashing: '#320000',
      failed: '#320000',
      unknown: '#190032',
      succeeded: '#0a0a0a',
      overflow: '#323232',
      notReady: '#140000',
      cordoned: '#140a00',
      status: '#3c1400',
      // Alerts and conditions in the same dim range: red, yellow, blue; the unused orange for conditions.
      alertCritical: '#320000',
      alertWarning: '#323200',
      alertInfo: '#000032',
      condition: '#3c1400',
      queryError: '#320032',
    },
    blink: [],
  },
};

/**
 * Resolves the palette of one output: the global palette, with the output's own palette
 * merged over it. An output palette naming a preset other than `default` starts afresh
 * from that preset; otherwise its `colors` override single colours of the global palette
 * and its `blink`, when given, replaces the global list.
 */
export function resolvePalette(global: PaletteConfig, override?: PaletteConfig): ResolvedPalette {
  const ownPreset = override !== undefined && override.preset !== 'default';
  const layers: PaletteConfig[] = ownPreset ? [override] : override ? [global, override] : [global];
  const base = PRESETS[layers[0]!.preset];
  const hex: Record<PaletteKey, string> = presetColors(base);
  let blink: readonly PaletteKey[] = base.blink;
  for (const layer of layers) {
    Object.assign(hex, layer.colors);
    if (layer.blink) blink = layer.blink;
  }
  const colors = {} as Record<PaletteKey, Rgb>;
  for (const key of PALETTE_KEYS) colors[key] = parseHex(hex[key]);
  return { colors, blink: new Set(blink) };
}

/** A preset's colours as full-brightness screen colours (PWM presets converted, see `pwmFullScale`). */
export function presetColors(preset: PalettePreset): Record<PaletteKey, string> {
  const full = preset.pwmFullScale;
  if (full === undefined) return { ...preset.colors };
  const out = {} as Record<PaletteKey, string>;
  for (const key of Object.keys(preset.colors) as PaletteKey[]) {
    const [r, g, b] = parseHex(preset.colors[key]);
    // toHex rounds and clamps each channel.
    out[key] = toHex([inverseGamma(r / full), inverseGamma(g / full), inverseGamma(b / full)]);
  }
  return out;
}
