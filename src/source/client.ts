import http from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance } from 'axios';
import type { PrometheusConfig } from '../config/schema.js';
import { PollError } from './errors.js';
import { redactUrl } from './redact.js';

/** Default decoded-bytes budget of one poll: the largest real answer (5,000 nodes) is 2.4 MB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * The decoded (after gzip) bytes the concurrent answers of one poll may hold together. One
 * budget per poll, not one cap per answer: four answers decoding at once must fit in memory
 * together, so a hostile backend costs a named error instead of the process.
 */
export class ResponseBudget {
  private used = 0;
  constructor(readonly limit: number) {}

  /** Books `n` more bytes; false once the poll's answers pass the limit. */
  take(n: number): boolean {
    this.used += n;
    return this.used <= this.limit;
  }
}

/** Binary size for messages: `16 MiB`, `2.4 MiB`, `812 B`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

/** Where an agent keeps the bytes read from the socket for one request's response. */
const WIRE_BYTES = Symbol('podglow.wireBytes');

type CountedRequest = http.ClientRequest & { [WIRE_BYTES]?: { bytes: number } };

/**
 * Counts what each response costs on the socket (status line, headers and body as sent,
 * compressed when the server compressed): the bytes-on-the-wire figure the benchmarks
 * report, taken from the socket because axios decodes the body before podglow sees it.
 */
function countWireBytes<A extends http.Agent>(agent: A): A {
  type AddRequest = (req: CountedRequest, ...rest: unknown[]) => void;
  const a = agent as unknown as { addRequest: AddRequest };
  const add = a.addRequest.bind(agent);
  a.addRequest = (req, ...rest) => {
    const counter = { bytes: 0 };
    req[WIRE_BYTES] = counter;
    // A kept-alive socket has read its previous answer completely before it is handed on.
    req.once('socket', (socket: { bytesRead: number }) => {
      const start = socket.bytesRead;
      req.once('response', (res: http.IncomingMessage) => res.once('end', () => (counter.bytes = socket.bytesRead - start)));
    });
    add(req, ...rest);
  };
  return agent;
}

/** One HTTP answer, body already decoded from its Content-Encoding. */
export interface RawResponse {
  status: number;
  contentType: string;
  body: Buffer;
  /** Bytes read from the socket for this answer: status line, headers and the (compressed) body. */
  bytesReceived: number;
}

/** How a request was cancelled: by the caller, or by the poll deadline. */
export interface RequestSignals {
  /** The caller's signal (shutdown): becomes reason `aborted`. */
  caller?: AbortSignal;
  /** The poll deadline: becomes reason `timeout`. */
  deadline: AbortSignal;
  /** The deadline in ms, for messages. */
  timeoutMs: number;
}

type Env = Record<string, string | undefined>;

// Re-exported for callers of the client; it lives apart so `podglow check` need not load axios.
export { redactUrl };

/**
 * HTTP access to one Prometheus-compatible API: path prefix, headers, bearer token or
 * basic auth (secrets re-read on every request so rotated files are picked up), TLS
 * with verification on unless `insecureSkipVerify`, keep-alive between polls.
 */
export class PrometheusClient {
  /** Base URL for messages and logs (no credentials). */
  readonly endpoint: string;
  private readonly http: AxiosInstance;
  private readonly agent: http.Agent | https.Agent;
  private readonly urlAuth: { username: string; password: string } | null;

  constructor(
    private readonly config: PrometheusConfig,
    private readonly env: Env = process.env,
  ) {
    if (!config.url) throw new Error('prometheus.url is not set');
    const u = new URL(config.url);
    this.urlAuth = u.username ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : null;
    this.endpoint = redactUrl(config.url);
    const tls = config.tls;
    this.agent = countWireBytes(
      u.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            ca: tls.caFile ? readTlsFile(tls.caFile, 'tls.caFile') : undefined,
            cert: tls.certFile ? readTlsFile(tls.certFile, 'tls.certFile') : undefined,
            key: tls.keyFile ? readTlsFile(tls.keyFile, 'tls.keyFile') : undefined,
            servername: tls.serverName,
            rejectUnauthorized: !tls.insecureSkipVerify,
          })
        : new http.Agent({ keepAlive: true }),
    );
    this.http = axios.create({
      baseURL: this.endpoint,
      httpAgent: this.agent,
      httpsAgent: this.agent,
      proxy: false,
      // A stream, decoded by axios (gzip, deflate, br), read in request() against the poll's budget.
      responseType: 'stream',
      transformResponse: [(d: unknown) => d],
      validateStatus: () => true,
      maxRedirects: 3,
    });
  }

  /** Header values to send: configured headers plus Authorization (never logged). */
  async headers(): Promise<Record<string, string>> {
    const h: Record<string, string> = { ...this.config.headers };
    const c = this.config;
    if (c.bearerTokenFile) {
      h.Authorization = `Bearer ${await readSecret(c.bearerTokenFile, 'prometheus.bearerTokenFile')}`;
    } else if (c.basicAuth) {
      let password: string;
      if (c.basicAuth.passwordFile) password = await readSecret(c.basicAuth.passwordFile, 'prometheus.basicAuth.passwordFile');
      else {
        const v = this.env[c.basicAuth.passwordEnv!];
        if (v === undefined)
          throw new PollError(
            'other',
            `prometheus.basicAuth.passwordEnv: environment variable ${c.basicAuth.passwordEnv} is not set`,
          );
        password = v;
      }
      h.Authorization = basic(c.basicAuth.username, password);
    } else if (this.urlAuth) {
      h.Authorization = basic(this.urlAuth.username, this.urlAuth.password);
    }
    return h;
  }

  /**
   * Sends one request to `path` (relative to the base URL, e.g. `api/v1/query`) with form
   * parameters in a POST body or a GET query string. Transport failures become PollErrors.
   */
  async request(
    path: string,
    params: Record<string, string>,
    opts: {
      method: 'POST' | 'GET';
      signals: RequestSignals;
      headers: Record<string, string>;
      budget: ResponseBudget;
      what: string;
    },
  ): Promise<RawResponse> {
    const { caller, deadline, timeoutMs } = opts.signals;
    const signal = caller ? AbortSignal.any([caller, deadline]) : deadline;
    const form = new URLSearchParams(params).toString();
    const failed = (e: unknown) =>
      transportError(e, {
        endpoint: this.endpoint,
        timeoutMs,
        callerAborted: caller?.aborted ?? false,
        deadlineAborted: deadline.aborted,
      });
    let res;
    try {
      res = await this.http.request<Readable>({
        url: path,
        method: opts.method,
        signal,
        headers: {
          ...opts.headers,
          Accept: 'application/json',
          'Accept-Encoding': 'gzip, deflate, br',
          ...(opts.method === 'POST' ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(opts.method === 'POST' ? { data: form } : { url: `${path}?${form}` }),
      });
    } catch (e) {
      throw failed(e);
    }
    const body = await readBody(res.data, signal, opts.budget).catch((e: unknown) => {
      if (e instanceof BudgetExceeded) {
        const limit = formatBytes(opts.budget.limit);
        throw new PollError(
          'invalid_response',
          `${this.endpoint}: ${opts.what}: answers too large: more than ${limit} decoded in this poll (${formatBytes(e.read)} of it this answer's); raise prometheus.maxResponseBytes if this is real`,
          { cause: e },
        );
      }
      const callerAborted = caller?.aborted ?? false;
      if (!callerAborted && deadline.aborted) {
        const read = (e as { read?: number }).read ?? 0;
        throw new PollError(
          'timeout',
          `${this.endpoint}: ${opts.what}: answer not complete within ${timeoutMs} ms (${formatBytes(read)} decoded so far)`,
          { cause: e },
        );
      }
      const z = e as { code?: string; message?: string };
      if (!callerAborted && z.code?.startsWith('Z_')) {
        // axios drops Content-Encoding from the headers it decodes; the raw ones keep it.
        const raw = (res.request as { res?: http.IncomingMessage } | undefined)?.res?.rawHeaders ?? [];
        const i = raw.findIndex((h, j) => j % 2 === 0 && h.toLowerCase() === 'content-encoding');
        const encoding = i >= 0 ? raw[i + 1]!.toLowerCase() : 'compressed';
        throw new PollError('invalid_response', `${this.endpoint}: ${opts.what}: cannot decode ${encoding} body: ${z.message}`, {
          cause: e,
        });
      }
      throw failed(e);
    });
    const wire = (res.request as CountedRequest | undefined)?.[WIRE_BYTES]?.bytes;
    return {
      status: res.status,
      contentType: String(res.headers['content-type'] ?? ''),
      body,
      bytesReceived: wire ?? body.length,
    };
  }

  /** Closes kept-alive sockets. */
  close(): void {
    this.agent.destroy();
  }
}

/** The poll's budget ran out while this answer was read. */
class BudgetExceeded extends Error {
  constructor(readonly read: number) {
    super('response budget exceeded');
  }
}

/**
 * Reads a decoded body stream into one Buffer, booking every chunk against the poll's budget
 * and stopping (socket destroyed) as soon as it is spent or `signal` fires, so neither a gzip
 * bomb nor an endless body grows memory past the budget or outlives the deadline.
 */
async function readBody(stream: Readable, signal: AbortSignal, budget: ResponseBudget): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let read = 0;
  const onAbort = () => stream.destroy(Object.assign(new Error('aborted'), { code: 'ERR_CANCELED' }));
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      read += chunk.length;
      if (!budget.take(chunk.length)) throw new BudgetExceeded(read);
      chunks.push(chunk);
    }
  } catch (e) {
    stream.destroy();
    if (e instanceof Error && !(e instanceof BudgetExceeded)) Object.assign(e, { read });
    throw e;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * Names a transport failure (pure): the caller's abort → `aborted`, the deadline or a
 * socket timeout → `timeout`, refused/DNS/reset/unreachable/TLS → `connection`.
 */
export function transportError(
  e: unknown,
  ctx: { endpoint: string; timeoutMs: number; callerAborted: boolean; deadlineAborted: boolean },
): PollError {
  const where = ctx.endpoint;
  if (ctx.callerAborted) return new PollError('aborted', 'poll aborted', { cause: e });
  if (ctx.deadlineAborted) return new PollError('timeout', `${where}: no answer within ${ctx.timeoutMs} ms`, { cause: e });
  const err = e as { code?: string; message?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code ?? '';
  const detail = (err.message || String(e)).split('\n')[0]!;
  switch (code) {
    case 'ECONNREFUSED':
      return new PollError('connection', `${where}: connection refused`, { cause: e });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new PollError('connection', `${where}: cannot resolve host (${code})`, { cause: e });
    case 'ECONNRESET':
    case 'EPIPE':
      return new PollError('connection', `${where}: connection reset`, { cause: e });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new PollError('connection', `${where}: host unreachable (${code})`, { cause: e });
    case 'ETIMEDOUT':
    case 'ECONNABORTED':
      return new PollError('timeout', `${where}: no answer within ${ctx.timeoutMs} ms`, { cause: e });
    case 'ERR_BAD_RESPONSE':
      return new PollError('invalid_response', `${where}: ${detail}`, { cause: e });
  }
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_|EPROTO/.test(code)) {
    return new PollError('connection', `${where}: TLS: ${detail}`, { cause: e });
  }
  if (/socket hang up/i.test(detail)) return new PollError('connection', `${where}: connection reset`, { cause: e });
  return new PollError('other', `${where}: ${detail}`, { cause: e });
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function readSecret(path: string, what: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (e) {
    throw new PollError('other', `${what}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      cause: e,
    });
  }
}

function readTlsFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`prometheus.${what}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
