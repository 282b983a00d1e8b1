import type { Rgb } from './color.js';

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
}
