import type { Config } from '../config/schema.js';
import { POD_STATES, type PodState } from '../states.js';

/** Names of the instant queries one poll sends (all run concurrently). */
export type QueryName = 'nodes' | 'ready' | 'unschedulable' | 'pods';

/** The PromQL of one poll, built once from the config. */
export type PollQueries = Record<QueryName, string>;

/** Label that carries the pod state in answers to the `pods` query. */
export const STATE_LABEL = 'state';

/** Phase value of kube_pod_status_phase for each phase-based state. */
const PHASE_OF: Partial<Record<PodState, string>> = {
  failed: 'Failed',
  unknown: 'Unknown',
  pending: 'Pending',
  running: 'Running',
  succeeded: 'Succeeded',
};

/** Labels that identify one pod across kube-state-metrics metrics. */
const POD_KEY = 'namespace, pod, uid';

/** Quotes a string as a PromQL string literal. */
export function promString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** One RE2 alternation that matches any of the (fully anchored) regexes. */
export function regexUnion(res: readonly string[]): string {
  return res.length === 1 ? res[0]! : res.map((r) => `(?:${r})`).join('|');
}

/** Escapes a literal for use inside a PromQL regex matcher. */
function regexLiteral(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Matchers added to every kube-state-metrics selector: `prometheus.matchers` and the cluster label. */
export function baseMatchers(config: Config): string[] {
  const p = config.prometheus;
  const out = [...p.matchers];
  if (p.cluster) out.push(`${p.clusterLabel}=${promString(p.cluster)}`);
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
function selector(metric: string, matchers: readonly string[]): string {
  return matchers.length ? `${metric}{${matchers.join(', ')}}` : metric;
}

/**
 * Builds the instant queries of one poll. Each answer is aggregated to O(nodes × states)
 * series: nodes, their Ready condition, cordoned nodes, and pod counts per (node, state)
 * where every pod gets exactly one state by SPEC §2 precedence, computed in PromQL.
 */
export function buildQueries(config: Config): PollQueries {
  const base = baseMatchers(config);
  const podSel = [...base, ...namespaceMatchers(config)];

  // One series per pod with its node (none for unscheduled pods), even when several
  // kube-state-metrics replicas or HA Prometheus pairs export the same pod.
  const podNode = `topk by (${POD_KEY}) (1, max by (${POD_KEY}, node) (${selector('kube_pod_info', podSel)}))`;

  const perState = (state: PodState): string => {
    let expr: string;
    if (state === 'terminating') {
      // Its value is a Unix time: presence is what counts.
      expr = `max by (${POD_KEY}) (${selector('kube_pod_deletion_timestamp', podSel)})`;
    } else if (state === 'crashing') {
      const reasons = config.crashReasons.map(regexLiteral).join('|');
      const sel = selector('kube_pod_container_status_waiting_reason', [...podSel, `reason=~${promString(reasons)}`]);
      expr = `max by (${POD_KEY}) (${sel} == 1)`;
    } else {
      const sel = selector('kube_pod_status_phase', [...podSel, `phase=${promString(PHASE_OF[state]!)}`]);
      expr = `max by (${POD_KEY}) (${sel} == 1)`;
    }
    return `label_replace(${expr}, ${promString(STATE_LABEL)}, ${promString(state)}, "", "")`;
  };

  // `or on (pod key)` keeps the left-hand series of a pod and drops later ones, so the
  // chain in precedence order gives each pod its first matching state only.
  const podState = POD_STATES.map(perState).join(`\n    or on (${POD_KEY}) `);
  const pods =
    `count by (node, ${STATE_LABEL}) (\n  (\n    ${podState}\n  )\n` +
    `  * on (${POD_KEY}) group_left (node)\n  ${podNode}\n)`;

  return {
    nodes: `max by (node) (${selector('kube_node_info', base)})`,
    ready: `max by (node, status) (${selector('kube_node_status_condition', [...base, 'condition="Ready"'])} == 1)`,
    unschedulable: `max by (node) (${selector('kube_node_spec_unschedulable', base)} == 1)`,
    pods,
  };
}

/** Compiles nodes.include/exclude into a predicate; regexes match the whole name, as in PromQL. */
export function nodeFilter(config: Config): (name: string) => boolean {
  const anchored = (res: readonly string[]) => (res.length ? new RegExp(`^(?:${res.map((r) => `(?:${r})`).join('|')})$`) : null);
  const inc = anchored(config.nodes.include);
  const exc = anchored(config.nodes.exclude);
  return (name) => (!inc || inc.test(name)) && !(exc && exc.test(name));
}
