import type { OutputConfig } from '../config/schema.js';
import type { Driver, DriverContext } from './driver.js';
import type { NativeLoaders } from './native.js';
import { panelOrder, pimoroniCore } from './ws281x.js';

/** A `unicornhat` output's configuration. */
export type UnicornHatConfig = Extract<OutputConfig, { type: 'unicornhat' }>;
/** Rotations the Unicorn HAT accepts, in degrees. */
export type HatRotation = UnicornHatConfig['rotation'];

/**
 * Physical LED index of the Unicorn HAT, indexed [x][y] after the `y = 7 - y` flip
 * (Pimoroni unicorn-hat library, table `HAT`; SPEC §7).
 */
export const HAT_MAP: readonly (readonly number[])[] = [
  [7, 6, 5, 4, 3, 2, 1, 0],
  [8, 9, 10, 11, 12, 13, 14, 15],
  [23, 22, 21, 20, 19, 18, 17, 16],
  [24, 25, 26, 27, 28, 29, 30, 31],
  [39, 38, 37, 36, 35, 34, 33, 32],
  [40, 41, 42, 43, 44, 45, 46, 47],
  [55, 54, 53, 52, 51, 50, 49, 48],
  [56, 57, 58, 59, 60, 61, 62, 63],
];

/**
 * Physical index of logical (x, y) (y = 0 top) at a rotation, in the order Pimoroni's
 * library applies it: flip y, rotate, look up.
 */
export function unicornHatIndex(x: number, y: number, rotation: HatRotation): number {
  let px = x;
  let py = 7 - y;
  if (rotation === 90) [px, py] = [py, 7 - px];
  else if (rotation === 180) [px, py] = [7 - px, 7 - py];
  else if (rotation === 270) [px, py] = [7 - py, px];
  return HAT_MAP[px]![py]!;
}

/** Logical index (y × 8 + x) → physical index, for a rotation. */
export function unicornHatOrder(rotation: HatRotation): number[] {
  return panelOrder(8, 8, (x, y) => unicornHatIndex(x, y, rotation));
}

/** Builds the Unicorn HAT driver: 64 WS2812 on GPIO 18 with the 0.5 brightness cap. */
export async function createUnicornHatDriver(config: UnicornHatConfig, ctx: DriverContext, loaders?: NativeLoaders): Promise<Driver> {
  return pimoroniCore('unicornhat', config, unicornHatOrder(config.rotation), ctx, loaders);
}
