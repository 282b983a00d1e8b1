import type { LayoutConfig } from '../config/schema.js';
import type { Frame } from '../frame.js';
import type { Geometry } from '../output/geometry.js';
import type { Snapshot } from '../snapshot.js';
import { clustersPages, renderClusters } from './clusters.js';
import { matrixPages, renderMatrix } from './matrix.js';
import { nodesPagesOf, renderNodes } from './nodes.js';
import { renderSummary } from './summary.js';
import type { LayoutContext } from './types.js';

export { resolvePalette, PRESETS } from './palette.js';
export type { LayoutContext, ResolvedPalette } from './types.js';

/** Seconds each page shows when a layout has more nodes than fit: `pageSeconds` of a matrix, else 10. */
export const DEFAULT_PAGE_SECONDS = 10;

/** Turns a snapshot into one output's frame (base colours, logical order); pure. */
export function renderLayout(layout: LayoutConfig, snapshot: Snapshot, ctx: LayoutContext): Frame {
  switch (layout.type) {
    case 'matrix':
      return renderMatrix(layout, snapshot, ctx);
    case 'nodes':
      return renderNodes(layout, snapshot, ctx);
    case 'summary':
      return renderSummary(layout, snapshot, ctx);
    case 'clusters':
      return renderClusters(layout, snapshot, ctx);
  }
}

/** How many pages of nodes a layout needs for this snapshot on this geometry (1 when all fit). */
export function layoutPages(layout: LayoutConfig, snapshot: Snapshot, geometry: Geometry): number {
  switch (layout.type) {
    case 'matrix':
      return matrixPages(layout, snapshot, geometry);
    case 'nodes':
      return nodesPagesOf(snapshot, geometry);
    case 'summary':
      return 1;
    case 'clusters':
      return clustersPages(snapshot, geometry);
  }
}

/** How long each page shows before the next (seconds). */
export function layoutPageSeconds(layout: LayoutConfig): number {
  return layout.type === 'matrix' ? layout.pageSeconds : DEFAULT_PAGE_SECONDS;
}
