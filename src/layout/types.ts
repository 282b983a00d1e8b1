import type { Rgb } from '../color.js';
import type { PaletteKey } from '../config/schema.js';
import type { Geometry } from '../output/geometry.js';

/** A palette with every colour resolved and the set of blinking states. */
export interface ResolvedPalette {
  colors: Record<PaletteKey, Rgb>;
  /** Palette keys whose LEDs blink (pod states, alertCritical, queryError, …). */
  blink: ReadonlySet<PaletteKey>;
}

/** What a layout needs besides the snapshot and its own settings. */
export interface LayoutContext {
  geometry: Geometry;
  palette: ResolvedPalette;
  /** Page of nodes to show (matrix paging); taken modulo the page count. */
  page: number;
  /** The NODE_NAME environment variable: a `summary` layout's node when it names none, a matrix's `$NODE_NAME`. */
  nodeName?: string;
}
