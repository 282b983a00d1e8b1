import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Snapshot } from '../snapshot.js';
import type { Source } from './source.js';
import { DEFAULT_MAX_RESPONSE_BYTES, PrometheusClient, ResponseBudget, type RawResponse, type RequestSignals } from './client.js';
import { dataStaleAfterMs } from '../config/load.js';
import { buildClusterSnapshot, carryOver } from './clusters.js';
import { PollError } from './errors.js';
import { oneLine, parseNumberAnswer, parseVectorResponse, type VectorAnswer } from './answer.js';
import { isUserQuery } from './extrasQueries.js';
import { buildSnapshot, type PollAnswers } from './parse.js';
import { buildQueries, nodeFilter, type PollQueries, type QueryName } from './promql.js';
import { chooseLane, dataTime, freshnessQuery, lanesInUse, parseFreshness, type Freshness } from './freshness.js';
import { pinLane } from './promqlText.js';
import type { DataTime, Reading } from './source.js';

/** What one query cost: for benchmarks and debugging. */
export interface QueryStats {
  name: QueryName;
  status: number;
  /** Bytes read from the socket for the answer (headers included; the body compressed if the server compressed). */
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

/** A poll's snapshot with the age of its data, its cost and the backend's warnings. */
export interface PollResult {
  snapshot: Snapshot;
  /** Where the data read stands on the server's clock (SPEC §3b). */
  data: DataTime;
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

/** The real source: a few concurrent instant queries to a Prometheus-compatible API (SPEC §3). */
export class PrometheusSource implements Source {
  /** The PromQL sent on every poll when no lane is pinned (`podglow check` prints it). */
  readonly queries: PollQueries;
  /** The freshness query (src/source/freshness.ts), sent alone as the probe. */
  readonly freshness: string;
  /** Stats of the last successful poll. */
  lastStats: PollStats | null = null;
  private readonly client: PrometheusClient;
  private method: 'POST' | 'GET';
  private readonly keepNode: (name: string) => boolean;
  private readonly maxResponseBytes: number;
  private lastWarnings = '';
  /** With clusters: the last snapshot, so a cluster that leaves the answers stays on the light (stale). */
  private lastClusters: Snapshot | null = null;
  private lastCarried = '';
  private readonly staleAfterMs: number;
  /** The lanes to choose between, fastest first (empty: the config pins its own job). */
  private readonly lanes: string[];
  /** The lane the next poll reads; undefined until a freshness answer has chosen one. */
  private lane: string | null | undefined;
  /** The queries of each lane read so far, built once. */
  private readonly laneQueries = new Map<string, PollQueries>();
  /** With clusters: the label whose values name them, so a lane is chosen that every cluster has. */
  private readonly clusterLabel: string | undefined;

  constructor(
    private readonly config: Config,
    private readonly opts: PrometheusSourceOptions,
  ) {
    this.queries = buildQueries(config, { byLane: lanesInUse(config).length > 0 });
    this.client = new PrometheusClient(config.prometheus, opts.env);
    this.method = opts.method ?? 'POST';
    this.keepNode = nodeFilter(config);
    this.maxResponseBytes = config.prometheus.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.staleAfterMs = dataStaleAfterMs(config);
    this.freshness = freshnessQuery(config);
    this.lanes = lanesInUse(config);
    this.lane = this.lanes.length ? undefined : null;
    this.clusterLabel = config.clusters ? config.prometheus.clusterLabel : undefined;
  }

  /** The lane (job) the next poll reads: null for every job, undefined before the first answer. */
  get currentLane(): string | null | undefined {
    return this.lane;
  }

  /** The queries of one poll of `lane`. */
  private queriesFor(lane: string | null): PollQueries {
    if (lane === null) return this.queries;
    let q = this.laneQueries.get(lane);
    if (!q) this.laneQueries.set(lane, (q = buildQueries(pinLane(this.config, lane), { byLane: true })));
    return q;
  }

  /** Keeps the lane a freshness answer chooses, logging a change. */
  private follow(f: Freshness): string | null {
    // Without lanes chooseLane is always null, as this.lane is from the start: nothing to log.
    const lane = chooseLane(f, this.lanes);
    if (lane !== this.lane) {
      this.opts.log.info(
        { lane: lane ?? '(every job)', before: this.lane ?? null },
        'reading kube-state-metrics from a new lane',
      );
    }
    this.lane = lane;
    return lane;
  }

  /** Base URL (without credentials) for messages. */
  get endpoint(): string {
    return this.client.endpoint;
  }

  /** One poll; rejects with a PollError naming the reason. */
  async poll(signal?: AbortSignal): Promise<Snapshot> {
    return (await this.pollWithStats(signal)).snapshot;
  }

  /** One poll with where its data stands (SPEC §3b). */
  async read(signal?: AbortSignal): Promise<Reading> {
    const { snapshot, data } = await this.pollWithStats(signal);
    return { snapshot, data };
  }

  /** The freshness query alone: where the newest data is, and the lane to read next (SPEC §3b). */
  async probe(signal?: AbortSignal): Promise<DataTime> {
    const { results } = await this.send({ nodes: this.freshness }, signal);
    const f = parseFreshness(results[0]!.answer.samples, results[0]!.answer.evaluatedAt, this.clusterLabel);
    return dataTime(f, this.follow(f), Date.now());
  }

  /**
   * One poll with its cost (bytes, times) and warnings. The `nodes` answer carries each
   * node's newest sample time per lane: it gives the data's age, and when an unpinned poll
   * finds several lanes, or the pinned lane has gone, the poll is sent once more, pinned to
   * the lane chosen, so no snapshot ever merges two lanes.
   */
  async pollWithStats(signal?: AbortSignal, retried = false): Promise<PollResult> {
    const lane = this.lane ?? null;
    const queries = this.queriesFor(lane);
    const { names, results, requestMs } = await this.send(queries, signal);
    const t0 = performance.now();
    const nodes = results[names.indexOf('nodes')]!.answer;
    const f = parseFreshness(nodes.samples, nodes.evaluatedAt, this.clusterLabel);
    const next = this.follow(f);
    const again = !retried && next !== lane && (lane !== null || f.ksm.size > 1);
    if (again && f.ksm.size > 0) return this.pollWithStats(signal, true);
    const answers = Object.fromEntries(names.map((n, i) => [n, results[i]!.answer.samples])) as PollAnswers;
    let snapshot: Snapshot;
    try {
      const built = {
        time: answersTime(results.map((r) => r.answer)),
        order: this.config.nodes.order,
        keepNode: this.keepNode,
        nodeSelector: queries.nodes,
        extras: this.config,
        queryErrors: requestErrors(names, results),
      };
      const clusters = this.config.clusters;
      // With clusters: one block per cluster, its data age from its nodes' newest samples (SPEC §3c).
      snapshot = clusters
        ? this.keepClusters(
            buildClusterSnapshot(answers, {
              ...built,
              clusters,
              clusterLabel: this.config.prometheus.clusterLabel,
              staleAfterMs: this.staleAfterMs,
            }),
          )
        : buildSnapshot(answers, built);
    } catch (e) {
      // The lane read has just gone (its job stopped): read the one the answer chose instead.
      if (again && e instanceof PollError && e.reason === 'no_ksm_data') return this.pollWithStats(signal, true);
      throw e;
    }
    const buildMs = performance.now() - t0;
    const stats: PollStats = {
      bytesReceived: sum(results.map((r) => r.stats.bytesReceived)),
      bytesDecoded: sum(results.map((r) => r.stats.bytesDecoded)),
      requestMs,
      parseMs: sum(results.map((r) => r.stats.parseMs)) + buildMs,
      queries: results.map((r) => r.stats),
    };
    const warnings = [...new Set(results.flatMap((r) => r.answer.warnings))];
    this.reportWarnings(warnings);
    this.lastStats = stats;
    const data = dataTime(f, lane, Date.now());
    // With a recording rule, new data means a new evaluation of the rule: only the probe sees it.
    if (this.config.prometheus.recordingRule) data.watermark = null;
    const result = { snapshot, data, stats, warnings };
    this.opts.onPoll?.(result);
    return result;
  }

  /** Sends named queries concurrently under one deadline and one response budget; rejects with a PollError. */
  private async send(
    queries: Partial<Record<QueryName, string>>,
    signal?: AbortSignal,
  ): Promise<{ names: QueryName[]; results: { answer: VectorAnswer; stats: QueryStats }[]; requestMs: number }> {
    if (signal?.aborted) throw new PollError('aborted', 'poll aborted');
    const headers = await this.client.headers();
    const secrets = Object.entries(headers)
      .filter(([k]) => k.toLowerCase() === 'authorization')
      .flatMap(([, v]) => [v, v.replace(/^\S+\s+/, '')]);
    const timeoutMs = this.config.prometheus.timeout;
    const deadline = new AbortController();
    const siblings = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const caller = signal ? AbortSignal.any([signal, siblings.signal]) : siblings.signal;
    // One decoded-bytes budget for all the answers of this poll (they are read concurrently).
    const budget = new ResponseBudget(this.maxResponseBytes);
    const started = performance.now();
    const names = Object.keys(queries) as QueryName[];
    try {
      const results = await Promise.all(
        names.map((name) =>
          this.runQuery(name, queries[name]!, {
            headers,
            budget,
            signals: { caller, deadline: deadline.signal, timeoutMs },
          }).catch((e: unknown) => {
            // A user query's own bad answer shows on its LED; it does not fail the poll.
            const failed = userQueryFailure(name, e);
            if (failed) return failed;
            // The first failure names the poll; the other queries are no longer needed.
            siblings.abort();
            throw e;
          }),
        ),
      );
      return { names, results, requestMs: performance.now() - started };
    } catch (e) {
      if (signal?.aborted) throw new PollError('aborted', 'poll aborted', { cause: e });
      if (e instanceof PollError) throw scrub(e, secrets);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends one named instant query and parses its answer (any query: the runner knows no names). */
  private async runQuery(
    name: QueryName,
    query: string,
    ctx: { headers: Record<string, string>; budget: ResponseBudget; signals: RequestSignals },
  ): Promise<{ answer: VectorAnswer; stats: QueryStats }> {
    const t0 = performance.now();
    // No `time`: the server evaluates at its own now, so a wrong local clock (a Pi without a
    // real-time clock before NTP, a manual `date`) cannot make podglow read the past or the
    // future (SPEC §6 Time).
    const params = { query };
    const method = this.method;
    const what = `${name} query`;
    const send = (m: 'POST' | 'GET') =>
      this.client.request('api/v1/query', params, {
        method: m,
        signals: ctx.signals,
        headers: ctx.headers,
        budget: ctx.budget,
        what,
      });
    let res: RawResponse = await send(method);
    if (res.status === 405 && method === 'POST') {
      // Some proxies in front of Prometheus only allow GET.
      if (this.method === 'POST')
        this.opts.log.info({ endpoint: this.endpoint }, 'POST /api/v1/query not allowed (405); using GET from now on');
      this.method = 'GET';
      res = await send('GET');
    }
    const requestMs = performance.now() - t0;
    const t1 = performance.now();
    const raw = { status: res.status, contentType: res.contentType, body: res.body.toString('utf8') };
    // User queries may answer with a scalar; every other query must be a vector.
    const answer = isUserQuery(name) ? parseNumberAnswer(raw, what, parseVectorResponse) : parseVectorResponse(raw, what);
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

  /** Carries clusters that left the answers over as stale (carryOver), naming them in the log once each time the set changes. */
  private keepClusters(snapshot: Snapshot): Snapshot {
    const { snapshot: merged, carried } = carryOver(snapshot, this.lastClusters);
    this.lastClusters = merged;
    const key = carried.join('\n');
    if (key !== this.lastCarried) {
      if (carried.length)
        this.opts.log.warn(
          { clusters: carried },
          `no data from cluster ${carried.join(', ')}: showing its last known state as stale`,
        );
      else if (this.lastCarried) this.opts.log.info({ clusters: this.lastCarried.split('\n') }, 'every cluster reports again');
      this.lastCarried = key;
    }
    return merged;
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

/**
 * The Snapshot's time: when the server evaluated the poll, by its clock. The queries are sent
 * together, without `time`, so each is evaluated at the server's now on arrival: all four
 * instants lie between the first request leaving and the last answer arriving, so they differ
 * by at most the poll's request time, itself below `prometheus.timeout`. Within that window
 * they read the same scraped samples unless a scrape lands in it (then the newer answers see
 * up to one scrape more, as any two reads a moment apart would). The latest instant is
 * reported; `nodes` always has series (else no_ksm_data), so there is always one.
 */
function answersTime(answers: readonly VectorAnswer[]): Date {
  const times = answers.map((a) => a.evaluatedAt).filter((t): t is number => t !== null);
  return new Date(times.length ? Math.max(...times) : Date.now());
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
    stats: {
      name: name as QueryStats['name'],
      status: 0,
      bytesReceived: 0,
      bytesDecoded: 0,
      series: 0,
      requestMs: 0,
      parseMs: 0,
    },
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
