import type { OutputConfig } from '../config/schema.js';
import type { Driver, DriverContext } from './driver.js';
import type { NativeLoaders } from './native.js';
import { panelOrder, ws2812Driver, type PioSeams } from './ws281x.js';

/** Rotations the Unicorn HAT accepts, in degrees. */
export type HatRotation = Extract<OutputConfig, { type: 'unicornhat' }>['rotation'];
/** Rotations the Unicorn pHAT accepts, in degrees. */
export type PhatRotation = Extract<OutputConfig, { type: 'unicornphat' }>['rotation'];

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

/**
 * The driver of a Pimoroni Unicorn HAT or pHAT: WS2812 on the configured GPIO (DMA for
 * rpi-ws281x, `device` for the Pi 5's pio backend), brightness capped at 0.5 like
 * Pimoroni's library (128/255), because a full-white panel draws more current than the
 * Pi's 5 V rail should supply.
 */
export function pimoroniCore(
  kind: 'unicornhat' | 'unicornphat',
  config: Pick<Extract<OutputConfig, { type: 'unicornhat' | 'unicornphat' }>, 'gpio' | 'dma' | 'backend' | 'device'>,
  physical: readonly number[],
  ctx: DriverContext,
  loaders?: NativeLoaders,
  seams?: PioSeams,
): Promise<Driver> {
  return ws2812Driver(
    {
      label: `${kind} "${ctx.name}"`,
      gpio: config.gpio,
      dma: config.dma,
      stripType: 'ws2812',
      physical,
      maxBrightness: 0.5,
      log: ctx.log,
      backend: config.backend,
      device: config.device,
    },
    loaders,
    seams,
  );
}
