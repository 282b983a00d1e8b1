import type { OutputConfig } from '../config/schema.js';
import type { Driver, DriverContext } from './driver.js';
import type { NativeLoaders } from './native.js';
import { pimoroniCore, unicornHatOrder } from './pimoroni.js';
import type { PioSeams } from './ws281x.js';

export { HAT_MAP, unicornHatIndex, unicornHatOrder, type HatRotation } from './pimoroni.js';

/** A `unicornhat` output's configuration. */
export type UnicornHatConfig = Extract<OutputConfig, { type: 'unicornhat' }>;

/** Builds the Unicorn HAT driver: 64 WS2812 on GPIO 18 with the 0.5 brightness cap. */
export async function createUnicornHatDriver(
  config: UnicornHatConfig,
  ctx: DriverContext,
  loaders?: NativeLoaders,
  seams?: PioSeams,
): Promise<Driver> {
  return pimoroniCore('unicornhat', config, unicornHatOrder(config.rotation), ctx, loaders, seams);
}
