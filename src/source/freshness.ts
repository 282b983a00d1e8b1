import type { Config } from '../config/schema.js';
import type { Sample } from './answer.js';
import { LANE_LABEL, baseMatchers, pinsLane, promString, sampleTimes, selector } from './promqlText.js';
import type { DataTime } from './source.js';

// SPEC §3b: when did kube-state-metrics data last land, and which lane (scrape job) to read.
// Build (PromQL) and parse (pure) of the one query that says so; the probe sends it alone,
// every full poll sends it beside the others.

/** Label marking the recorded series' timestamp in the freshness answer (recording-rule mode). */
const SERIES_LABEL = 'podglow_series';

/** A listed lane this much older than the newest one is passed over (it stopped landing). */
export const LANE_BEHIND_MS = 60_000;

/** What one freshness answer says: the newest KSM sample per lane, and the rule's last evaluation. */
export interface Freshness {
  /** When the server evaluated the query (ms, its clock); null for an empty answer. */
  evaluatedAt: number | null;
  /** Newest kube_node_info sample per job (ms, server clock); key '' when lanes are not read. */
  ksm: Map<string, number>;
  /** Newest recorded sample of `prometheus.recordingRule` (ms), or null. */
  rule: number | null;
  /** With `clusters:`: the newest sample per lane within each cluster (cluster label value → job → ms). */
  clusters?: Map<string, Map<string, number>>;
}

/**
 * The lanes podglow chooses between, fastest first: `prometheus.lanes`, unless the config
 * pins the job itself (a `job` matcher) or reads a recording rule (whose series have no job).
 * With `clusters:` the lane is one that every cluster has (chooseLane).
 */
export function lanesInUse(config: Config): string[] {
  const p = config.prometheus;
  if (p.recordingRule) return [];
  if (pinsLane(config)) return [];
  return p.lanes;
}

/**
 * The freshness query, the probe: the newest kube_node_info sample's `timestamp()` (the time
 * of the last scrape of kube-state-metrics, on the server's clock), per job when lanes are
 * read, plus the recorded series' newest sample in recording-rule mode. O(lanes) series.
 * Full polls learn the same from their `nodes` query (src/source/promql.ts).
 */
export function freshnessQuery(config: Config): string {
  const sel = selector('kube_node_info', baseMatchers(config));
  const by = config.clusters ? `${config.prometheus.clusterLabel}, ${LANE_LABEL}` : LANE_LABEL;
  const ksm = lanesInUse(config).length ? `max by (${by}) (${sampleTimes(sel)})` : `max(${sampleTimes(sel)})`;
  const rule = config.prometheus.recordingRule;
  if (!rule) return ksm;
  const recorded = `max(${sampleTimes(`${rule}{podglow_marker="present"}`)})`;
  return `label_replace(${recorded}, ${promString(SERIES_LABEL)}, "rule", "", "")\n  or ${ksm}`;
}

/**
 * Reads a freshness answer, or a poll's `nodes` answer (pure): sample values are Unix seconds.
 * With `clusterLabel` (configs with `clusters:`) the lanes are also kept per cluster.
 */
export function parseFreshness(samples: readonly Sample[], evaluatedAt: number | null, clusterLabel?: string): Freshness {
  const ksm = new Map<string, number>();
  const clusters = clusterLabel === undefined ? undefined : new Map<string, Map<string, number>>();
  let rule: number | null = null;
  for (const s of samples) {
    if (!Number.isFinite(s.value)) continue;
    const ms = s.value * 1000;
    if (s.metric[SERIES_LABEL] === 'rule') rule = Math.max(rule ?? ms, ms);
    else {
      const lane = s.metric[LANE_LABEL] ?? '';
      ksm.set(lane, Math.max(ksm.get(lane) ?? ms, ms));
      if (clusters && clusterLabel !== undefined) {
        const name = s.metric[clusterLabel] ?? '';
        let lanes = clusters.get(name);
        if (!lanes) clusters.set(name, (lanes = new Map()));
        lanes.set(lane, Math.max(lanes.get(lane) ?? ms, ms));
      }
    }
  }
  return clusters ? { evaluatedAt, ksm, rule, clusters } : { evaluatedAt, ksm, rule };
}

/** Whether `lane` has data in `times` (job → ms) not more than LANE_BEHIND_MS behind its newest job. */
function laneCurrent(times: ReadonlyMap<string, number>, lane: string): boolean {
  const t = times.get(lane);
  return t !== undefined && Math.max(...times.values()) - t <= LANE_BEHIND_MS;
}

/**
 * The lane to read (pure): the first of `lanes` (fastest first) that has data and has not
 * fallen more than LANE_BEHIND_MS behind the newest job; null (read every job, as without
 * lanes) when none has. One lane only: a fresh and a stale copy of the same pods, merged
 * with `max`, would show a pod's old phase until the slow lane catches up. With several
 * clusters, the first lane that is current in every cluster: one job pinned for all can only
 * be one that none of them lacks (a cluster without it would vanish from the light).
 */
export function chooseLane(f: Freshness, lanes: readonly string[]): string | null {
  if (!lanes.length || f.ksm.size === 0) return null;
  const groups = f.clusters?.size ? [...f.clusters.values()] : [f.ksm];
  return lanes.find((lane) => groups.every((times) => laneCurrent(times, lane))) ?? null;
}

/** Where the data of `lane` stands (pure); `now` stands in for the time of an empty answer, which carries none. */
export function dataTime(f: Freshness, lane: string | null, now: number): DataTime {
  const times = [...f.ksm.values()];
  const newestSample = lane !== null ? (f.ksm.get(lane) ?? null) : times.length ? Math.max(...times) : null;
  return { evaluatedAt: f.evaluatedAt ?? now, newestSample, watermark: f.rule ?? newestSample, lane };
}
