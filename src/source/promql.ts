import type { Config } from '../config/schema.js';
import { POD_STATES, type PodState } from '../states.js';
import { compileAnchored } from '../config/regex.js';
import { buildExtraQueries, type ExtraQueryName } from './extrasQueries.js';
import {
  LANE_LABEL,
  STATE_LABEL,
  baseMatchers,
  clusterGrouping,
  groupBy,
  namespaceMatchers,
  pinLane,
  pinsLane,
  promString,
  regexLiteral,
  sampleTimes,
  selector,
} from './promqlText.js';

/** Names of the pod and node queries every poll sends. */
export type CoreQueryName = 'nodes' | 'ready' | 'unschedulable' | 'pods';

/** Names of the instant queries one poll sends (all run concurrently): the core ones and the extras of SPEC §4b. */
export type QueryName = CoreQueryName | ExtraQueryName;

/** The PromQL of one poll, built once from the config; extras only where configured. */
export type PollQueries = Record<CoreQueryName, string> & Partial<Record<ExtraQueryName, string>>;

/** Phase value of kube_pod_status_phase for each phase-based state. */
const PHASE_OF: Partial<Record<PodState, string>> = {
  failed: 'Failed',
  unknown: 'Unknown',
  pending: 'Pending',
  running: 'Running',
  succeeded: 'Succeeded',
};

/**
 * The direct pod-state query: pod counts per (node, state) where every pod gets exactly one
 * state by SPEC §2 precedence, computed in PromQL from the raw kube-state-metrics series.
 * Its cost grows with pods; `buildRecordingRules` moves it off the poll path.
 */
export function podsExpression(config: Config, clusterLabel: string | null = clusterGrouping(config)): string {
  const by = (labels: string) => (clusterLabel ? `${clusterLabel}, ${labels}` : labels);
  const base = baseMatchers(config);
  // The namespace filter goes on the join alone: the inner join below drops every pod that
  // kube_pod_info does not list, so repeating it in every selector would only lengthen the
  // query (VictoriaMetrics refuses queries over 16 KiB by default).
  const podSel = [...base, ...namespaceMatchers(config)];
  // With clusters, a pod is also told apart by its cluster (the same namespace/pod in two clusters).
  const POD_KEY = by('namespace, pod, uid');

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
    `count by (${by(`node, ${STATE_LABEL}`)}) (\n  (\n    ${podState}\n  )\n` +
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
export function recordedPodsExpression(name: string, clusterLabel: string | null = null): string {
  const hint = `no series ${name}: load the recording rule printed by podglow check --rules`;
  // absent() on the marker alone: selecting every recorded series twice would double the read's cost.
  const marker = `${name}{${MARKER_LABEL}="present"}`;
  const by = clusterLabel ? `${clusterLabel}, node, ${STATE_LABEL}` : `node, ${STATE_LABEL}`;
  return `max by (${by}) (${name})\n  or label_replace(absent(${marker}), ${promString(STATE_LABEL)}, ${promString(hint)}, "", "")`;
}

/**
 * Builds the instant queries of one poll. Each answer is aggregated to O(nodes × states)
 * series: nodes (with their newest sample's time, per lane with `byLane`), their Ready condition, cordoned nodes, and pod counts per (node, state),
 * the latter read from the recording rule when `prometheus.recordingRule` is set; then the
 * extras of src/source/extras.ts (node conditions, alerts, named queries) where configured.
 */
export function buildQueries(config: Config, opts: { byLane?: boolean } = {}): PollQueries {
  const base = baseMatchers(config);
  const rule = config.prometheus.recordingRule;
  const queries: PollQueries = {
    // Each node's newest sample time (its presence is what lists the node): the data's age,
    // per lane when podglow chooses one (src/source/freshness.ts), per cluster with clusters:.
    nodes: `max by (${groupBy(config, `node${opts.byLane ? `, ${LANE_LABEL}` : ''}`)}) (${sampleTimes(selector('kube_node_info', base))})`,
    ready: `max by (${groupBy(config, 'node, status')}) (${selector('kube_node_status_condition', [...base, 'condition="Ready"'])} == 1)`,
    unschedulable: `max by (${groupBy(config, 'node')}) (${selector('kube_node_spec_unschedulable', base)} == 1)`,
    pods: rule ? recordedPodsExpression(rule, clusterGrouping(config)) : podsExpression(config),
    // Conditions, alerts and the user's queries grow with nodes, not pods: always direct.
    ...buildExtraQueries(config),
  };
  return queries;
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
 * The config a recording rule is built from: a rule cannot choose a lane at each evaluation,
 * so unless the config pins the job itself it reads the last of `prometheus.lanes` (the
 * ordinary kube-state-metrics job, which every install has; the rule is the large-cluster
 * path that keeps the 30 s scrape), never a merge of a fresh and a stale copy.
 */
function ruleLane(config: Config): Config {
  const p = config.prometheus;
  const last = p.lanes[p.lanes.length - 1];
  return last === undefined || pinsLane(config) ? config : pinLane(config, last);
}

export function buildRecordingRules(config: Config): RuleFile {
  const name = config.prometheus.recordingRule;
  if (!name) throw new Error('prometheus.recordingRule is not set');
  config = ruleLane(config);
  return {
    groups: [
      {
        name: 'podglow',
        rules: [
          // With clusters: the rule keeps the cluster label (SPEC §3c), as the direct expression does.
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
