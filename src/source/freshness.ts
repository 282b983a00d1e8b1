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
}

/**
 * The lanes podglow chooses between, fastest first: `prometheus.lanes`, unless the config
 * pins the job itself (a `job` matcher), reads a recording rule (whose series have no job) or
 * shows several clusters (`clusters:`: every job is read).
 */
export function lanesInUse(config: Config): string[] {
  const p = config.prometheus;
  if (p.recordingRule) return [];
  // With clusters: one lane pinned for all would hide every cluster that lacks that job.
  if (config.clusters) return [];
  if (pinsLane(config)) return [];
  return p.lanes;
}

/** The config with the KSM selectors pinned to one lane (`job="<lane>"`); unchanged for null. */
export function pinLane(config: Config, lane: string | null): Config {
  if (lane === null) return config;
  const p = config.prometheus;
  return { ...config, prometheus: { ...p, matchers: [...p.matchers, `${LANE_LABEL}=${promString(lane)}`] } };
}

/**
 * The freshness query, the probe: the newest kube_node_info sample's `timestamp()` (the time
 * of the last scrape of kube-state-metrics, on the server's clock), per job when lanes are
 * read, plus the recorded series' newest sample in recording-rule mode. O(lanes) series.
 * Full polls learn the same from their `nodes` query (src/source/promql.ts).
 */
export function freshnessQuery(config: Config): string {
  const sel = selector('kube_node_info', baseMatchers(config));
  const ksm = lanesInUse(config).length ? `max by (${LANE_LABEL}) (${sampleTimes(sel)})` : `max(${sampleTimes(sel)})`;
  const rule = config.prometheus.recordingRule;
  if (!rule) return ksm;
  const recorded = `max(${sampleTimes(`${rule}{podglow_marker="present"}`)})`;
  return `label_replace(${recorded}, ${promString(SERIES_LABEL)}, "rule", "", "")\n  or ${ksm}`;
}

/** Reads a freshness answer, or a poll's `nodes` answer (pure): sample values are Unix seconds. */
export function parseFreshness(samples: readonly Sample[], evaluatedAt: number | null): Freshness {
  const ksm = new Map<string, number>();
  let rule: number | null = null;
  for (const s of samples) {
    if (!Number.isFinite(s.value)) continue;
    const ms = s.value * 1000;
    if (s.metric[SERIES_LABEL] === 'rule') rule = Math.max(rule ?? ms, ms);
    else {
      const lane = s.metric[LANE_LABEL] ?? '';
      ksm.set(lane, Math.max(ksm.get(lane) ?? ms, ms));
    }
  }
  return { evaluatedAt, ksm, rule };
}

/**
 * The lane to read (pure): the first of `lanes` (fastest first) that has data and has not
 * fallen more than LANE_BEHIND_MS behind the newest job; null (read every job, as without
 * lanes) when none has. One lane only: a fresh and a stale copy of the same pods, merged
 * with `max`, would show a pod's old phase until the slow lane catches up.
 */
export function chooseLane(f: Freshness, lanes: readonly string[]): string | null {
  if (!lanes.length || f.ksm.size === 0) return null;
  const newest = Math.max(...f.ksm.values());
  for (const lane of lanes) {
    const t = f.ksm.get(lane);
    if (t !== undefined && newest - t <= LANE_BEHIND_MS) return lane;
  }
  return null;
}

/** Where the data of `lane` stands (pure); `now` stands in for the time of an empty answer, which carries none. */
export function dataTime(f: Freshness, lane: string | null, now: number): DataTime {
  const times = [...f.ksm.values()];
  const newestSample = lane !== null ? (f.ksm.get(lane) ?? null) : times.length ? Math.max(...times) : null;
  return { evaluatedAt: f.evaluatedAt ?? now, newestSample, watermark: f.rule ?? newestSample, lane };
}
