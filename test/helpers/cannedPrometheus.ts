import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { CoreQueryName } from '../../src/source/promql.js';

/** The queries a poll sends for a config without `queries:` (the core four, node conditions and alerts). */
export type QueryName = CoreQueryName | 'conditions' | 'alerts';

/** One request the canned server saw. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Form parameters from the POST body or the GET query string. */
  params: URLSearchParams;
  /** Which of podglow's queries it was (from the PromQL text). */
  query: QueryName | 'other';
}

/** What to answer: status, body, headers; `stream` (write the response yourself, e.g. an endless body); or `hang` (never answer) / `reset` (destroy the socket). */
export type CannedAnswer =
  | { status?: number; body: string | Buffer; headers?: Record<string, string>; delayMs?: number }
  | { stream: (res: http.ServerResponse) => void }
  | 'hang'
  | 'reset';

/** Which podglow query a PromQL text is. */
export function queryKind(q: string): QueryName | 'other' {
  if (q.startsWith('count by (node')) return 'pods';
  if (q.includes('ALERTS{')) return 'alerts';
  if (q.includes('condition!="Ready"')) return 'conditions';
  if (q.includes('kube_node_status_condition')) return 'ready';
  if (q.includes('kube_node_spec_unschedulable')) return 'unschedulable';
  if (q.includes('kube_node_info')) return 'nodes';
  return 'other';
}

/** A Prometheus `success` answer with an instant vector. */
export function vector(
  result: { metric: Record<string, string>; value: string | number }[],
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    status: 'success',
    data: { resultType: 'vector', result: result.map((r) => ({ metric: r.metric, value: [1763726400.123, String(r.value)] })) },
    ...extra,
  });
}

/** Answers for a small healthy cluster: pi-1 (ready, 3 running, 1 crashing), pi-2 (cordoned, not ready), 1 pending unscheduled. */
export const HEALTHY: Record<QueryName, string> = {
  // The nodes query asks for each node's newest sample time (Unix seconds): 2 s before the answer's evaluation time.
  nodes: vector([
    { metric: { node: 'pi-2' }, value: 1763726398.123 },
    { metric: { node: 'pi-1' }, value: 1763726398.123 },
  ]),
  ready: vector([
    { metric: { node: 'pi-1', status: 'true' }, value: 1 },
    { metric: { node: 'pi-2', status: 'false' }, value: 1 },
  ]),
  unschedulable: vector([{ metric: { node: 'pi-2' }, value: 1 }]),
  pods: vector([
    { metric: { node: 'pi-1', state: 'running' }, value: 3 },
    { metric: { node: 'pi-1', state: 'crashing' }, value: 1 },
    { metric: { state: 'pending' }, value: 1 },
  ]),
  conditions: vector([]),
  alerts: vector([]),
};

/** A fake Prometheus on 127.0.0.1 that answers each request with `handler`'s canned answer. */
export interface CannedPrometheus {
  url: string;
  requests: SeenRequest[];
  handler: (req: SeenRequest) => CannedAnswer;
  close(): Promise<void>;
}

/** Starts a canned server; `tls` makes it HTTPS (key/cert PEM, optional client-cert CA). */
export async function startCanned(
  handler: (req: SeenRequest) => CannedAnswer = (r) => ({ body: r.query === 'other' ? vector([]) : HEALTHY[r.query] }),
  tls?: https.ServerOptions,
): Promise<CannedPrometheus> {
  const state: CannedPrometheus = { url: '', requests: [], handler, close: async () => {} };
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const params = req.method === 'POST' ? new URLSearchParams(Buffer.concat(chunks).toString()) : u.searchParams;
      const seen: SeenRequest = {
        method: req.method ?? '',
        path: u.pathname,
        headers: req.headers,
        params,
        query: queryKind(params.get('query') ?? ''),
      };
      state.requests.push(seen);
      const a = state.handler(seen);
      if (a === 'hang') return;
      if (a === 'reset') {
        req.socket.destroy();
        return;
      }
      if ('stream' in a) {
        a.stream(res);
        return;
      }
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(a.status ?? 200, { 'Content-Type': 'application/json', ...(a.headers ?? {}) });
        res.end(a.body);
      };
      if (a.delayMs) setTimeout(send, a.delayMs).unref();
      else send();
    });
  };
  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}
