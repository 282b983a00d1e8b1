// Pure parsing of Prometheus HTTP API answers and the Snapshot built from them (no I/O).
import { emptyAlerts, sortNodeNames, type NodeSnapshot, type Snapshot } from '../snapshot.js';
import { POD_STATES, emptyCounts, type PodState, type StateCounts } from '../states.js';
import { PollError } from './errors.js';
import { applyExtras, promNumber, type ExtrasOptions, type ExtraQueryName } from './extras.js';
import { STATE_LABEL, type CoreQueryName } from './promql.js';

/** One series of an instant-vector answer; `value` may be NaN or ±Inf as Prometheus sends them. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** A parsed successful answer to one instant query. */
export interface VectorAnswer {
  samples: Sample[];
  /** Warnings the backend attached (Prometheus `warnings`, e.g. partial results). */
  warnings: string[];
  /**
   * The instant the server evaluated the query at (ms since epoch, its clock), from the
   * samples' timestamps; null for an empty answer, which carries no time.
   */
  evaluatedAt: number | null;
}

/** The answers of one poll: the four core ones, and the extras that were sent. */
export type PollAnswers = Record<CoreQueryName, Sample[]> & Partial<Record<ExtraQueryName, Sample[]>>;

const MAX_MESSAGE = 200;

/** Collapses whitespace and truncates a backend's text for a one-line message. */
export function oneLine(text: string, max = MAX_MESSAGE): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Message for a non-2xx answer: Prometheus' `errorType: error` JSON, else the (plain-text or HTML) body. */
export function httpErrorMessage(status: number, contentType: string, body: string): string {
  let detail = '';
  try {
    const j = JSON.parse(body) as { errorType?: unknown; error?: unknown; message?: unknown };
    if (j && typeof j === 'object') {
      const type = typeof j.errorType === 'string' && j.errorType ? `${j.errorType}: ` : '';
      const msg = typeof j.error === 'string' ? j.error : typeof j.message === 'string' ? j.message : '';
      if (type || msg) detail = `${type}${msg}`;
    }
  } catch {
    // not JSON: plain text such as Mimir's "no org id", or an HTML error page
  }
  if (!detail) detail = /html/i.test(contentType) ? body.replace(/<[^>]*>/g, ' ') : body;
  detail = oneLine(detail);
  return detail ? `HTTP ${status}: ${detail}` : `HTTP ${status} (empty body)`;
}

/**
 * Parses one `/api/v1/query` answer into samples (pure; throws PollError). Non-2xx →
 * `http`; non-JSON or malformed JSON or an unexpected shape → `invalid_response`;
 * `status: "error"` in a 2xx answer → `prometheus`. Extra fields (VictoriaMetrics'
 * `isPartial`, Thanos' `warnings`) are tolerated.
 */
export function parseVectorResponse(res: { status: number; contentType: string; body: string }, what: string): VectorAnswer {
  const { status, contentType, body } = res;
  if (status < 200 || status > 299) throw new PollError('http', `${what}: ${httpErrorMessage(status, contentType, body)}`);
  const trimmed = body.trimStart();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) {
    const ct = contentType ? ` (${contentType.split(';')[0]})` : '';
    throw new PollError('invalid_response', `${what}: not JSON${ct}: ${oneLine(body, 80) || '(empty body)'}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    throw new PollError('invalid_response', `${what}: malformed JSON: ${oneLine((e as Error).message, 120)}`);
  }
  const bad = (why: string) => new PollError('invalid_response', `${what}: unexpected answer: ${why}`);
  if (!isObject(json)) throw bad('not a JSON object');
  const warnings = Array.isArray(json.warnings) ? json.warnings.filter((w): w is string => typeof w === 'string') : [];
  if (json.status === 'error') {
    const type = typeof json.errorType === 'string' ? `${json.errorType}: ` : '';
    throw new PollError('prometheus', `${what}: ${oneLine(`${type}${typeof json.error === 'string' ? json.error : 'error'}`)}`);
  }
  if (json.status !== 'success') throw bad(`status is ${JSON.stringify(json.status)}`);
  const data = json.data;
  if (!isObject(data)) throw bad('no data');
  if (data.resultType !== 'vector') throw bad(`resultType is ${JSON.stringify(data.resultType)}, expected "vector"`);
  if (!Array.isArray(data.result)) throw bad('data.result is not a list');
  const samples: Sample[] = new Array(data.result.length);
  let evaluatedAt: number | null = null;
  for (let i = 0; i < data.result.length; i++) {
    const r: unknown = data.result[i];
    if (!isObject(r) || !isObject(r.metric)) throw bad(`series ${i} has no metric labels`);
    const v = r.value;
    if (!Array.isArray(v) || v.length !== 2 || typeof v[1] !== 'string') throw bad(`series ${i} has no [time, "value"] pair`);
    if (typeof v[0] !== 'number' || !Number.isFinite(v[0])) throw bad(`series ${i} has no numeric time`);
    // Every sample of an instant vector carries the evaluation time; keep the latest anyway.
    if (evaluatedAt === null || v[0] * 1000 > evaluatedAt) evaluatedAt = v[0] * 1000;
    for (const k in r.metric) if (typeof r.metric[k] !== 'string') throw bad(`series ${i} label ${k} is not a string`);
    samples[i] = { metric: r.metric as Record<string, string>, value: promNumber(v[1]) };
  }
  return { samples, warnings, evaluatedAt };
}

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

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

