import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Snapshot } from '../snapshot.js';
import type { Source } from './source.js';
import { DEFAULT_MAX_RESPONSE_BYTES, PrometheusClient, ResponseBudget, type RawResponse, type RequestSignals } from './client.js';
import { PollError } from './errors.js';
import { isUserQuery, parseNumberAnswer, requestErrors, userQueryFailure } from './extras.js';
import { buildSnapshot, oneLine, parseVectorResponse, type PollAnswers, type VectorAnswer } from './parse.js';
import { buildQueries, nodeFilter, type PollQueries, type QueryName } from './promql.js';

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

/** The real source: a few concurrent instant queries to a Prometheus-compatible API (SPEC §3). */
export class PrometheusSource implements Source {
  /** The PromQL sent on every poll. */
  readonly queries: PollQueries;
  /** Stats of the last successful poll. */
  lastStats: PollStats | null = null;
  private readonly client: PrometheusClient;
  private method: 'POST' | 'GET';
  private readonly keepNode: (name: string) => boolean;
  /** The names of `queries`, in the order their answers are matched up. */
  private readonly names: QueryName[];
  private readonly maxResponseBytes: number;
  private lastWarnings = '';

  constructor(
    private readonly config: Config,
    private readonly opts: PrometheusSourceOptions,
  ) {
    this.queries = buildQueries(config);
    this.client = new PrometheusClient(config.prometheus, opts.env);
    this.method = opts.method ?? 'POST';
    this.keepNode = nodeFilter(config);
    this.names = Object.keys(this.queries) as QueryName[];
    this.maxResponseBytes = config.prometheus.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
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
    const timeoutMs = this.config.prometheus.timeout;
    const deadline = new AbortController();
    const siblings = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const caller = signal ? AbortSignal.any([signal, siblings.signal]) : siblings.signal;
    // One decoded-bytes budget for all the answers of this poll (they are read concurrently).
    const budget = new ResponseBudget(this.maxResponseBytes);
    const started = performance.now();
    const names = this.names;
    try {
      const results = await Promise.all(
        names.map((name) =>
          this.runQuery(name, this.queries[name]!, { headers, budget, signals: { caller, deadline: deadline.signal, timeoutMs } }).catch((e: unknown) => {
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
        time: answersTime(results.map((r) => r.answer)),
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
      this.client.request('api/v1/query', params, { method: m, signals: ctx.signals, headers: ctx.headers, budget: ctx.budget, what });
    let res: RawResponse = await send(method);
    if (res.status === 405 && method === 'POST') {
      // Some proxies in front of Prometheus only allow GET.
      if (this.method === 'POST') this.opts.log.info({ endpoint: this.endpoint }, 'POST /api/v1/query not allowed (405); using GET from now on');
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
