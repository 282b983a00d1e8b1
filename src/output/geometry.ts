import type { OutputConfig } from '../config/schema.js';
import { VARIANTS, configuredVariant } from './blinkstickProtocol.js';

/** Logical size of an output in LEDs (index = y × width + x). */
export interface Geometry {
  width: number;
  height: number;
}

/**
 * The logical geometry of a configured output: fixed for the HATs, from count or
 * width × height for strips, 8 × 1 for a Blinkt!, from `leds` or the model's whole count for a BlinkStick (the
 * configured `variant` or the serial; before the stick says, 2 as on a Nano), and from
 * width/height (or the layout's natural size) for terminal and web.
 */
export function outputGeometry(o: OutputConfig): Geometry {
  const summaryLeds = o.layout?.type === 'summary' ? o.layout.leds.length : undefined;
  switch (o.type) {
    case 'unicornhat':
      return { width: 8, height: 8 };
    case 'unicornphat':
      return { width: 8, height: 4 };
    case 'ws281x':
      return o.count ? { width: o.count, height: 1 } : { width: o.width ?? 1, height: o.height ?? 1 };
    case 'wled':
      if (o.count) return { width: o.count, height: 1 };
      if (o.width && o.height) return { width: o.width, height: o.height };
      // No size in the file: the driver reads /json/info (`podglow frame` asks first); until the
      // device answers, one LED stands for it.
      return { width: 1, height: 1 };
    case 'blinkt':
      return { width: 8, height: 1 };
    case 'blinkstick': {
      const variant = configuredVariant(o.variant, o.serial);
      return { width: o.leds ?? (variant ? VARIANTS[variant].maxLeds : 2), height: 1 };
    }
    case 'terminal':
    case 'web':
      if (o.width || o.height) return { width: o.width ?? 8, height: o.height ?? 1 };
      return summaryLeds !== undefined ? { width: summaryLeds, height: 1 } : { width: 8, height: 8 };
  }
}

/**
 * The output's config with the geometry its device reported (a BlinkStick's model without
 * `leds:`, a WLED's /json/info without a size in the file), so layouts and the preview use
 * every LED; other outputs are unchanged.
 */
export function withDeviceGeometry(o: OutputConfig, device: Geometry | undefined): OutputConfig {
  if (!device) return o;
  if (o.type === 'blinkstick' && o.leds === undefined) return { ...o, leds: device.width * device.height };
  if (o.type === 'wled' && sizedByDevice(o)) {
    return device.height > 1 ? { ...o, width: device.width, height: device.height } : { ...o, count: device.width };
  }
  return o;
}

/** True when a `wled` output's size must come from the device's /json/info (none in the config). */
export function sizedByDevice(o: Extract<OutputConfig, { type: 'wled' }>): boolean {
  return !o.count && !(o.width && o.height);
}
