import type { OutputType } from '../config/schema.js';

/** What one output is showing right now (for /api/state, SSE and the preview page). */
export interface OutputView {
  name: string;
  type: OutputType;
  width: number;
  height: number;
  /** Base colours from the layout, `#rrggbb`, logical order (before brightness and effects). */
  base: string[];
  /**
   * What the LEDs show now, `#rrggbb`, logical order: the device bytes after every effect,
   * brightness and cap, as a screen colour (the WS2812 gamma curve undone where it was applied).
   */
  leds: string[];
  /** Per LED: true when it blinks. */
  blink: boolean[];
  /** With `clusters:`: per LED, true when it belongs to a stale cluster and dims (absent when none does). */
  staleLeds?: boolean[];
  brightness: number;
  up: boolean;
  /** Current page / page count of a paged matrix. */
  page: number;
  pages: number;
}
