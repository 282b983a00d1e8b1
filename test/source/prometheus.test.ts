// PrometheusSource against canned 127.0.0.1 servers: every failure kind, auth, TLS,
// request shape, compression, warnings, stats.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createLogger, silentLogger, type Logger } from '../../src/log.js';
import { transportError } from '../../src/source/client.js';
import { PollError } from '../../src/source/errors.js';
import { createSource } from '../../src/source/index.js';
import { PrometheusSource, type PollResult, type PrometheusSourceOptions } from '../../src/source/prometheus.js';
import { emptyAlerts } from '../../src/snapshot.js';
import {
  HEALTHY,
  startCanned,
  vector,
  type CannedAnswer,
  type CannedPrometheus,
  type SeenRequest,
} from '../helpers/cannedPrometheus.js';

const dir = mkdtempSync(join(tmpdir(), 'podglow-source-'));
const servers: CannedPrometheus[] = [];
const sources: PrometheusSource[] = [];

afterEach(async () => {
  for (const s of sources.splice(0)) s.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function canned(
  handler?: (r: SeenRequest) => CannedAnswer,
  tls?: Parameters<typeof startCanned>[1],
): Promise<CannedPrometheus> {
  const s = await startCanned(handler, tls);
  servers.push(s);
  return s;
}

function source(
  prometheus: Record<string, unknown>,
  opts: Partial<PrometheusSourceOptions> = {},
  env: Record<string, string> = {},
): PrometheusSource {
  const config = parseConfig({ outputs: [{ type: 'terminal' }], prometheus }, { env: {} });
  const s = new PrometheusSource(config, { log: silentLogger, env, ...opts });
  sources.push(s);
  return s;
}

async function pollError(s: PrometheusSource, signal?: AbortSignal): Promise<PollError> {
  const e = await s.poll(signal).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PollError);
  return e as PollError;
}

/** Answers the healthy cluster except for one query. */
const except = (name: string, answer: CannedAnswer) => (r: SeenRequest) =>
  r.query === name ? answer : { body: HEALTHY[r.query as keyof typeof HEALTHY] };

function captureLogger(): { log: Logger; lines: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { log: createLogger({ level: 'debug', format: 'json', stream }), lines: () => text };
}

describe('PrometheusSource: a good poll', () => {
  it('sends its concurrent instant POST queries (four core, conditions, alerts) without a time and takes the snapshot time from the answers', async () => {
    const srv = await canned();
    const s = source({ url: srv.url });
    const snap = await s.poll();
    expect(snap.nodes).toEqual([
      {
        name: 'pi-1',
        ready: true,
        unschedulable: false,
        pods: expect.objectContaining({ running: 3, crashing: 1, pending: 0 }),
        conditions: [],
        alerts: emptyAlerts(),
      },
      {
        name: 'pi-2',
        ready: false,
        unschedulable: true,
        pods: expect.objectContaining({ running: 0 }),
        conditions: [],
        alerts: emptyAlerts(),
      },
    ]);
    expect(snap.unscheduled.pending).toBe(1);
    expect(snap.alerts).toEqual(emptyAlerts());
    expect(snap.queries).toEqual({});
    expect(srv.requests.map((r) => r.query).sort()).toEqual(['alerts', 'conditions', 'nodes', 'pods', 'ready', 'unschedulable']);
    for (const r of srv.requests) {
      expect(r.method).toBe('POST');
      expect(r.path).toBe('/api/v1/query');
      expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(r.params.get('query')).toBe(s.queries[r.query as keyof typeof s.queries]);
    }
    // The server's clock decides the evaluation instant (SPEC §6 Time): podglow sends none ...
    for (const r of srv.requests) expect(r.params.has('time')).toBe(false);
    // ... and reports the one in the answers' samples (cannedPrometheus' vector() stamps 1763726400.123).
    expect(snap.time).toBe('2025-11-21T12:00:00.123Z');
  });

  it('keeps the path prefix of the URL and sends extra headers', async () => {
    const srv = await canned();
    await source({ url: `${srv.url}/prometheus/`, headers: { 'X-Scope-OrgID': 'tenant-1' } }).poll();
    for (const r of srv.requests) {
      expect(r.path).toBe('/prometheus/api/v1/query');
      expect(r.headers['x-scope-orgid']).toBe('tenant-1');
    }
  });

  it('falls back to GET for good when POST is not allowed (405)', async () => {
    const srv = await canned((r) =>
      r.method === 'POST' ? { status: 405, body: 'method not allowed' } : { body: HEALTHY[r.query as keyof typeof HEALTHY] },
    );
    const { log, lines } = captureLogger();
    const s = source({ url: srv.url }, { log });
    expect((await s.poll()).nodes).toHaveLength(2);
    srv.requests.length = 0;
    await s.poll();
    expect(srv.requests.map((r) => r.method)).toEqual(['GET', 'GET', 'GET', 'GET', 'GET', 'GET']);
    expect(srv.requests[0]!.params.get('query')).toBeTruthy();
    expect(lines()).toMatch(/using GET/);
  });

  it('decodes gzip answers and reports bytes and times per query', async () => {
    const srv = await canned((r) => ({
      body: gzipSync(HEALTHY[r.query as keyof typeof HEALTHY]),
      headers: { 'Content-Encoding': 'gzip' },
    }));
    const seen: PollResult[] = [];
    const s = source({ url: srv.url }, { onPoll: (r) => seen.push(r) });
    const r = await s.pollWithStats();
    expect(srv.requests[0]!.headers['accept-encoding']).toMatch(/gzip/);
    expect(r.snapshot.nodes).toHaveLength(2);
    const decoded = Object.values(HEALTHY).reduce((n, b) => n + Buffer.byteLength(b), 0);
    expect(r.stats.bytesDecoded).toBe(decoded);
    // Bytes on the wire come from the socket: the gzip bodies plus each answer's status line and headers.
    const gzipped = Object.values(HEALTHY).reduce((n, b) => n + gzipSync(b).length, 0);
    expect(r.stats.bytesReceived).toBeGreaterThan(gzipped);
    expect(r.stats.bytesReceived).toBeLessThan(gzipped + 6 * 300);
    expect(r.stats.queries.map((q) => q.name).sort()).toEqual([
      'alerts',
      'conditions',
      'nodes',
      'pods',
      'ready',
      'unschedulable',
    ]);
    expect(r.stats.queries.find((q) => q.name === 'pods')!.series).toBe(3);
    expect(r.stats.parseMs).toBeGreaterThanOrEqual(0);
    expect(r.stats.requestMs).toBeGreaterThan(0);
    expect(seen).toEqual([r]);
    expect(s.lastStats).toBe(r.stats);
  });

  it('logs backend warnings once while they persist', async () => {
    const srv = await canned((r) =>
      r.query === 'nodes'
        ? { body: vector([{ metric: { node: 'pi-1' }, value: 1 }], { warnings: ['partial response'], isPartial: true }) }
        : { body: HEALTHY[r.query as keyof typeof HEALTHY] },
    );
    const { log, lines } = captureLogger();
    const s = source({ url: srv.url }, { log });
    const r = await s.pollWithStats();
    await s.poll();
    expect(r.warnings).toEqual(['partial response']);
    expect(lines().match(/partial response/g)).toHaveLength(1);
  });

  it('createSource builds the prometheus source; demo is not built in yet', async () => {
    const srv = await canned();
    const config = parseConfig({ outputs: [{ type: 'terminal' }], prometheus: { url: srv.url } }, { env: {} });
    const s = await createSource(config, { log: silentLogger });
    expect((await s.poll()).nodes).toHaveLength(2);
    await s.close?.();
  });
});

describe('PrometheusSource: one decoded-bytes budget per poll', () => {
  /** A valid answer padded to about `bytes` with a label nobody reads. */
  const padded = (name: string, bytes: number) => {
    const base = JSON.parse(HEALTHY[name as keyof typeof HEALTHY]) as {
      pad?: string;
      data: { result: { metric: Record<string, string> }[] };
    };
    // An empty answer (no alerts, no conditions) carries its padding as an extra top-level field.
    if (base.data.result[0]) base.data.result[0].metric.pad = 'x'.repeat(bytes);
    else base.pad = 'x'.repeat(bytes);
    return JSON.stringify(base);
  };

  it("counts the poll's answers together: each under prometheus.maxResponseBytes, their sum over it, fails naming the budget", async () => {
    const srv = await canned((r) => ({ body: gzipSync(padded(r.query, 300 * 1024)), headers: { 'Content-Encoding': 'gzip' } }));
    const e = await pollError(source({ url: srv.url, maxResponseBytes: 1024 * 1024 }));
    expect(e.reason).toBe('invalid_response');
    expect(e.message).toMatch(
      /query: answers too large: more than 1 MiB decoded in this poll \(\d+(\.\d)? KiB of it this answer's\); raise prometheus.maxResponseBytes/,
    );
    // The same answers fit the default budget (16 MiB).
    expect((await source({ url: srv.url }).poll()).nodes).toHaveLength(2);
  });

  it('refuses a budget too small to hold a real answer', () => {
    expect(() => source({ url: 'http://x', maxResponseBytes: 1000 })).toThrow(/maxResponseBytes.*65536/s);
  });
});

describe('PrometheusSource: failures are named', () => {
  it('connection refused', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const e = await pollError(source({ url: `http://127.0.0.1:${port}` }));
    expect(e.reason).toBe('connection');
    expect(e.message).toBe(`http://127.0.0.1:${port}: connection refused`);
  });

  it('connection reset', async () => {
    const srv = await canned(() => 'reset');
    const e = await pollError(source({ url: srv.url }));
    expect(e.reason).toBe('connection');
    expect(e.message).toMatch(/connection reset/);
  });

  it('timeout on a slow answer, without waiting for it', async () => {
    const srv = await canned(except('pods', { body: HEALTHY.pods, delayMs: 3000 }));
    const t0 = Date.now();
    const e = await pollError(source({ url: srv.url, timeout: '300ms' }));
    expect(e.reason).toBe('timeout');
    expect(e.message).toBe(`${srv.url}: no answer within 300 ms`);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('aborted by the caller, before or during the poll', async () => {
    const srv = await canned(() => 'hang');
    const s = source({ url: srv.url });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const e = await pollError(s, ac.signal);
    expect(e.reason).toBe('aborted');
    expect((await pollError(s, AbortSignal.abort())).reason).toBe('aborted');
  });

  it('one failing query fails the poll at once and cancels the others', async () => {
    const srv = await canned((r) =>
      r.query === 'nodes' ? { status: 500, body: 'boom', headers: { 'Content-Type': 'text/plain' } } : 'hang',
    );
    const t0 = Date.now();
    const e = await pollError(source({ url: srv.url, timeout: '5s' }));
    expect(e.reason).toBe('http');
    expect(e.message).toBe('nodes query: HTTP 500: boom');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("HTTP errors with Prometheus' JSON, and plain text (Mimir 401)", async () => {
    const srv = await canned(
      except('pods', {
        status: 422,
        body: '{"status":"error","errorType":"execution","error":"many-to-many matching not allowed"}',
      }),
    );
    const e = await pollError(source({ url: srv.url }));
    expect([e.reason, e.message]).toEqual(['http', 'pods query: HTTP 422: execution: many-to-many matching not allowed']);
    srv.handler = () => ({ status: 401, body: 'no org id\n', headers: { 'Content-Type': 'text/plain' } });
    const e2 = await pollError(source({ url: srv.url }));
    expect(e2.reason).toBe('http');
    expect(e2.message).toMatch(/query: HTTP 401: no org id$/);
  });

  it('non-JSON, malformed JSON, bad gzip', async () => {
    const srv = await canned(except('ready', { body: '<html>login</html>', headers: { 'Content-Type': 'text/html' } }));
    const e = await pollError(source({ url: srv.url }));
    expect([e.reason, e.message]).toEqual(['invalid_response', 'ready query: not JSON (text/html): <html>login</html>']);
    srv.handler = except('ready', { body: '{"status":"succ' });
    expect((await pollError(source({ url: srv.url }))).message).toMatch(/^ready query: malformed JSON/);
    srv.handler = except('ready', { body: 'not gzip at all', headers: { 'Content-Encoding': 'gzip' } });
    const g = await pollError(source({ url: srv.url }));
    expect(g.reason).toBe('invalid_response');
    expect(g.message).toMatch(/cannot decode gzip body/);
  });

  it('no kube-state-metrics data', async () => {
    const srv = await canned((r) => ({ body: r.query === 'nodes' ? vector([]) : HEALTHY[r.query as keyof typeof HEALTHY] }));
    const e = await pollError(source({ url: srv.url, matchers: ['job="kube-state-metrics"'] }));
    expect(e.reason).toBe('no_ksm_data');
    expect(e.message).toMatch(
      /^no kube-state-metrics data: max by \(node\) \(timestamp\(kube_node_info\{job="kube-state-metrics"\}\) and kube_node_info\{job="kube-state-metrics"\}\) has no series/,
    );
  });

  it('transport errors by code (DNS, reset, unreachable, TLS, timeouts, unknown)', () => {
    const ctx = { endpoint: 'https://prom', timeoutMs: 1000, callerAborted: false, deadlineAborted: false };
    const name = (e: object, c = ctx) => {
      const p = transportError(e, c);
      return `${p.reason}: ${p.message}`;
    };
    expect(name({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND prom' })).toBe(
      'connection: https://prom: cannot resolve host (ENOTFOUND)',
    );
    expect(name({ code: 'EAI_AGAIN' })).toBe('connection: https://prom: cannot resolve host (EAI_AGAIN)');
    expect(name({ cause: { code: 'ECONNRESET' } })).toBe('connection: https://prom: connection reset');
    expect(name({ message: 'socket hang up' })).toBe('connection: https://prom: connection reset');
    expect(name({ code: 'EHOSTUNREACH' })).toBe('connection: https://prom: host unreachable (EHOSTUNREACH)');
    expect(name({ code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' })).toBe(
      'connection: https://prom: TLS: certificate has expired',
    );
    expect(name({ code: 'ETIMEDOUT' })).toBe('timeout: https://prom: no answer within 1000 ms');
    expect(name({ code: 'ERR_BAD_RESPONSE', message: 'maxContentLength size of 67108864 exceeded' })).toMatch(
      /^invalid_response/,
    );
    expect(name({ message: 'something odd' })).toBe('other: https://prom: something odd');
    expect(name({ code: 'ECONNREFUSED' }, { ...ctx, deadlineAborted: true })).toMatch(/^timeout/);
    expect(name({ code: 'ECONNREFUSED' }, { ...ctx, callerAborted: true, deadlineAborted: true })).toBe('aborted: poll aborted');
  });
});

describe('PrometheusSource: credentials', () => {
  it('reads the bearer token from its file on every poll', async () => {
    const srv = await canned();
    const file = join(dir, 'token');
    writeFileSync(file, 'tok-one\n');
    const s = source({ url: srv.url, bearerTokenFile: file });
    await s.poll();
    expect(new Set(srv.requests.map((r) => r.headers.authorization))).toEqual(new Set(['Bearer tok-one']));
    writeFileSync(file, 'tok-two');
    srv.requests.length = 0;
    await s.poll();
    expect(new Set(srv.requests.map((r) => r.headers.authorization))).toEqual(new Set(['Bearer tok-two']));
  });

  it('a missing token file fails the poll with the key and path, not the token', async () => {
    const srv = await canned();
    const e = await pollError(source({ url: srv.url, bearerTokenFile: join(dir, 'nope') }));
    expect(e.reason).toBe('other');
    expect(e.message).toBe(`prometheus.bearerTokenFile: cannot read ${join(dir, 'nope')}: ENOENT`);
  });

  it('basic auth with the password from a file or an environment variable', async () => {
    const srv = await canned();
    const file = join(dir, 'password');
    writeFileSync(file, 's3cret-file\n');
    await source({ url: srv.url, basicAuth: { username: 'podglow', passwordFile: file } }).poll();
    const decode = (h: string | undefined) => Buffer.from(h!.replace(/^Basic /, ''), 'base64').toString();
    expect(decode(srv.requests[0]!.headers.authorization)).toBe('podglow:s3cret-file');
    srv.requests.length = 0;
    await source(
      { url: srv.url, basicAuth: { username: 'podglow', passwordEnv: 'PROM_PW' } },
      {},
      { PROM_PW: 'from-env' },
    ).poll();
    expect(decode(srv.requests[0]!.headers.authorization)).toBe('podglow:from-env');
    const e = await pollError(source({ url: srv.url, basicAuth: { username: 'podglow', passwordEnv: 'UNSET_PW' } }));
    expect(e.message).toBe('prometheus.basicAuth.passwordEnv: environment variable UNSET_PW is not set');
  });

  it('credentials in the URL become basic auth and never appear in messages', async () => {
    const srv = await canned(() => ({ status: 500, body: 'oops' }));
    const url = srv.url.replace('http://', 'http://alice:pa55word@');
    const s = source({ url });
    expect(s.endpoint).toBe(srv.url);
    const e = await pollError(s);
    expect(Buffer.from(srv.requests[0]!.headers.authorization!.slice(6), 'base64').toString()).toBe('alice:pa55word');
    expect(e.message).not.toMatch(/pa55word|alice/);
  });

  it('never puts a secret into messages or logs, even when a proxy echoes it back', async () => {
    const srv = await canned((r) => ({
      status: 401,
      body: `bad credentials: ${r.headers.authorization}`,
      headers: { 'Content-Type': 'text/plain' },
    }));
    const file = join(dir, 'echo-token');
    writeFileSync(file, 'very-secret-token');
    const { log, lines } = captureLogger();
    const e = await pollError(source({ url: srv.url, bearerTokenFile: file }, { log }));
    expect(e.reason).toBe('http');
    expect(e.message).toMatch(/HTTP 401: bad credentials: \[redacted\]/);
    expect(e.message + lines()).not.toContain('very-secret-token');
  });
});

describe('PrometheusSource: TLS', () => {
  const tls = join(dir, 'tls');
  const pem = (f: string) => readFileSync(join(tls, f));

  beforeAll(() => {
    execFileSync('mkdir', ['-p', tls]);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: tls, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=podglow test CA');
    for (const [name, ext] of [
      ['server', 'subjectAltName=DNS:prom.test'],
      ['client', 'extendedKeyUsage=clientAuth'],
    ] as const) {
      writeFileSync(join(tls, `${name}.ext`), `${ext}\n`);
      ssl(
        'req',
        ...ec,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
        '-subj',
        `/CN=${name === 'server' ? 'prom.test' : 'podglow'}`,
      );
      ssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      );
    }
  });

  it('verifies certificates by default; caFile + serverName or insecureSkipVerify let it through', async () => {
    const srv = await canned(undefined, { key: pem('server.key'), cert: pem('server.crt') });
    const untrusted = await pollError(source({ url: srv.url }));
    expect(untrusted.reason).toBe('connection');
    expect(untrusted.message).toMatch(/TLS: /);
    const wrongName = await pollError(source({ url: srv.url, tls: { caFile: join(tls, 'ca.crt') } }));
    expect(wrongName.reason).toBe('connection');
    expect(wrongName.message).toMatch(/TLS: Hostname\/IP does not match certificate's altnames/);
    expect(
      (await source({ url: srv.url, tls: { caFile: join(tls, 'ca.crt'), serverName: 'prom.test' } }).poll()).nodes,
    ).toHaveLength(2);
    expect((await source({ url: srv.url, tls: { insecureSkipVerify: true } }).poll()).nodes).toHaveLength(2);
  });

  it('presents a client certificate', async () => {
    const srv = await canned(undefined, {
      key: pem('server.key'),
      cert: pem('server.crt'),
      ca: pem('ca.crt'),
      requestCert: true,
      rejectUnauthorized: true,
    });
    const base = { url: srv.url, tls: { caFile: join(tls, 'ca.crt'), serverName: 'prom.test' } };
    const refused = await pollError(source(base));
    expect(refused.reason).toBe('connection');
    const ok = await source({
      ...base,
      tls: { ...base.tls, certFile: join(tls, 'client.crt'), keyFile: join(tls, 'client.key') },
    }).poll();
    expect(ok.nodes).toHaveLength(2);
  });

  it('an unreadable CA file is a clear error at start-up', () => {
    expect(() => source({ url: 'https://127.0.0.1:1', tls: { caFile: join(tls, 'missing.crt') } })).toThrow(
      `prometheus.tls.caFile: cannot read ${join(tls, 'missing.crt')}: ENOENT`,
    );
  });
});
