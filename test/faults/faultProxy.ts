import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { QueryName } from '../../src/source/promql.js';
import { queryKind } from '../helpers/cannedPrometheus.js';

/** What the proxy does with one request: forward it, delay it, answer it itself, or rewrite the real answer. */
export type FaultRule =
  | { kind: 'pass' }
  | { kind: 'delay'; ms: number }
  | { kind: 'answer'; status: number; body: string; contentType?: string }
  | { kind: 'rewrite'; fn: (body: string) => string };

/** One request the proxy saw and how it ended. */
export interface ProxyRequest {
  query: QueryName | 'other';
  /** The client went away before the proxy answered (podglow aborted the request). */
  aborted: boolean;
  answered: boolean;
}

/** An HTTP proxy on 127.0.0.1 in front of a Prometheus that injects faults per request. */
export interface FaultProxy {
  url: string;
  /** Upstream base URL (a real Prometheus). */
  upstream: string;
  /** Decides each request's fate; default pass-through. */
  rule: (query: QueryName | 'other') => FaultRule;
  readonly requests: ProxyRequest[];
  /** Requests received but not answered or aborted yet. */
  inFlight(): number;
  close(): Promise<void>;
}

const PASS: FaultRule = { kind: 'pass' };

/** Forwards one request body to the upstream (no Accept-Encoding: the proxy sees plain JSON). */
function forward(
  upstream: string,
  req: http.IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const u = new URL(req.url ?? '/', upstream);
    const out = http.request(
      u,
      {
        method: req.method,
        headers: {
          'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded',
          'content-length': body.length,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

/** Starts a fault-injecting proxy in front of `upstream` on a random 127.0.0.1 port. */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const requests: ProxyRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const state: FaultProxy = {
    url: '',
    upstream,
    rule: () => PASS,
    requests,
    inFlight: () => requests.filter((r) => !r.answered && !r.aborted).length,
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const u = new URL(req.url ?? '/', 'http://x');
      const params = req.method === 'POST' ? new URLSearchParams(body.toString()) : u.searchParams;
      const rec: ProxyRequest = { query: queryKind(params.get('query') ?? ''), aborted: false, answered: false };
      requests.push(rec);
      res.on('close', () => {
        if (!res.writableFinished) rec.aborted = true;
      });
      const send = (status: number, contentType: string, payload: string | Buffer) => {
        if (res.destroyed || rec.aborted) return;
        rec.answered = true;
        res.writeHead(status, { 'Content-Type': contentType }).end(payload);
      };
      const relay = async (fn?: (b: string) => string) => {
        try {
          const up = await forward(state.upstream, req, body);
          const ct = String(up.headers['content-type'] ?? 'application/json');
          send(up.status, ct, fn ? fn(up.body.toString('utf8')) : up.body);
        } catch (e) {
          // The upstream is down: behave like a dead Prometheus (connection reset).
          if (!res.destroyed) req.socket.destroy();
          rec.aborted = rec.aborted || !rec.answered;
          void e;
        }
      };
      const rule = state.rule(rec.query);
      switch (rule.kind) {
        case 'pass':
          void relay();
          break;
        case 'rewrite':
          void relay(rule.fn);
          break;
        case 'answer':
          send(rule.status, rule.contentType ?? 'application/json', rule.body);
          break;
        case 'delay': {
          const t = setTimeout(() => {
            timers.delete(t);
            void relay();
          }, rule.ms);
          timers.add(t);
          break;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const t of timers) clearTimeout(t);
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}
