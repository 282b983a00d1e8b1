import { resolvePalette } from '../layout/palette.js';
import type { ResolvedPalette } from '../layout/types.js';

/** The default palette (SPEC §5), for a legend when the caller gives none. */
export function defaultPalette(): ResolvedPalette {
  return resolvePalette({ preset: 'default', colors: {} });
}
