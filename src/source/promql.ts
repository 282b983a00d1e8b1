import type { Config } from '../config/schema.js';
import { POD_STATES, type PodState } from '../states.js';
import { compileAnchored } from '../config/regex.js';
import { buildExtraQueries, type ExtraQueryName } from './extras.js';

/** Names of the pod and node queries every poll sends. */
export type CoreQueryName = 'nodes' | 'ready' | 'unschedulable' | 'pods';

/** Names of the instant queries one poll sends (all run concurrently): the core ones and the extras of SPEC §4b. */
export type QueryName = CoreQueryName | ExtraQueryName;

/** The PromQL of one poll, built once from the config; extras only where configured. */
export type PollQueries = Record<CoreQueryName, string> & Partial<Record<ExtraQueryName, string>>;

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
export function regexLiteral(s: string): string {
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
 * The direct pod-state query: pod counts per (node, state) where every pod gets exactly one
 * state by SPEC §2 precedence, computed in PromQL from the raw kube-state-metrics series.
 * Its cost grows with pods; `buildRecordingRules` moves it off the poll path.
 */
export function podsExpression(config: Config): string {
  const base = baseMatchers(config);
  // The namespace filter goes on the join alone: the inner join below drops every pod that
  // kube_pod_info does not list, so repeating it in every selector would only lengthen the
  // query (VictoriaMetrics refuses queries over 16 KiB by default).
  const podSel = [...base, ...namespaceMatchers(config)];

  // One series per pod with its node (none for unscheduled pods), even when several
  // kube-state-metrics replicas or HA Prometheus pairs export the same pod.
  const podNode = `topk by (${POD_KEY}) (1, max by (${POD_KEY}, node) (${selector('kube_pod_info', podSel)}))`;

  const perState = (state: PodState): string => {
    let expr: string;
    if (state === 'terminating') {
      // Its value is a Unix time: presence is what counts. `> 0` rather than the bare
      // selector: VictoriaMetrics keeps answering with a just-vanished series for minutes
      // (VictoriaMetrics#7759), a comparison makes it drop it like Prometheus does.
      expr = `max by (${POD_KEY}) (${selector('kube_pod_deletion_timestamp', base)} > 0)`;
    } else if (state === 'crashing') {
      // Containers and init containers alike (kubectl shows Init:CrashLoopBackOff for the
      // latter); their container names differ within a pod, so `or` keeps both.
      const reasons = promString(config.crashReasons.map(regexLiteral).join('|'));
      const waiting = WAITING_FAMILIES.map((f) => `${selector(f, [...base, `reason=~${reasons}`])} == 1`);
      expr = `max by (${POD_KEY}) (${waiting.join(' or ')})`;
    } else {
      const sel = selector('kube_pod_status_phase', [...base, `phase=${promString(PHASE_OF[state]!)}`]);
      expr = `max by (${POD_KEY}) (${sel} == 1)`;
    }
    return `label_replace(${expr}, ${promString(STATE_LABEL)}, ${promString(state)}, "", "")`;
  };

  // `or on (pod key)` keeps the left-hand series of a pod and drops later ones, so the
  // chain in precedence order gives each pod its first matching state only.
  const podState = POD_STATES.map(perState).join(`\n    or on (${POD_KEY}) `);
  return (
    `count by (node, ${STATE_LABEL}) (\n  (\n    ${podState}\n  )\n` +
    `  * on (${POD_KEY}) group_left (node)\n  ${podNode}\n)`
  );
}

/** kube-state-metrics families whose `reason` label says why a container waits (internal/store/pod.go). */
const WAITING_FAMILIES = ['kube_pod_container_status_waiting_reason', 'kube_pod_init_container_status_waiting_reason'];

/** Label that only the recording rule's presence marker carries. */
const MARKER_LABEL = 'podglow_marker';

/**
 * The `pods` query when `prometheus.recordingRule` is set: a read of the recorded series.
 * The rule already applied the matchers, cluster and namespace filters (its output keeps
 * only node and state), so none are added here. `max` folds copies recorded by both members
 * of an HA pair and the rule's zero-valued presence marker; when the marker is missing
 * (rule not loaded) the `absent` branch yields a series whose state label names the
 * problem, which the source rejects, so the LEDs show an error instead of empty nodes.
 */
export function recordedPodsExpression(name: string): string {
  const hint = `no series ${name}: load the recording rule printed by podglow check --rules`;
  // absent() on the marker alone: selecting every recorded series twice would double the read's cost.
  const marker = `${name}{${MARKER_LABEL}="present"}`;
  return `max by (node, ${STATE_LABEL}) (${name})\n  or label_replace(absent(${marker}), ${promString(STATE_LABEL)}, ${promString(hint)}, "", "")`;
}

/**
 * Builds the instant queries of one poll. Each answer is aggregated to O(nodes × states)
 * series: nodes, their Ready condition, cordoned nodes, and pod counts per (node, state),
 * the latter read from the recording rule when `prometheus.recordingRule` is set; then the
 * extras of src/source/extras.ts (node conditions, alerts, named queries) where configured.
 */
export function buildQueries(config: Config): PollQueries {
  const base = baseMatchers(config);
  const rule = config.prometheus.recordingRule;
  return {
    nodes: `max by (node) (${selector('kube_node_info', base)})`,
    ready: `max by (node, status) (${selector('kube_node_status_condition', [...base, 'condition="Ready"'])} == 1)`,
    unschedulable: `max by (node) (${selector('kube_node_spec_unschedulable', base)} == 1)`,
    pods: rule ? recordedPodsExpression(rule) : podsExpression(config),
    // Conditions, alerts and the user's queries grow with nodes, not pods: always direct.
    ...buildExtraQueries(config),
  };
}

/** One rule of a Prometheus rule file. */
export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

/** A Prometheus rule file (`rule_files:`) as an object, ready for YAML. */
export interface RuleFile {
  groups: { name: string; rules: RecordingRule[] }[];
}

/**
 * The rule file that records `prometheus.recordingRule` for this config: the direct pods
 * expression unchanged (matchers, cluster, namespaces and crash reasons baked in, so it is
 * generated per config), plus a zero-valued marker series so an empty cluster reads as zero
 * pods while a missing rule reads as an error. Throws when no recordingRule is configured.
 */
export function buildRecordingRules(config: Config): RuleFile {
  const name = config.prometheus.recordingRule;
  if (!name) throw new Error('prometheus.recordingRule is not set');
  return {
    groups: [
      {
        name: 'podglow',
        rules: [
          { record: name, expr: podsExpression(config) },
          // Labels that no real count has: max by (node, state) folds it into unscheduled/running (+0).
          { record: name, expr: 'vector(0)', labels: { [STATE_LABEL]: 'running', [MARKER_LABEL]: 'present' } },
        ],
      },
    ],
  };
}

/**
 * Compiles include/exclude regexes into a predicate; each regex matches the whole name with
 * RE2, as PromQL's `=~` does, so the demo source and the real one's node filter agree with the
 * namespace filter PromQL applies.
 */
export function nameFilter(include: readonly string[], exclude: readonly string[]): (name: string) => boolean {
  const inc = include.length ? compileAnchored(include) : null;
  const exc = exclude.length ? compileAnchored(exclude) : null;
  return (name) => (!inc || inc(name)) && !(exc && exc(name));
}

/** nodes.include/exclude as a predicate on node names. */
export function nodeFilter(config: Config): (name: string) => boolean {
  return nameFilter(config.nodes.include, config.nodes.exclude);
}
