import type { OutputConfig } from '../config/schema.js';
import type { Driver, DriverContext } from './driver.js';
import type { NativeLoaders } from './native.js';
import { pimoroniCore, unicornPhatOrder } from './pimoroni.js';
import type { PioSeams } from './ws281x.js';

export { PHAT_MAP, unicornPhatIndex, unicornPhatOrder, type PhatRotation } from './pimoroni.js';

/** A `unicornphat` output's configuration. */
export type UnicornPhatConfig = Extract<OutputConfig, { type: 'unicornphat' }>;

/** Builds the Unicorn pHAT driver: 32 WS2812 on GPIO 18 with the same 0.5 brightness cap as the HAT. */
export async function createUnicornPhatDriver(
  config: UnicornPhatConfig,
  ctx: DriverContext,
  loaders?: NativeLoaders,
  seams?: PioSeams,
): Promise<Driver> {
  return pimoroniCore('unicornphat', config, unicornPhatOrder(config.rotation), ctx, loaders, seams);
}
