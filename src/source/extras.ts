// SPEC §4b: the answers of the extra queries (src/source/extrasQueries.ts) folded into the
// Snapshot: node conditions, firing alerts by severity, and the user's named queries (pure).
import type { AlertsConfig, Config, QueryConfig } from '../config/schema.js';
import { ALERT_SEVERITIES, type AlertSeverity, type QueryResult, type Snapshot } from '../snapshot.js';
import type { Sample } from './answer.js';
import { PollError } from './errors.js';
import { USER_QUERY_PREFIX, nodeCandidateLabel, type ExtraQueryName } from './extrasQueries.js';
import { regexLiteral } from './promqlText.js';

/** The colour of `value` by ascending threshold steps: the last step it reaches, if any. */
export function thresholdColor(value: number, thresholds: QueryConfig['thresholds']): string | undefined {
  let color: string | undefined;
  for (const t of thresholds) if (t.value === undefined || value >= t.value) color = t.color;
  return color;
}

/** One user query's result from its answer (or its request error): exactly one finite number, or an error naming the query. */
export function queryResult(name: string, q: QueryConfig, samples: readonly Sample[] | undefined, error?: string): QueryResult {
  const fail = (why: string): QueryResult => ({ value: null, error: `query ${name}: ${why}` });
  if (error !== undefined) return fail(error.replace(new RegExp(`^${regexLiteral(USER_QUERY_PREFIX + name)} query: `), ''));
  if (!samples) return fail('not sent');
  let value: number;
  if (samples.length === 1) value = samples[0]!.value;
  else if (samples.length === 0 && q.ifEmpty !== undefined) value = q.ifEmpty;
  else if (samples.length === 0) return fail('returned no series; it must return one number (set ifEmpty for a default)');
  else return fail(`returned ${samples.length} series; it must return one number (aggregate it, e.g. with sum)`);
  if (Number.isNaN(value)) return fail('returned NaN');
  if (!Number.isFinite(value)) return fail(`returned ${value > 0 ? '+Inf' : '-Inf'}`);
  const color = thresholdColor(value, q.thresholds);
  return color ? { value, color } : { value };
}

/**
 * The severity podglow counts an alert under, from its severity label's value: the list of
 * `alerts.severities` naming it (the schema lets a value appear in one only), else
 * `alerts.otherSeverity`; undefined when that is `ignore`.
 */
export function alertSeverity(alerts: AlertsConfig, value: string): AlertSeverity | undefined {
  return (
    ALERT_SEVERITIES.find((s) => alerts.severities[s].includes(value)) ??
    (alerts.otherSeverity === 'ignore' ? undefined : alerts.otherSeverity)
  );
}

/** What applyExtras needs from the config. */
export interface ExtrasOptions {
  alerts: AlertsConfig;
  queries: Config['queries'];
}

/** A count from an answer, rejected when it is not a finite non-negative number. */
function countOf(s: Sample, what: string): number {
  if (!Number.isFinite(s.value) || s.value < 0) throw new PollError('invalid_response', `${what}: count is ${s.value}`);
  return Math.round(s.value);
}

/**
 * Folds the extra answers into a fresh snapshot (empty conditions, zero alerts) whose nodes
 * are final (filtered, ordered), in place (pure otherwise): conditions per node (sorted),
 * alerts per node where a node label names a shown node, the rest cluster-wide, and every
 * named query's result. Answers of disabled queries are absent and leave the empty values.
 */
export function applyExtras(
  snapshot: Snapshot,
  answers: Partial<Record<ExtraQueryName, Sample[]>>,
  opts: { extras?: ExtrasOptions; queryErrors?: Record<string, string> },
): Snapshot {
  const byName = new Map(snapshot.nodes.map((n) => [n.name, n]));
  const conditions = new Map<string, Set<string>>();
  for (const s of answers.conditions ?? []) {
    const node = byName.get(s.metric.node ?? '');
    const cond = s.metric.condition;
    if (!node || !cond) continue;
    let set = conditions.get(node.name);
    if (!set) conditions.set(node.name, (set = new Set()));
    set.add(cond);
  }
  for (const [name, set] of conditions) byName.get(name)!.conditions = [...set].sort();
  const alerts = opts.extras?.alerts;
  if (alerts && answers.alerts) {
    for (const s of answers.alerts) {
      const sev = alertSeverity(alerts, s.metric[alerts.severityLabel] ?? '');
      if (!sev) continue;
      const n = countOf(s, 'alerts query');
      let node;
      for (let i = 0; i < alerts.nodeLabels.length && !node; i++) node = byName.get(s.metric[nodeCandidateLabel(i)] ?? '');
      (node ? node.alerts : snapshot.alerts)[sev] += n;
    }
  }
  snapshot.queries = {};
  for (const [name, q] of Object.entries(opts.extras?.queries ?? {})) {
    const key = `${USER_QUERY_PREFIX}${name}` as const;
    snapshot.queries[name] = queryResult(name, q, answers[key], opts.queryErrors?.[key]);
  }
  return snapshot;
}
