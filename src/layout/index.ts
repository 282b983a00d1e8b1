import type { LayoutConfig } from '../config/schema.js';
import type { Frame } from '../frame.js';
import type { Geometry } from '../output/geometry.js';
import type { Snapshot } from '../snapshot.js';
import { matrixPlan, renderMatrix } from './matrix.js';
import { nodesPages, renderNodes } from './nodes.js';
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
  }
}

/** How many pages of nodes a layout needs for this snapshot on this geometry (1 when all fit). */
export function layoutPages(layout: LayoutConfig, snapshot: Snapshot, geometry: Geometry): number {
  switch (layout.type) {
    case 'matrix':
      // One node (`node:`) never pages.
      return layout.node !== undefined ? 1 : matrixPlan(layout, snapshot.nodes.length, geometry).pages;
    case 'nodes':
      return nodesPages(snapshot.nodes.length, geometry);
    case 'summary':
      return 1;
  }
}

/** How long each page shows before the next (seconds). */
export function layoutPageSeconds(layout: LayoutConfig): number {
  return layout.type === 'matrix' ? layout.pageSeconds : DEFAULT_PAGE_SECONDS;
}
