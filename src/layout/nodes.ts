import type { NodesLayoutConfig } from '../config/schema.js';
import { blankFrame, wrapPage, type Frame } from '../frame.js';
import type { Geometry } from '../output/geometry.js';
import type { NodeSnapshot, Snapshot } from '../snapshot.js';
import { nodeColourKey } from './severity.js';
import { markStale, pageSlots, staleRegions, type NodeSlot } from './clusterPages.js';
import type { LayoutContext } from './types.js';

/** Pages of a nodes layout: more nodes than LEDs are shown a page of LEDs at a time. */
export function nodesPages(nodeCount: number, geometry: Geometry): number {
  return Math.max(1, Math.ceil(nodeCount / Math.max(1, geometry.width * geometry.height)));
}

/** Pages of a nodes layout for this snapshot: as nodesPages, cluster by cluster with `clusters:` (see pageSlots). */
export function nodesPagesOf(snapshot: Snapshot, geometry: Geometry): number {
  return pageSlots(snapshot, geometry.width * geometry.height).length;
}

/** The node slots page `page` (wrapped) shows, one per LED in order. */
export function nodeSlotsOnPage(snapshot: Snapshot, geometry: Geometry, page: number): NodeSlot[] {
  const pages = pageSlots(snapshot, geometry.width * geometry.height);
  return pages[wrapPage(page, pages.length)]!;
}

/** The nodes page `page` (wrapped) shows, one per LED in order. */
export function nodesOnPage(snapshot: Snapshot, geometry: Geometry, page: number): NodeSnapshot[] {
  return nodeSlotsOnPage(snapshot, geometry, page).map((s) => s.node);
}

/**
 * The nodes layout (SPEC §5, §4b): one LED per node in display order, coloured by the first
 * entry of NODE_SEVERITY_ORDER that applies (NotReady and critical alerts first; pod states
 * only those in `states`), else off. More nodes than LEDs: pages, like the matrix.
 */
export function renderNodes(layout: NodesLayoutConfig, snapshot: Snapshot, ctx: LayoutContext): Frame {
  const { geometry, palette } = ctx;
  const frame = blankFrame(geometry, nodesPagesOf(snapshot, geometry));
  const { leds, blink } = frame;
  const slots = nodeSlotsOnPage(snapshot, geometry, ctx.page);
  slots.forEach(({ node }, i) => {
    const key = nodeColourKey(node, layout.states);
    if (key === undefined) return;
    leds[i] = palette.colors[key];
    blink[i] = palette.blink.has(key);
  });
  for (const region of staleRegions(slots, (i) => [i])) markStale(frame, region, palette);
  return frame;
}
