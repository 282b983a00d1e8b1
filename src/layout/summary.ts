import { OFF, parseHex, type Rgb } from '../color.js';
import type { PaletteKey, SummaryLayoutConfig } from '../config/schema.js';
import { blankFrame, type Frame } from '../frame.js';
import { ALERT_SEVERITIES, type AlertCounts, type AlertSeverity, type ClusterSnapshot, type Snapshot } from '../snapshot.js';
import { markStale } from './clusterPages.js';
import { POD_STATES, isPodState, type PodState, type StateCounts } from '../states.js';
import type { LayoutContext, ResolvedPalette } from './types.js';

/** Node name that makes a summary cover the whole cluster. */
export const WHOLE_CLUSTER = '*';

/**
 * Pod counts a summary shows: one node's, or with `*` every node's plus the unscheduled
 * pods (a pod the scheduler cannot place is part of the cluster's state). Undefined when
 * the node is not in the snapshot (or no node is configured).
 */
export function summaryCounts(snapshot: Snapshot, node: string | undefined): StateCounts | undefined {
  if (node === WHOLE_CLUSTER) {
    const sum = { ...snapshot.unscheduled };
    for (const n of snapshot.nodes) for (const s of POD_STATES) sum[s] += n.pods[s];
    return sum;
  }
  return snapshot.nodes.find((n) => n.name === node)?.pods;
}

/** What a summary's entries look at besides pod counts: alerts, conditions and the named queries. */
export interface SummaryScope {
  counts: StateCounts;
  alerts: AlertCounts;
  conditions: ReadonlySet<string>;
  queries: Snapshot['queries'];
}

/**
 * The scope of a summary: one node's pods, conditions and alerts plus the cluster-wide alerts
 * (they belong to no node, so every node's light shows them), or with `*` everything.
 * Undefined when the node is not in the snapshot.
 */
export function summaryScope(snapshot: Snapshot, node: string | undefined): SummaryScope | undefined {
  if (snapshot.clusters && node === WHOLE_CLUSTER) {
    // The whole light: every cluster's nodes, unscheduled pods and cluster-wide alerts.
    const scopes = snapshot.clusters.map((c) => summaryScope(clusterView(snapshot, c), WHOLE_CLUSTER)!);
    const counts = { ...snapshot.unscheduled };
    for (const n of snapshot.nodes) for (const s of POD_STATES) counts[s] += n.pods[s];
    const alerts = { ...snapshot.alerts };
    for (const sc of scopes) for (const sev of ALERT_SEVERITIES) alerts[sev] += sc.alerts[sev];
    return { counts, alerts, conditions: new Set(scopes.flatMap((sc) => [...sc.conditions])), queries: snapshot.queries };
  }
  const counts = summaryCounts(snapshot, node);
  if (!counts) return undefined;
  const nodes = node === WHOLE_CLUSTER ? snapshot.nodes : snapshot.nodes.filter((n) => n.name === node);
  const alerts = { ...snapshot.alerts };
  const conditions = new Set<string>();
  for (const n of nodes) {
    for (const sev of ALERT_SEVERITIES) alerts[sev] += n.alerts[sev];
    for (const c of n.conditions) conditions.add(c);
  }
  return { counts, alerts, conditions, queries: snapshot.queries };
}

/**
 * Colour of one summary entry when it applies, else undefined: a pod state with a pod,
 * `alert:<severity>` with a firing alert, `condition:<Name>` while true, `query:<name>` with
 * a threshold colour, or with an error (queryError: a broken query never looks fine).
 */
export function entryColour(
  entry: string,
  scope: SummaryScope,
  palette: ResolvedPalette,
): { color: Rgb; blink: boolean } | undefined {
  const key = (k: PaletteKey) => ({ color: palette.colors[k], blink: palette.blink.has(k) });
  if (isPodState(entry)) return scope.counts[entry] > 0 ? key(entry) : undefined;
  const colon = entry.indexOf(':');
  const kind = entry.slice(0, colon);
  const arg = entry.slice(colon + 1);
  if (kind === 'alert') {
    const sev = arg as AlertSeverity;
    return scope.alerts[sev] > 0
      ? key(sev === 'critical' ? 'alertCritical' : sev === 'warning' ? 'alertWarning' : 'alertInfo')
      : undefined;
  }
  if (kind === 'condition') return scope.conditions.has(arg) ? key('condition') : undefined;
  if (kind === 'query') {
    const q = scope.queries[arg];
    // Configured but absent (a snapshot from elsewhere) is as broken as an error.
    if (!q || q.error !== undefined || q.value === null) return key('queryError');
    return q.color ? { color: parseHex(q.color), blink: false } : undefined;
  }
  return undefined;
}

/**
 * The summary layout (SPEC §5, §4b): each list entry shows the colour of the first of its
 * states that applies (see entryColour), else its `otherwise` colour. A node missing from
 * the snapshot lights every LED in the notReady colour. A list shorter than the device is
 * spread over all its LEDs in equal groups in list order (a BlinkStick Strip with the
 * default two entries: LEDs 0–3 and 4–7), so every LED the model has is used; entries
 * beyond the LEDs are dropped.
 */
export function renderSummary(layout: SummaryLayoutConfig, snapshot: Snapshot, ctx: LayoutContext): Frame {
  const { geometry, palette } = ctx;
  const frame = blankFrame(geometry);
  const { leds, blink } = frame;
  const count = leds.length;
  const cluster = layout.cluster === undefined ? undefined : snapshot.clusters?.find((c) => c.name === layout.cluster);
  // A named cluster that is not in the snapshot shows like a missing node (notReady).
  const scope =
    layout.cluster === undefined
      ? summaryScope(snapshot, layout.node ?? ctx.nodeName)
      : cluster && summaryScope(clusterView(snapshot, cluster), layout.node ?? ctx.nodeName);
  const entries = layout.leds.slice(0, count).map((led): { color: Rgb; blink: boolean } => {
    if (!scope) return { color: palette.colors.notReady, blink: false };
    let hit: { color: Rgb; blink: boolean } | undefined;
    for (const entry of led.states) if ((hit = entryColour(entry, scope, palette))) return hit;
    if (led.otherwise === 'off') return { color: OFF, blink: false };
    if (led.otherwise.startsWith('#')) return { color: parseHex(led.otherwise), blink: false };
    return { color: palette.colors[led.otherwise as PodState], blink: false };
  });
  for (let i = 0; i < count && entries.length; i++) {
    const e = entries[Math.floor((i * entries.length) / count)]!;
    leds[i] = e.color;
    blink[i] = e.blink;
  }
  // A summary of one stale cluster, or of the whole light while any cluster is stale, is marked.
  const stale = cluster ? cluster.stale : layout.cluster === undefined && !!snapshot.clusters?.some((c) => c.stale);
  if (stale)
    markStale(
      frame,
      leds.map((_, i) => i),
      palette,
    );
  return frame;
}

/** One cluster's block as a single-cluster Snapshot (its nodes, unscheduled pods and alerts; the queries stay global). */
export function clusterView(snapshot: Snapshot, cluster: ClusterSnapshot): Snapshot {
  return {
    time: snapshot.time,
    nodes: cluster.nodes,
    unscheduled: cluster.unscheduled,
    alerts: cluster.alerts,
    queries: snapshot.queries,
  };
}
