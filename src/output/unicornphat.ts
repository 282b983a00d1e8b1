import type { OutputConfig } from '../config/schema.js';
import type { Driver, DriverContext } from './driver.js';
import type { NativeLoaders } from './native.js';
import { panelOrder, pimoroniCore } from './ws281x.js';

/** A `unicornphat` output's configuration. */
export type UnicornPhatConfig = Extract<OutputConfig, { type: 'unicornphat' }>;
/** Rotations the Unicorn pHAT accepts, in degrees. */
export type PhatRotation = UnicornPhatConfig['rotation'];

/**
 * Physical LED index of the Unicorn pHAT (8 × 4), indexed [x][y] after the `y = 3 - y`
 * flip (Pimoroni unicorn-hat library, table `PHAT`).
 */
export const PHAT_MAP: readonly (readonly number[])[] = [
  [24, 16, 8, 0],
  [25, 17, 9, 1],
  [26, 18, 10, 2],
  [27, 19, 11, 3],
  [28, 20, 12, 4],
  [29, 21, 13, 5],
  [30, 22, 14, 6],
  [31, 23, 15, 7],
];

/** Physical index of logical (x, y) (y = 0 top): flip y, rotate, look up, as Pimoroni's library does. */
export function unicornPhatIndex(x: number, y: number, rotation: PhatRotation): number {
  let px = x;
  let py = 3 - y;
  if (rotation === 180) [px, py] = [7 - px, 3 - py];
  return PHAT_MAP[px]![py]!;
}

/** Logical index (y × 8 + x) → physical index, for a rotation. */
export function unicornPhatOrder(rotation: PhatRotation): number[] {
  return panelOrder(8, 4, (x, y) => unicornPhatIndex(x, y, rotation));
}

/** Builds the Unicorn pHAT driver: 32 WS2812 on GPIO 18 with the same 0.5 brightness cap as the HAT. */
export async function createUnicornPhatDriver(config: UnicornPhatConfig, ctx: DriverContext, loaders?: NativeLoaders): Promise<Driver> {
  return pimoroniCore('unicornphat', config, unicornPhatOrder(config.rotation), ctx, loaders);
}
