import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { emptyAlerts, sortNodeNames, type NodeSnapshot, type Snapshot, type Source } from '../snapshot.js';
import { POD_STATES, emptyCounts, type PodState, type StateCounts } from '../states.js';
import { PrometheusClient, type RawResponse } from './client.js';
import { PollError } from './errors.js';
import { applyExtras, isUserQuery, parseNumberAnswer, requestErrors, userQueryFailure, type ExtrasOptions, type ExtraQueryName } from './extras.js';
import { STATE_LABEL, buildQueries, nodeFilter, type CoreQueryName, type PollQueries, type QueryName } from './promql.js';

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
}

/** The answers of one poll: the four core ones, and the extras that were sent. */
export type PollAnswers = Record<CoreQueryName, Sample[]> & Partial<Record<ExtraQueryName, Sample[]>>;

/** What one query cost: for benchmarks and debugging. */
export interface QueryStats {
  name: QueryName;
  status: number;
  /** Body bytes on the wire (compressed if the server compressed). */
  bytesReceived: number;
  /** Body bytes after decompression (the JSON text). */
  bytesDecoded: number;
  series: number;
  /** Request start to decoded body. */
  requestMs: number;
  /** JSON.parse and shape checks. */
  parseMs: number;
}

/** What one poll cost in total. */
export interface PollStats {
  bytesReceived: number;
  bytesDecoded: number;
  /** Wall time of the concurrent requests. */
  requestMs: number;
  /** Time spent parsing answers and building the snapshot (CPU). */
  parseMs: number;
  queries: QueryStats[];
}

/** A poll's snapshot with its cost and the backend's warnings. */
export interface PollResult {
  snapshot: Snapshot;
  stats: PollStats;
  warnings: string[];
}

/** Options of a PrometheusSource beyond the config. */
export interface PrometheusSourceOptions {
  log: Logger;
  /** First HTTP method to try; POST falls back to GET for good when the server answers 405. */
  method?: 'POST' | 'GET';
  /** Called after every successful poll (benchmarks read bytes and parse time here). */
  onPoll?: (result: PollResult) => void;
  /** Environment for basicAuth.passwordEnv (default process.env). */
  env?: Record<string, string | undefined>;
}

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
  for (let i = 0; i < data.result.length; i++) {
    const r: unknown = data.result[i];
    if (!isObject(r) || !isObject(r.metric)) throw bad(`series ${i} has no metric labels`);
    const v = r.value;
    if (!Array.isArray(v) || v.length !== 2 || typeof v[1] !== 'string') throw bad(`series ${i} has no [time, "value"] pair`);
    for (const k in r.metric) if (typeof r.metric[k] !== 'string') throw bad(`series ${i} label ${k} is not a string`);
    // Prometheus encodes NaN and infinities as "NaN", "+Inf", "-Inf"; Number() reads the first two only.
    const text = v[1];
    const value = text === '+Inf' || text === 'Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
    samples[i] = { metric: r.metric as Record<string, string>, value };
  }
  return { samples, warnings };
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

/** The real source: a few concurrent instant queries to a Prometheus-compatible API (SPEC §3). */
export class PrometheusSource implements Source {
  /** The PromQL sent on every poll. */
  readonly queries: PollQueries;
  /** Stats of the last successful poll. */
  lastStats: PollStats | null = null;
  private readonly client: PrometheusClient;
  private method: 'POST' | 'GET';
  private readonly keepNode: (name: string) => boolean;
  private lastWarnings = '';

  constructor(
    private readonly config: Config,
    private readonly opts: PrometheusSourceOptions,
  ) {
    this.queries = buildQueries(config);
    this.client = new PrometheusClient(config.prometheus, opts.env);
    this.method = opts.method ?? 'POST';
    this.keepNode = nodeFilter(config);
  }

  /** Base URL (without credentials) for messages. */
  get endpoint(): string {
    return this.client.endpoint;
  }

  /** One poll; rejects with a PollError naming the reason. */
  async poll(signal?: AbortSignal): Promise<Snapshot> {
    return (await this.pollWithStats(signal)).snapshot;
  }

  /** One poll with its cost (bytes, times) and warnings. */
  async pollWithStats(signal?: AbortSignal): Promise<PollResult> {
    if (signal?.aborted) throw new PollError('aborted', 'poll aborted');
    const headers = await this.client.headers();
    const secrets = Object.entries(headers)
      .filter(([k]) => k.toLowerCase() === 'authorization')
      .flatMap(([, v]) => [v, v.replace(/^\S+\s+/, '')]);
    const time = new Date();
    const timeParam = (time.getTime() / 1000).toFixed(3);
    const timeoutMs = this.config.prometheus.timeout;
    const deadline = new AbortController();
    const siblings = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const caller = signal ? AbortSignal.any([signal, siblings.signal]) : siblings.signal;
    const started = performance.now();
    const names = Object.keys(this.queries) as QueryName[];
    try {
      const results = await Promise.all(
        names.map((name) =>
          this.runQuery(name, timeParam, headers, { caller, deadline: deadline.signal, timeoutMs }).catch((e: unknown) => {
            // A user query's own bad answer shows on its LED; it does not fail the poll.
            const failed = userQueryFailure(name, e);
            if (failed) return failed;
            // The first failure names the poll; the other queries are no longer needed.
            siblings.abort();
            throw e;
          }),
        ),
      );
      const requestMs = performance.now() - started;
      const t0 = performance.now();
      const answers = Object.fromEntries(names.map((n, i) => [n, results[i]!.answer.samples])) as PollAnswers;
      const snapshot = buildSnapshot(answers, {
        time,
        order: this.config.nodes.order,
        keepNode: this.keepNode,
        nodeSelector: this.queries.nodes,
        extras: this.config,
        queryErrors: requestErrors(names, results),
      });
      const buildMs = performance.now() - t0;
      const queries = results.map((r) => r.stats);
      const stats: PollStats = {
        bytesReceived: sum(queries.map((q) => q.bytesReceived)),
        bytesDecoded: sum(queries.map((q) => q.bytesDecoded)),
        requestMs,
        parseMs: sum(queries.map((q) => q.parseMs)) + buildMs,
        queries,
      };
      const warnings = [...new Set(results.flatMap((r) => r.answer.warnings))];
      this.reportWarnings(warnings);
      this.lastStats = stats;
      const result = { snapshot, stats, warnings };
      this.opts.onPoll?.(result);
      return result;
    } catch (e) {
      if (signal?.aborted) throw new PollError('aborted', 'poll aborted', { cause: e });
      if (e instanceof PollError) throw scrub(e, secrets);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private async runQuery(
    name: QueryName,
    time: string,
    headers: Record<string, string>,
    signals: { caller: AbortSignal; deadline: AbortSignal; timeoutMs: number },
  ): Promise<{ answer: VectorAnswer; stats: QueryStats }> {
    const t0 = performance.now();
    const params = { query: this.queries[name]!, time };
    const method = this.method;
    let res: RawResponse = await this.client.request('api/v1/query', params, { method, signals, headers });
    if (res.status === 405 && method === 'POST') {
      // Some proxies in front of Prometheus only allow GET.
      if (this.method === 'POST') this.opts.log.info({ endpoint: this.endpoint }, 'POST /api/v1/query not allowed (405); using GET from now on');
      this.method = 'GET';
      res = await this.client.request('api/v1/query', params, { method: 'GET', signals, headers });
    }
    const requestMs = performance.now() - t0;
    const t1 = performance.now();
    const raw = { status: res.status, contentType: res.contentType, body: res.body.toString('utf8') };
    // User queries may answer with a scalar; every other query must be a vector.
    const answer = isUserQuery(name) ? parseNumberAnswer(raw, `${name} query`, parseVectorResponse) : parseVectorResponse(raw, `${name} query`);
    const parseMs = performance.now() - t1;
    return {
      answer,
      stats: {
        name,
        status: res.status,
        bytesReceived: res.bytesReceived,
        bytesDecoded: res.body.length,
        series: answer.samples.length,
        requestMs,
        parseMs,
      },
    };
  }

  private reportWarnings(warnings: string[]): void {
    const key = warnings.join('\n');
    if (key === this.lastWarnings) return;
    this.lastWarnings = key;
    if (warnings.length) this.opts.log.warn({ warnings: warnings.map((w) => oneLine(w)) }, 'Prometheus answered with warnings');
  }

  /** Closes kept-alive connections. */
  close(): void {
    this.client.close();
  }
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Removes credentials from a PollError's message, in case a proxy echoed them back. */
function scrub(e: PollError, secrets: string[]): PollError {
  let msg = e.message;
  for (const s of secrets) if (s.length >= 4) msg = msg.split(s).join('[redacted]');
  return msg === e.message ? e : new PollError(e.reason, msg, { cause: e.cause });
}
