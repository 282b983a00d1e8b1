import type { ClustersLayoutConfig } from '../config/schema.js';
import { blankFrame, wrapPage, type Frame } from '../frame.js';
import type { Geometry } from '../output/geometry.js';
import type { ClusterSnapshot, Snapshot } from '../snapshot.js';
import { NODE_SEVERITY_ORDER, isPodState, type NodeSignal, type PodState } from '../states.js';
import { markStale } from './clusterPages.js';
import { nodeColourKey } from './severity.js';
import type { LayoutContext } from './types.js';

/** Pages of a clusters layout: more clusters than LEDs are shown a page of LEDs at a time. */
export function clustersPages(snapshot: Snapshot, geometry: Geometry): number {
  return Math.max(1, Math.ceil((snapshot.clusters?.length ?? 0) / Math.max(1, geometry.width * geometry.height)));
}

/** The clusters page `page` (wrapped) shows, one per LED in order. */
export function clustersOnPage(snapshot: Snapshot, geometry: Geometry, page: number): ClusterSnapshot[] {
  const count = geometry.width * geometry.height;
  const p = wrapPage(page, clustersPages(snapshot, geometry));
  return (snapshot.clusters ?? []).slice(p * count, (p + 1) * count);
}

/**
 * A cluster's colour key: the first entry of NODE_SEVERITY_ORDER that any of its nodes would
 * show (its nodes' colours by nodeColourKey), its unscheduled pods (in `states`) and its
 * cluster-wide critical and warning alerts counting too; undefined when nothing applies.
 */
export function clusterColourKey(cluster: ClusterSnapshot, states: readonly PodState[]): NodeSignal | PodState | undefined {
  const keys = new Set<NodeSignal | PodState | undefined>(cluster.nodes.map((n) => nodeColourKey(n, states)));
  for (const s of states) if (cluster.unscheduled[s] > 0) keys.add(s);
  if (cluster.alerts.critical > 0) keys.add('alertCritical');
  if (cluster.alerts.warning > 0) keys.add('alertWarning');
  return NODE_SEVERITY_ORDER.find((k) => keys.has(k) && (!isPodState(k) || states.includes(k)));
}

/**
 * The clusters layout (SPEC §5): one LED per cluster in display order, coloured by the
 * severity order over all that cluster's nodes (clusterColourKey), else off; a stale cluster's
 * LED shows the blinking status colour. More clusters than LEDs: pages, like the nodes layout.
 */
export function renderClusters(layout: ClustersLayoutConfig, snapshot: Snapshot, ctx: LayoutContext): Frame {
  const { geometry, palette } = ctx;
  const frame = blankFrame(geometry, clustersPages(snapshot, geometry));
  clustersOnPage(snapshot, geometry, ctx.page).forEach((cluster, i) => {
    const key = clusterColourKey(cluster, layout.states);
    if (key !== undefined) {
      frame.leds[i] = palette.colors[key];
      frame.blink[i] = palette.blink.has(key);
    }
    if (cluster.stale) markStale(frame, [i], palette);
  });
  return frame;
}
