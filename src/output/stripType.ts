// The one fact both WS2812 drivers share (rpi-ws281x in ws281x.ts, the Pi 5's /dev/ledsN in
// pio.ts): which strip types exist. It lives below both so neither imports the other back.
import type { OutputConfig } from '../config/schema.js';

/** Strip types the config accepts (a `ws281x` output's `stripType`; the HATs are `ws2812`). */
export type StripType = Extract<OutputConfig, { type: 'ws281x' }>['stripType'];
