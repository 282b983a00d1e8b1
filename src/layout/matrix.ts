import { OFF, type Rgb } from '../color.js';
import type { MatrixLayoutConfig } from '../config/schema.js';
import { blankFrame, wrapPage, type Frame } from '../frame.js';
import type { Geometry } from '../output/geometry.js';
import type { NodeSnapshot, Snapshot } from '../snapshot.js';
import { SEVERITY_ORDER, type PodState } from '../states.js';
import { backgroundKey } from './severity.js';
import { markStale, pageSlots, staleRegions, type NodeSlot } from './clusterPages.js';
import type { LayoutContext } from './types.js';

/** A matrix `node:` value meaning the node in the NODE_NAME environment variable. */
export const THIS_NODE = '$NODE_NAME';

/** The nodes a matrix shows: every node, or with `node:` only that one (none when it is not in the snapshot). */
export function matrixNodes(
  layout: MatrixLayoutConfig,
  snapshot: Snapshot,
  nodeName: string | undefined,
): readonly NodeSnapshot[] {
  if (layout.node === undefined) return snapshot.nodes;
  const name = layout.node === THIS_NODE ? nodeName : layout.node;
  return snapshot.nodes.filter((n) => n.name === name);
}

/** How a matrix splits its columns: band width, bands per page and page count. */
export interface MatrixPlan {
  columnsPerNode: number;
  bandsPerPage: number;
  pages: number;
}

/** Band width (clamped to the matrix width), bands per page and pages for `nodeCount` nodes. */
export function matrixPlan(layout: MatrixLayoutConfig, nodeCount: number, geometry: Geometry): MatrixPlan {
  const width = Math.max(1, geometry.width);
  const wanted =
    layout.columnsPerNode === 'auto' ? Math.max(1, Math.floor(width / Math.max(1, nodeCount))) : layout.columnsPerNode;
  const columnsPerNode = Math.min(wanted, width);
  const bandsPerPage = Math.floor(width / columnsPerNode);
  return { columnsPerNode, bandsPerPage, pages: Math.max(1, Math.ceil(nodeCount / bandsPerPage)) };
}

/**
 * How many LEDs each shown state gets in a band of `capacity` LEDs, in fill order, and
 * whether the band overflows. On overflow one LED is kept for the marker and the rest go
 * to the most severe states first, so an alarm is never pushed out by healthy pods.
 */
export function allocateBand(
  pods: Readonly<Record<PodState, number>>,
  fillOrder: readonly PodState[],
  capacity: number,
): { runs: [PodState, number][]; overflow: boolean } {
  const shown = [...new Set(fillOrder)];
  const total = shown.reduce((n, s) => n + pods[s], 0);
  if (total <= capacity) return { runs: shown.map((s) => [s, pods[s]]), overflow: false };
  let free = capacity - 1;
  const given = new Map<PodState, number>();
  for (const s of SEVERITY_ORDER) {
    if (!shown.includes(s)) continue;
    const n = Math.min(pods[s], free);
    given.set(s, n);
    free -= n;
  }
  return { runs: shown.map((s) => [s, given.get(s) ?? 0]), overflow: true };
}

/** LED indices of the band starting at column `x0`, in the order pods fill them. */
export function bandSequence(x0: number, columns: number, geometry: Geometry, origin: 'bottom' | 'top'): number[] {
  const { width, height } = geometry;
  const seq: number[] = [];
  for (let x = x0; x < x0 + columns; x++) {
    for (let i = 0; i < height; i++) {
      const y = origin === 'bottom' ? height - 1 - i : i;
      seq.push(y * width + x);
    }
  }
  return seq;
}

/** Colour and blink of a band's unlit LEDs: NotReady, critical alert, warning, condition, cordoned (states.ts NODE_SEVERITY_ORDER), else off. */
function background(node: NodeSnapshot, ctx: LayoutContext): { color: Rgb; blink: boolean } {
  const key = backgroundKey(node);
  return key ? { color: ctx.palette.colors[key], blink: ctx.palette.blink.has(key) } : { color: OFF, blink: false };
}

/**
 * The matrix layout (SPEC §5): a band of columns per node, one LED per pod, filled column
 * by column from the `origin` row, with overflow marker, node background and paging.
 */
export function renderMatrix(layout: MatrixLayoutConfig, snapshot: Snapshot, ctx: LayoutContext): Frame {
  const { geometry, palette } = ctx;
  const { plan, pages, slots } = matrixPage(layout, snapshot, geometry, ctx.page, ctx.nodeName);
  const frame = blankFrame(geometry, pages);
  const { leds, blink } = frame;
  const bandSeq = (band: number) => bandSequence(band * plan.columnsPerNode, plan.columnsPerNode, geometry, layout.origin);
  slots.forEach(({ node }, band) => {
    const seq = bandSeq(band);
    const { runs, overflow } = allocateBand(node.pods, layout.fillOrder, seq.length);
    let i = 0;
    for (const [state, n] of runs) {
      for (let k = 0; k < n; k++, i++) {
        leds[seq[i]!] = palette.colors[state];
        blink[seq[i]!] = palette.blink.has(state);
      }
    }
    const bg = background(node, ctx);
    for (; i < seq.length; i++) {
      leds[seq[i]!] = bg.color;
      blink[seq[i]!] = bg.blink;
    }
    if (overflow) leds[seq[seq.length - 1]!] = palette.colors.overflow;
  });
  for (const region of staleRegions(slots, bandSeq)) markStale(frame, region, palette);
  return frame;
}

/** Pages of a matrix for this snapshot: bands cluster by cluster with `clusters:` (see pageSlots); one node (`node:`) never pages. */
export function matrixPages(layout: MatrixLayoutConfig, snapshot: Snapshot, geometry: Geometry): number {
  if (layout.node !== undefined) return 1;
  return pageSlots(snapshot, matrixPlan(layout, snapshot.nodes.length, geometry).bandsPerPage).length;
}

/** The split of a matrix and the node slots of page `page` (wrapped): what renderMatrix draws and matrixBands labels. */
function matrixPage(
  layout: MatrixLayoutConfig,
  snapshot: Snapshot,
  geometry: Geometry,
  page: number,
  nodeName: string | undefined,
): { plan: MatrixPlan; pages: number; slots: NodeSlot[] } {
  const shown = matrixSnapshot(layout, snapshot, nodeName);
  const plan = matrixPlan(layout, shown.nodes.length, geometry);
  const pages = pageSlots(shown, plan.bandsPerPage);
  return { plan, pages: pages.length, slots: pages[wrapPage(page, pages.length)]! };
}

/** The snapshot a matrix lays out: the whole one, or with `node:` only that node (first match; no cluster grouping). */
function matrixSnapshot(layout: MatrixLayoutConfig, snapshot: Snapshot, nodeName: string | undefined): Snapshot {
  if (layout.node === undefined) return snapshot;
  const { clusters: _clusters, ...rest } = snapshot;
  return { ...rest, nodes: matrixNodes(layout, snapshot, nodeName).slice(0, 1) };
}

/** One node's band on a matrix page: its columns x .. x + width - 1 (and its cluster with `clusters:`). */
export interface MatrixBand {
  node: string;
  x: number;
  width: number;
  cluster?: string;
}

/** Which node each band of page `page` shows (the same split as renderMatrix), for labels. */
export function matrixBands(
  layout: MatrixLayoutConfig,
  snapshot: Snapshot,
  geometry: Geometry,
  page: number,
  nodeName?: string,
): MatrixBand[] {
  const { plan, slots } = matrixPage(layout, snapshot, geometry, page, nodeName);
  return slots.map(({ node, cluster }, band) => {
    const b: MatrixBand = { node: node.name, x: band * plan.columnsPerNode, width: plan.columnsPerNode };
    if (cluster) b.cluster = cluster.name;
    return b;
  });
}
