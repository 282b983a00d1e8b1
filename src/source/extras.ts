import type { AlertsConfig, Config, QueryConfig } from '../config/schema.js';
import { ALERT_SEVERITIES, type AlertSeverity, type QueryResult, type Snapshot } from '../snapshot.js';
import { PollError } from './errors.js';
import { baseMatchers, clusterGrouping, groupBy, promString, regexLiteral, regexUnion } from './promql.js';
import type { QueryStats } from './prometheus.js';
import type { Sample, VectorAnswer } from './parse.js';

// SPEC §4b: node conditions, firing alerts and the user's named queries, as extra instant
// queries of a poll. Each is aggregated in PromQL to O(nodes) series; their answers are
// folded into the Snapshot by applyExtras.

/** Prefix of the names under which the user's `queries:` are sent (`query:slo`). */
export const USER_QUERY_PREFIX = 'query:';

/** Names of the extra instant queries: conditions, alerts, and one per named user query. */
export type ExtraQueryName = 'conditions' | 'alerts' | `${typeof USER_QUERY_PREFIX}${string}`;

/** Label of the alerts answer that carries the i-th candidate of `alerts.nodeLabels`, port removed. */
export function nodeCandidateLabel(i: number): string {
  return `podglow_node_${i}`;
}

/** A value with a trailing `:port` removed (`10.0.0.5:9100` → `10.0.0.5`); RE2 anchors it at both ends. */
const WITHOUT_PORT = '(.+?)(?::[0-9]+)?';

/** Whether a query name is one of the user's `queries:`. */
export function isUserQuery(name: string): name is `${typeof USER_QUERY_PREFIX}${string}` {
  return name.startsWith(USER_QUERY_PREFIX);
}

/**
 * True node conditions other than Ready, one series per (node, condition): the KSM matchers
 * and cluster apply, `conditions.include` narrows the names. `== 1` drops the 0 rows of the
 * other statuses; `max` folds KSM replicas.
 */
export function conditionsExpression(config: Config): string {
  const m = [...baseMatchers(config), 'condition!="Ready"', 'status="true"'];
  if (config.conditions.include.length) m.push(`condition=~${promString(regexUnion(config.conditions.include))}`);
  return `max by (${groupBy(config, 'node, condition')}) (kube_node_status_condition{${m.join(', ')}} == 1)`;
}

/**
 * Firing alerts counted by severity and by each node-label candidate (port removed), so the
 * answer has O(nodes × severities) series whatever the number of alerts. The KSM matchers
 * do not apply (ALERTS comes from Prometheus' rules, not from kube-state-metrics); use
 * `alerts.matchers` for a cluster label.
 */
export function alertsExpression(alerts: AlertsConfig, clusterLabel: string | null = null): string {
  const m = ['alertstate="firing"'];
  if (alerts.exclude.length) m.push(`alertname!~${promString(alerts.exclude.map(regexLiteral).join('|'))}`);
  m.push(...alerts.matchers);
  let expr = `ALERTS{${m.join(', ')}}`;
  // Innermost first; each label_replace copies one candidate, so the order of the list survives.
  alerts.nodeLabels.forEach((label, i) => {
    expr = `label_replace(${expr}, ${promString(nodeCandidateLabel(i))}, "$1", ${promString(label)}, ${promString(WITHOUT_PORT)})`;
  });
  const by = [alerts.severityLabel, ...alerts.nodeLabels.map((_, i) => nodeCandidateLabel(i))];
  // With clusters: each alert counts in the cluster its label names (SPEC §3c).
  if (clusterLabel && clusterLabel !== alerts.severityLabel) by.push(clusterLabel);
  return `count by (${by.join(', ')}) (\n  ${expr}\n)`;
}

/** The extra queries of one poll for this config (always sent directly, never from the recording rule). */
export function buildExtraQueries(config: Config): Partial<Record<ExtraQueryName, string>> {
  const out: Partial<Record<ExtraQueryName, string>> = {};
  if (config.conditions.enabled) out.conditions = conditionsExpression(config);
  if (config.alerts.enabled) out.alerts = alertsExpression(config.alerts, clusterGrouping(config));
  for (const [name, q] of Object.entries(config.queries)) out[`${USER_QUERY_PREFIX}${name}`] = q.expr;
  return out;
}

/**
 * Parses the answer to a user query: a scalar becomes one label-less sample, anything else
 * goes to `parseVector` (which rejects strings and matrices with a message).
 */
export function parseNumberAnswer<R extends { status: number; body: string }>(
  res: R,
  what: string,
  parseVector: (res: R, what: string) => VectorAnswer,
): VectorAnswer {
  if (res.status >= 200 && res.status <= 299) {
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      return parseVector(res, what);
    }
    const data = (json as { status?: unknown; data?: { resultType?: unknown; result?: unknown } } | null)?.data;
    if ((json as { status?: unknown }).status === 'success' && data?.resultType === 'scalar') {
      const r = data.result;
      if (!Array.isArray(r) || r.length !== 2 || typeof r[1] !== 'string') {
        throw new PollError('invalid_response', `${what}: unexpected answer: scalar has no [time, "value"] pair`);
      }
      const warnings = (json as { warnings?: unknown }).warnings;
      const evaluatedAt = typeof r[0] === 'number' && Number.isFinite(r[0]) ? r[0] * 1000 : null;
      return { samples: [{ metric: {}, value: promNumber(r[1]) }], warnings: Array.isArray(warnings) ? warnings.filter((w) => typeof w === 'string') : [], evaluatedAt };
    }
  }
  return parseVector(res, what);
}

/** A number as Prometheus writes it: "NaN", "+Inf", "-Inf" (Number() reads the first two only), or decimal. */
export function promNumber(text: string): number {
  return text === '+Inf' || text === 'Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
}

/** Reasons of a user query's failure that belong to that query alone (its answer), not to the poll. */
const ANSWER_REASONS = new Set(['http', 'prometheus', 'invalid_response']);

/**
 * When a user query's own answer failed (bad PromQL, a 422 from Prometheus, a malformed
 * answer), the result that keeps the poll going with the error in that query's slot; null
 * for anything else (timeouts, connection errors, other queries), which fails the poll.
 */
export function userQueryFailure(name: string, e: unknown): { answer: VectorAnswer; stats: QueryStats; error: string } | null {
  if (!isUserQuery(name) || !(e instanceof PollError) || !ANSWER_REASONS.has(e.reason)) return null;
  return {
    answer: { samples: [], warnings: [], evaluatedAt: null },
    stats: { name: name as QueryStats['name'], status: 0, bytesReceived: 0, bytesDecoded: 0, series: 0, requestMs: 0, parseMs: 0 },
    error: e.message,
  };
}

/** The request errors of user queries, by query name, from the results of one poll's queries (in `names` order). */
export function requestErrors(names: readonly string[], results: readonly object[]): Record<string, string> {
  const out: Record<string, string> = {};
  results.forEach((r, i) => {
    if ('error' in r && typeof r.error === 'string') out[names[i]!] = r.error;
  });
  return out;
}

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
  return ALERT_SEVERITIES.find((s) => alerts.severities[s].includes(value)) ?? (alerts.otherSeverity === 'ignore' ? undefined : alerts.otherSeverity);
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
