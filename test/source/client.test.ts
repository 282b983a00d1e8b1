// PrometheusClient's own HTTP handling (node:http, no client library): redirects, and that
// credentials never follow a redirect to another host.
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusClient } from '../../src/source/client.js';
import { PollError } from '../../src/source/errors.js';
import { parseConfig } from '../../src/config/load.js';

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

const servers: http.Server[] = [];

/** A server on 127.0.0.1 answering each request with `answer(seen)` as status and headers. */
async function serve(answer: (s: Seen) => { status: number; headers?: Record<string, string>; body?: string }): Promise<{ base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body };
      seen.push(s);
      const a = answer(s);
      res.writeHead(a.status, { 'Content-Type': 'application/json', ...a.headers });
      res.end(a.body ?? '{}');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

function client(url: string): PrometheusClient {
  return new PrometheusClient(parseConfig({ prometheus: { url }, outputs: [{ type: 'web', width: 1, height: 1 }] }, { env: {} }).prometheus, {});
}

const signals = () => ({ deadline: AbortSignal.timeout(5000), timeoutMs: 5000 });
const auth = { Authorization: 'Bearer s3cret' };

describe('PrometheusClient requests', () => {
  it('sends the form as a POST body under the base path, or as a GET query string', async () => {
    const { base, seen } = await serve(() => ({ status: 200, body: '{"status":"success"}' }));
    const c = client(`${base}/prom`);
    const post = await c.request('api/v1/query', { query: 'up' }, { method: 'POST', signals: signals(), headers: auth });
    await c.request('api/v1/query', { query: 'up' }, { method: 'GET', signals: signals(), headers: auth });
    c.close();
    expect(post).toMatchObject({ status: 200, contentType: 'application/json', bytesReceived: 20 });
    expect(post.body.toString()).toBe('{"status":"success"}');
    expect(seen.map((s) => [s.method, s.url, s.body, s.authorization])).toEqual([
      ['POST', '/prom/api/v1/query', 'query=up', 'Bearer s3cret'],
      ['GET', '/prom/api/v1/query?query=up', '', 'Bearer s3cret'],
    ]);
  });

  it('follows a 307 on the same host with method, body and credentials', async () => {
    const { base, seen } = await serve((s) => (s.url.startsWith('/old') ? { status: 307, headers: { Location: '/new/api/v1/query' } } : { status: 200 }));
    const c = client(`${base}/old`);
    expect((await c.request('api/v1/query', { query: 'up' }, { method: 'POST', signals: signals(), headers: auth })).status).toBe(200);
    c.close();
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/new/api/v1/query', body: 'query=up', authorization: 'Bearer s3cret' });
  });

  it('repeats a POST answered by 302 as a GET, and drops Authorization on a redirect to another host', async () => {
    const other = await serve(() => ({ status: 200 }));
    const { base } = await serve(() => ({ status: 302, headers: { Location: `${other.base}/elsewhere` } }));
    const c = client(base);
    expect((await c.request('api/v1/query', { query: 'up' }, { method: 'POST', signals: signals(), headers: auth })).status).toBe(200);
    c.close();
    expect(other.seen).toEqual([{ method: 'GET', url: '/elsewhere', authorization: undefined, body: '' }]);
  });

  it('gives up after three redirects with a clear error', async () => {
    const { base, seen } = await serve(() => ({ status: 308, headers: { Location: '/again' } }));
    const c = client(base);
    const e = await c.request('api/v1/query', { query: 'up' }, { method: 'POST', signals: signals(), headers: {} }).catch((x: unknown) => x);
    c.close();
    expect(e).toBeInstanceOf(PollError);
    expect((e as Error).message).toMatch(/more than 3 redirects/);
    expect(seen).toHaveLength(4);
  });
});
