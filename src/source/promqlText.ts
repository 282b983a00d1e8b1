// PromQL text helpers shared by every query builder of src/source/ (pure; no builder imports back).
import type { Config } from '../config/schema.js';

/** The label that names a lane (src/source/freshness.ts): the scrape job. */
export const LANE_LABEL = 'job';

/** Label that carries the pod state in answers to the `pods` query. */
export const STATE_LABEL = 'state';

/** The cluster label answers are grouped by with `clusters:` (SPEC §3c); null for one cluster. */
export function clusterGrouping(config: Config): string | null {
  return config.clusters ? config.prometheus.clusterLabel : null;
}

/** `by (…)` labels with the cluster label first when answers are grouped by cluster. */
export function groupBy(config: Config, labels: string): string {
  const c = clusterGrouping(config);
  return c ? `${c}, ${labels}` : labels;
}

/** Quotes a string as a PromQL string literal. */
export function promString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * The newest sample time of each series of `sel` (Unix seconds). `timestamp()` of a selector
 * is the raw sample's time on Prometheus; VictoriaMetrics also answers it for a series that
 * has just vanished (its last sample in the lookback window), so `and` the selector itself
 * keeps only the series that are still there, as the bare selector does on both.
 */
export function sampleTimes(sel: string): string {
  return `timestamp(${sel}) and ${sel}`;
}

/** One RE2 alternation that matches any of the (fully anchored) regexes. */
export function regexUnion(res: readonly string[]): string {
  return res.length === 1 ? res[0]! : res.map((r) => `(?:${r})`).join('|');
}

/** Escapes a literal for use inside a PromQL regex matcher. */
export function regexLiteral(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Matchers added to every kube-state-metrics selector: `prometheus.matchers` and the cluster label. */
export function baseMatchers(config: Config): string[] {
  const p = config.prometheus;
  const out = [...p.matchers];
  if (p.cluster) out.push(`${p.clusterLabel}=${promString(p.cluster)}`);
  // A listed set of clusters: only theirs are read (auto reads every value, and an unlabelled series tells the label is missing).
  if (Array.isArray(config.clusters))
    out.push(`${p.clusterLabel}=~${promString(config.clusters.map((c) => regexLiteral(c.name)).join('|'))}`);
  return out;
}

/** Namespace include/exclude as PromQL regex matchers (PromQL anchors regexes at both ends). */
export function namespaceMatchers(config: Config): string[] {
  const out: string[] = [];
  const { include, exclude } = config.namespaces;
  if (include.length) out.push(`namespace=~${promString(regexUnion(include))}`);
  if (exclude.length) out.push(`namespace!~${promString(regexUnion(exclude))}`);
  return out;
}

/** A selector `metric{a="b",...}`; bare `metric` when there are no matchers. */
export function selector(metric: string, matchers: readonly string[]): string {
  return matchers.length ? `${metric}{${matchers.join(', ')}}` : metric;
}

/**
 * The rule file that records `prometheus.recordingRule` for this config: the direct pods
 * expression unchanged (matchers, cluster, namespaces and crash reasons baked in, so it is
 * generated per config), plus a zero-valued marker series so an empty cluster reads as zero
 * pods while a missing rule reads as an error. Throws when no recordingRule is configured.
 */
/** Whether the config's own matchers name the job (then podglow never chooses a lane). */
export function pinsLane(config: Config): boolean {
  return config.prometheus.matchers.some((m) => new RegExp(`^${LANE_LABEL}\\s*(=~|!~|!=|=)`).test(m));
}

/** The config with the KSM selectors pinned to one lane (`job="<lane>"`); unchanged for null. */
export function pinLane(config: Config, lane: string | null): Config {
  if (lane === null) return config;
  const p = config.prometheus;
  return { ...config, prometheus: { ...p, matchers: [...p.matchers, `${LANE_LABEL}=${promString(lane)}`] } };
}
