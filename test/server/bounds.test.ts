// The server's bounds under load (SPEC §9, issue 20): slow headers are cut off at the header
// deadline, a flood of connections is refused at accept beyond the cap, an event stream client
// that stops reading is dropped once its unsent bytes pass the bound, and /metrics is gzipped
// only when asked. Everything runs on 127.0.0.1 with small, bounded numbers of sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import {
  HEADERS_TIMEOUT_MS,
  MAX_CONNECTIONS,
  SSE_MAX_BUFFERED_BYTES,
  startServer,
  wantsGzip,
  type RunningServer,
  type ServerOptions,
} from '../../src/server/index.js';
import { Metrics } from '../../src/metrics.js';
import { silentLogger } from '../../src/log.js';
import { FakeStatusView, outputView } from '../fakes/fakeStatusView.js';
import { spawnSync } from 'node:child_process';

let server: RunningServer | undefined;
let metrics: Metrics;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
  server = undefined;
});

async function start(
  extra: Partial<ServerOptions> = {},
  view = new FakeStatusView([outputView('hat', 'web', 8, 8)]),
): Promise<RunningServer> {
  metrics = new Metrics({ defaultMetrics: false });
  server = await startServer(view, metrics, { address: '127.0.0.1', port: 0, ...extra }, silentLogger);
  return server;
}

/** One unlabelled series' value from the registry. */
async function metric(name: string): Promise<number> {
  const text = await metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : NaN;
}

/** Opens a raw TCP connection; resolves once connected, records when it closes. */
function open(url: string): Promise<{ socket: Socket; closed: Promise<number>; data: () => string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname);
    sockets.push(socket);
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    const closed = new Promise<number>((r) => socket.once('close', () => r(performance.now())));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed, data: () => data }));
    socket.once('error', reject);
  });
}

async function timedGet(url: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const r = await fetch(url);
  await r.text();
  return { status: r.status, ms: performance.now() - t0 };
}

async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('header deadline', () => {
  it('is 10 s by default, for the headers and the whole request', async () => {
    expect(HEADERS_TIMEOUT_MS).toBe(10_000);
    const s = await start();
    expect(s.http.headersTimeout).toBe(10_000);
    expect(s.http.requestTimeout).toBe(10_000);
    expect(s.http.maxConnections).toBe(MAX_CONNECTIONS);
  });

  it('drops clients that send their headers a byte at a time, while /healthz stays prompt', async () => {
    const s = await start({ headersTimeoutMs: 1000 });
    const t0 = performance.now();
    const slow = await Promise.all(Array.from({ length: 30 }, () => open(s.url)));
    // One byte every 100 ms: each client is alive and sending, just never finishing its headers.
    const request = 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(200);
    let i = 0;
    const drip = setInterval(() => {
      for (const c of slow) if (!c.socket.destroyed) c.socket.write(request[i % request.length]!);
      i++;
    }, 100);
    try {
      const probes: number[] = [];
      for (let k = 0; k < 5; k++) {
        const r = await timedGet(new URL('healthz', s.url).toString());
        expect(r.status).toBe(200);
        probes.push(r.ms);
        await new Promise((r) => setTimeout(r, 80));
      }
      // Prompt: a small fraction of the deadline the slow clients are held to (the machine may be busy).
      expect(Math.max(...probes)).toBeLessThan(400);
      const closedAt = await Promise.all(slow.map((c) => c.closed));
      // Dropped after the 1 s deadline plus at most one check interval (a tenth of it), with scheduling slack;
      // Node's defaults (60 s, checked every 30 s) would hold them far longer.
      for (const t of closedAt) expect(t - t0).toBeLessThan(1000 + 100 + 900);
      expect(Math.min(...closedAt) - t0).toBeGreaterThanOrEqual(950);
      expect(slow[0]!.data()).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
    }
  });
});

describe('connection cap', () => {
  it('refuses connections beyond its size at accept, counts them, and recovers when the flood leaves', async () => {
    const s = await start({ maxConnections: 20 });
    const held = await Promise.all(Array.from({ length: 20 }, () => open(s.url)));
    await waitUntil(async () => (await metric('podglow_http_connections')) === 20);
    const flood = await Promise.all(Array.from({ length: 30 }, () => open(s.url)));
    // The kernel completes the handshake; Node closes each one at once, before any request is read.
    const t0 = performance.now();
    const closed = await Promise.all(flood.map((c) => c.closed));
    expect(Math.max(...closed) - t0).toBeLessThan(1000);
    expect(flood.every((c) => c.data() === '')).toBe(true);
    expect(await metric('podglow_http_connections_refused_total')).toBe(30);
    expect(await metric('podglow_http_connections')).toBe(20);
    // The held ones still work.
    held[0]!.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitUntil(() => held[0]!.data().startsWith('HTTP/1.1 200'));
    for (const c of held) c.socket.destroy();
    await waitUntil(async () => (await metric('podglow_http_connections')) === 0);
    const r = await timedGet(new URL('healthz', s.url).toString());
    expect(r.status).toBe(200);
    expect(await metric('podglow_http_connections_refused_total')).toBe(30);
  });
});

describe('event stream client that stops reading', () => {
  it('is dropped once its unsent bytes pass the bound, and counted', async () => {
    expect(SSE_MAX_BUFFERED_BYTES).toBeGreaterThanOrEqual(16 * 1024);
    expect(SSE_MAX_BUFFERED_BYTES).toBeLessThanOrEqual(128 * 1024);
    // A 64×64 output: every frame event carries about 40 KiB of colours.
    const view = new FakeStatusView([outputView('big', 'web', 64, 64)]);
    const s = await start({}, view);
    const u = new URL('api/events', s.url);
    const reader = await new Promise<import('node:http').IncomingMessage>((resolve) =>
      request(u, { agent: false }, resolve).end(),
    );
    let readerBytes = 0;
    reader.on('data', (d: Buffer) => (readerBytes += d.length));
    // A raw socket that never reads: its receive buffer stays small (the kernel grows it only
    // for a reader), then the server's send buffer fills, then the response's own buffer.
    const stalled = await open(s.url);
    stalled.socket.pause();
    stalled.socket.write(`GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n`);
    await waitUntil(async () => (await metric('podglow_sse_clients')) === 2);
    let sent = 0;
    let dropped = false;
    const leds = Array.from({ length: 4096 }, (_, i) => `#${((i * 7919) & 0xffffff).toString(16).padStart(6, '0')}`);
    for (let n = 0; n < 1000 && !dropped; n++) {
      leds[n % 4096] = leds[n % 4096] === '#ffffff' ? '#000000' : '#ffffff';
      view.frame('big', leds);
      sent += 4096 * 10;
      await new Promise((r) => setTimeout(r, 2));
      // The paused socket never reads, so it never sees the close either: ask the server.
      dropped = (await metric('podglow_sse_clients_dropped_total')) === 1;
    }
    // Dropped before 1000 frames (40 MB) were sent: kernel buffers plus the bound, no more.
    expect(dropped).toBe(true);
    expect(await metric('podglow_http_connections')).toBe(1);
    expect(await metric('podglow_sse_clients')).toBe(1);
    // The reader that keeps up was never dropped and got what was sent.
    await waitUntil(() => readerBytes >= sent * 0.9);
    expect(reader.socket.destroyed).toBe(false);
    reader.destroy();
    await waitUntil(async () => (await metric('podglow_sse_clients')) === 0);
  });

  it('HEAD /api/events honours Connection: close', async () => {
    const s = await start();
    const c = await open(s.url);
    c.socket.write('HEAD /api/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await c.closed;
    expect(c.data()).toMatch(/^HTTP\/1\.1 200/);
    expect(c.data()).toMatch(/\r\nConnection: close\r\n/i);
    expect(await metric('podglow_sse_clients')).toBe(0);
  });
});

describe('/metrics compression', () => {
  function get(
    url: string,
    headers: Record<string, string>,
  ): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      request(url, { headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    });
  }

  it('is gzipped when the client asks, and plain otherwise', async () => {
    const s = await start();
    const u = new URL('metrics', s.url).toString();
    const zipped = await get(u, { 'Accept-Encoding': 'gzip, deflate' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toMatch(/Accept-Encoding/i);
    const text = gunzipSync(zipped.body).toString('utf8');
    expect(text).toContain('podglow_http_connections ');
    expect(text).toContain('podglow_sse_clients_dropped_total 0');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
    expect(`${check.stdout}${check.stderr}`.trim(), 'promtool check metrics').toBe('');
    expect(check.status).toBe(0);
    const plain = await get(u, {});
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toContain('# TYPE podglow_sse_clients gauge');
    const refused = await get(u, { 'Accept-Encoding': 'gzip;q=0, identity' });
    expect(refused.headers['content-encoding']).toBeUndefined();
  });

  it('reads Accept-Encoding as RFC 9110 does for gzip', () => {
    expect(wantsGzip(undefined)).toBe(false);
    expect(wantsGzip('identity')).toBe(false);
    expect(wantsGzip('gzip')).toBe(true);
    expect(wantsGzip('br, GZIP;q=0.5')).toBe(true);
    expect(wantsGzip('gzip;q=0')).toBe(false);
    expect(wantsGzip('gzip; q=0.0')).toBe(false);
  });
});
