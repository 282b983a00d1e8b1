import { OFF, type Rgb } from './color.js';

/**
 * What a layout produces for one output: base colours per LED in logical order
 * (index = y × width + x, y = 0 is the top row), before brightness, gamma and effects.
 */
export interface Frame {
  width: number;
  height: number;
  leds: Rgb[];
  /** Per LED: true when this LED blinks (e.g. a crashing pod). Same length as `leds`. */
  blink: boolean[];
  /** How many pages of nodes this layout has (matrix paging); 1 when everything fits. */
  pages: number;
  /**
   * Per LED: true when it belongs to a stale cluster and dims (with `clusters:` only; SPEC §5).
   * Absent when no LED is stale.
   */
  stale?: boolean[];
}

/** A frame of `geometry` with every LED off and none blinking; layouts start from it. */
export function blankFrame(geometry: { width: number; height: number }, pages = 1): Frame {
  const count = geometry.width * geometry.height;
  return {
    width: geometry.width,
    height: geometry.height,
    leds: new Array<Rgb>(count).fill(OFF),
    blink: new Array<boolean>(count).fill(false),
    pages,
  };
}

/** `page` wrapped into 0..pages-1 (any integer, negative too). */
export function wrapPage(page: number, pages: number): number {
  return ((Math.trunc(page) % pages) + pages) % pages;
}
