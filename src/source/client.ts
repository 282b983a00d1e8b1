import http from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import axios, { type AxiosInstance } from 'axios';
import type { PrometheusConfig } from '../config/schema.js';
import { PollError } from './errors.js';
import { redactUrl } from './redact.js';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const brotli = promisify(zlib.brotliDecompress);

/** Upper bound on one response body; a real answer is a few kilobytes. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** One HTTP answer, body already decoded from its Content-Encoding. */
export interface RawResponse {
  status: number;
  contentType: string;
  body: Buffer;
  /** Body bytes as received on the wire (compressed when the server compressed it). */
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
    this.agent =
      u.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            ca: tls.caFile ? readTlsFile(tls.caFile, 'tls.caFile') : undefined,
            cert: tls.certFile ? readTlsFile(tls.certFile, 'tls.certFile') : undefined,
            key: tls.keyFile ? readTlsFile(tls.keyFile, 'tls.keyFile') : undefined,
            servername: tls.serverName,
            rejectUnauthorized: !tls.insecureSkipVerify,
          })
        : new http.Agent({ keepAlive: true });
    this.http = axios.create({
      baseURL: this.endpoint,
      httpAgent: this.agent,
      httpsAgent: this.agent,
      proxy: false,
      responseType: 'arraybuffer',
      // Decoded in request() instead, so a poll can report its bytes on the wire as well as the JSON size.
      decompress: false,
      transformResponse: [(d: unknown) => d],
      validateStatus: () => true,
      maxContentLength: MAX_BODY_BYTES,
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
        if (v === undefined) throw new PollError('other', `prometheus.basicAuth.passwordEnv: environment variable ${c.basicAuth.passwordEnv} is not set`);
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
    opts: { method: 'POST' | 'GET'; signals: RequestSignals; headers: Record<string, string> },
  ): Promise<RawResponse> {
    const { caller, deadline, timeoutMs } = opts.signals;
    const signal = caller ? AbortSignal.any([caller, deadline]) : deadline;
    const form = new URLSearchParams(params).toString();
    let res;
    try {
      res = await this.http.request<Buffer>({
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
      throw transportError(e, {
        endpoint: this.endpoint,
        timeoutMs,
        callerAborted: caller?.aborted ?? false,
        deadlineAborted: deadline.aborted,
      });
    }
    const raw = Buffer.isBuffer(res.data) ? res.data : Buffer.from(res.data ?? '');
    const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase().trim();
    let body: Buffer;
    try {
      body =
        encoding === 'gzip' || encoding === 'x-gzip'
          ? await gunzip(raw)
          : encoding === 'deflate'
            ? await inflate(raw)
            : encoding === 'br'
              ? await brotli(raw)
              : raw;
    } catch (e) {
      throw new PollError('invalid_response', `${this.endpoint}: cannot decode ${encoding} body: ${(e as Error).message}`, { cause: e });
    }
    return {
      status: res.status,
      contentType: String(res.headers['content-type'] ?? ''),
      body,
      bytesReceived: raw.length,
    };
  }

  /** Closes kept-alive sockets. */
  close(): void {
    this.agent.destroy();
  }
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
    case 'ERR_FR_MAX_BODY_LENGTH_EXCEEDED':
    case 'ERR_BAD_RESPONSE':
      return new PollError('invalid_response', `${where}: ${detail}`, { cause: e });
  }
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_|EPROTO/.test(code)) {
    return new PollError('connection', `${where}: TLS: ${detail}`, { cause: e });
  }
  if (/socket hang up/i.test(detail)) return new PollError('connection', `${where}: connection reset`, { cause: e });
  if (/maxContentLength/i.test(detail)) return new PollError('invalid_response', `${where}: ${detail}`, { cause: e });
  return new PollError('other', `${where}: ${detail}`, { cause: e });
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function readSecret(path: string, what: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (e) {
    throw new PollError('other', `${what}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

function readTlsFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`prometheus.${what}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
