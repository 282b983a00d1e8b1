// The Snapshot built from one poll's decoded answers (pure; decoding is src/source/answer.ts).
import { emptyAlerts, sortNodeNames, type NodeSnapshot, type Snapshot } from '../snapshot.js';
import { POD_STATES, emptyCounts, type PodState, type StateCounts } from '../states.js';
import type { Sample } from './answer.js';
import { PollError } from './errors.js';
import { applyExtras, type ExtrasOptions } from './extras.js';
import type { ExtraQueryName } from './extrasQueries.js';
import type { CoreQueryName } from './promql.js';
import { STATE_LABEL } from './promqlText.js';

/** The answers of one poll: the four core ones, and the extras that were sent. */
export type PollAnswers = Record<CoreQueryName, Sample[]> & Partial<Record<ExtraQueryName, Sample[]>>;

/**
 * Turns the answers into a Snapshot (pure): nodes from `nodes`, readiness and cordon,
 * pod counts per node and state, unscheduled pods, node filter and display order; then
 * conditions, alerts and named queries (applyExtras in src/source/extras.ts).
 * No node at all means kube-state-metrics is missing: PollError `no_ksm_data`.
 */
export function buildSnapshot(
  answers: PollAnswers,
  opts: {
    time: Date;
    order?: readonly string[];
    keepNode?: (name: string) => boolean;
    nodeSelector?: string;
    /** Alert settings and named queries (src/source/extras.ts); without them no alert or query is counted. */
    extras?: ExtrasOptions;
    /** Request errors of user queries, by query name. */
    queryErrors?: Record<string, string>;
  },
): Snapshot {
  const known = new Set<string>();
  for (const s of answers.nodes) if (s.metric.node) known.add(s.metric.node);
  if (known.size === 0) {
    throw new PollError(
      'no_ksm_data',
      `no kube-state-metrics data: ${opts.nodeSelector ?? 'kube_node_info'} has no series (is kube-state-metrics running and scraped? do prometheus.matchers match?)`,
    );
  }
  const statuses = new Map<string, Set<string>>();
  for (const s of answers.ready) {
    const n = s.metric.node;
    if (!n) continue;
    let set = statuses.get(n);
    if (!set) statuses.set(n, (set = new Set()));
    set.add((s.metric.status ?? '').toLowerCase());
  }
  const cordoned = new Set(answers.unschedulable.map((s) => s.metric.node).filter(Boolean));
  const counts = new Map<string, StateCounts>();
  for (const n of known) counts.set(n, emptyCounts());
  const unscheduled = emptyCounts();
  const validStates = new Set<string>(POD_STATES);
  for (const s of answers.pods) {
    const state = s.metric[STATE_LABEL];
    if (!state || !validStates.has(state)) {
      throw new PollError('invalid_response', `pods query: unexpected ${STATE_LABEL} label ${JSON.stringify(state ?? null)}`);
    }
    if (!Number.isFinite(s.value) || s.value < 0) {
      throw new PollError('invalid_response', `pods query: count for ${s.metric.node || '(unscheduled)'}/${state} is ${s.value}`);
    }
    const node = s.metric.node ?? '';
    // Pods bound to a node kube_node_info does not list (just deleted) are not shown.
    const target = node === '' ? unscheduled : counts.get(node);
    if (target) target[state as PodState] += Math.round(s.value);
  }
  const keep = opts.keepNode ?? (() => true);
  const names = sortNodeNames([...known].filter(keep), opts.order ?? []);
  const nodes: NodeSnapshot[] = names.map((name) => ({
    name,
    ready: readiness(statuses.get(name)),
    unschedulable: cordoned.has(name),
    pods: counts.get(name)!,
    conditions: [],
    alerts: emptyAlerts(),
  }));
  return applyExtras({ time: opts.time.toISOString(), nodes, unscheduled, alerts: emptyAlerts(), queries: {} }, answers, opts);
}

/** Ready condition from the statuses seen (several only while KSM replicas disagree: the worse wins). */
function readiness(set: Set<string> | undefined): boolean | null {
  if (!set || set.size === 0) return null;
  if (set.has('false')) return false;
  if (set.has('true') && set.size === 1) return true;
  return null;
}
