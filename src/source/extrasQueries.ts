// SPEC §4b: the extra instant queries of a poll (node conditions, firing alerts, the user's
// named queries), each aggregated in PromQL to O(nodes) series. Their answers are folded
// into the Snapshot by applyExtras (src/source/extras.ts).
import type { AlertsConfig, Config } from '../config/schema.js';
import { baseMatchers, clusterGrouping, groupBy, promString, regexLiteral, regexUnion } from './promqlText.js';

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
