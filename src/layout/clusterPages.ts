import type { Frame } from '../frame.js';
import type { ClusterSnapshot, NodeSnapshot, Snapshot } from '../snapshot.js';
import type { ResolvedPalette } from './types.js';

// SPEC §5 "Several clusters": node slots (matrix bands, nodes LEDs) go cluster by cluster, a
// page holds whole clusters where they fit, and a stale cluster dims and marks its own LEDs.

/** One node's slot on a page (a matrix band or a nodes LED), with the cluster it belongs to (with `clusters:`). */
export interface NodeSlot {
  node: NodeSnapshot;
  cluster?: ClusterSnapshot;
}

/**
 * The node slots of each page, `perPage` slots a page (at least one page). Without clusters:
 * the nodes in order, cut every `perPage`. With clusters: a cluster that fits in what is left
 * of the page goes there, one that does not starts a new page, and one bigger than a page on
 * its own starts a new page and runs over as many as it needs.
 */
export function pageSlots(snapshot: Snapshot, perPage: number): NodeSlot[][] {
  const size = Math.max(1, perPage);
  const groups: NodeSlot[][] = snapshot.clusters
    ? snapshot.clusters.map((cluster) => cluster.nodes.map((node) => ({ node, cluster })))
    : [snapshot.nodes.map((node) => ({ node }))];
  const pages: NodeSlot[][] = [[]];
  for (const group of groups) {
    let page = pages[pages.length - 1]!;
    if (snapshot.clusters && page.length > 0 && page.length + group.length > size) pages.push((page = []));
    for (const slot of group) {
      if (page.length === size) pages.push((page = []));
      page.push(slot);
    }
  }
  return pages;
}

/**
 * Dims and marks each stale cluster's LEDs (SPEC §5): every LED of `indices` dims (Frame.stale)
 * except the last, which shows the blinking status colour, as the last LED of a stale output does.
 */
export function markStale(frame: Frame, indices: readonly number[], palette: ResolvedPalette): void {
  if (!indices.length) return;
  const stale = (frame.stale ??= new Array<boolean>(frame.leds.length).fill(false));
  for (const i of indices) stale[i] = true;
  const mark = indices[indices.length - 1]!;
  stale[mark] = false;
  frame.leds[mark] = palette.colors.status;
  frame.blink[mark] = true;
}

/** LED indices per stale cluster, from each slot's cluster and LEDs (in slot order). */
export function staleRegions(slots: readonly NodeSlot[], ledsOf: (slot: number) => readonly number[]): number[][] {
  const byCluster = new Map<ClusterSnapshot, number[]>();
  slots.forEach((slot, i) => {
    if (!slot.cluster?.stale) return;
    let list = byCluster.get(slot.cluster);
    if (!list) byCluster.set(slot.cluster, (list = []));
    list.push(...ledsOf(i));
  });
  return [...byCluster.values()];
}
