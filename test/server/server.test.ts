import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { startServer, CONTENT_SECURITY_POLICY, type RunningServer } from '../../src/server/index.js';
import { Metrics } from '../../src/metrics.js';
import { silentLogger } from '../../src/log.js';
import { FakeStatusView, node, outputView, snapshotOf } from '../fakes/fakeStatusView.js';
import { openEvents, type SseClient } from './sse.js';

let view: FakeStatusView;
let server: RunningServer;

async function start(extra: { maxEventClients?: number; heartbeatMs?: number } = {}): Promise<void> {
  server = await startServer(
    view,
    new Metrics({ defaultMetrics: false }),
    { address: '127.0.0.1', port: 0, ...extra },
    silentLogger,
  );
}

function url(path: string): string {
  return new URL(path.replace(/^\//, ''), server.url).toString();
}

/** A request with any method and a raw path (fetch would normalise `..`). */
function raw(
  method: string,
  path: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeEach(async () => {
  view = new FakeStatusView([outputView('hat', 'web', 8, 8, 0.5), outputView('stick', 'web', 2, 1)]);
  await start();
});

afterEach(async () => {
  await server.close();
});

describe('health and readiness', () => {
  it('/healthz is always 200', async () => {
    const r = await fetch(url('/healthz'));
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('ok\n');
    const j = await fetch(url('/healthz'), { headers: { Accept: 'application/json' } });
    expect(await j.json()).toEqual({ status: 'ok' });
  });

  it('/readyz is 503 with the reason before the first poll and while stale, 200 when live', async () => {
    let r = await fetch(url('/readyz'));
    expect(r.status).toBe(503);
    expect(await r.text()).toBe('not ready: waiting for the first successful poll\n');

    view.fail('connection refused');
    r = await fetch(url('/readyz'), { headers: { Accept: 'application/json' } });
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({
      ready: false,
      reason: 'waiting for the first successful poll (last error: connection refused)',
    });

    view.good(snapshotOf([node('pi-1', { running: 3 })]));
    r = await fetch(url('/readyz'));
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('ready\n');

    view.setStale(true, 'stale: no good poll for 35s (last error: timeout)');
    r = await fetch(url('/readyz'));
    expect(r.status).toBe(503);
    expect(await r.text()).toContain('stale: no good poll for 35s (last error: timeout)');

    view.good(snapshotOf([node('pi-1', { running: 4 })]));
    r = await fetch(url('/readyz'), { headers: { Accept: 'application/json' } });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ready: true });
  });
});

describe('/api/state', () => {
  it('returns snapshot, outputs, last good poll, stale and last error', async () => {
    let s = await (await fetch(url('/api/state'))).json();
    expect(s).toMatchObject({ ready: false, stale: false, lastGoodPoll: null, lastError: null, snapshot: null });
    expect(s.outputs.map((o: { name: string }) => o.name)).toEqual(['hat', 'stick']);
    expect(s.legend.find((l: { key: string }) => l.key === 'running')).toEqual({
      key: 'running',
      color: '#00ff00',
      blink: false,
    });
    expect(s.legend.find((l: { key: string }) => l.key === 'crashing')).toMatchObject({ blink: true });

    const snap = snapshotOf([node('pi-1', { running: 2, pending: 1 })], '2026-11-21T12:00:00.000Z');
    view.good(snap);
    view.show('stick', ['#00ff00', '#ff9900']);
    view.fail('HTTP 503 from Prometheus');
    s = await (await fetch(url('/api/state'))).json();
    expect(s.snapshot).toEqual(snap);
    expect(s.lastGoodPoll).toBe('2026-11-21T12:00:00.000Z');
    expect(s.lastError).toBe('HTTP 503 from Prometheus');
    expect(s.ready).toBe(true);
    expect(s.outputs[1]).toMatchObject({ name: 'stick', width: 2, height: 1, leds: ['#00ff00', '#ff9900'] });
  });
});

describe('read-only, 404s, errors and headers', () => {
  it('answers unknown paths with 404 JSON', async () => {
    for (const p of [
      '/nope',
      '/api/nope',
      '/api/state/extra',
      '/public/app.js',
      '/../package.json',
      '/%2e%2e/package.json',
      '/.env',
      '/index.html/x',
    ]) {
      const r = await raw('GET', p);
      expect(r.status, p).toBe(404);
      expect(JSON.parse(r.body), p).toEqual({ error: 'not found' });
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('refuses every method that could change something', async () => {
    for (const m of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const p of ['/', '/api/state', '/metrics', '/readyz']) {
        const r = await raw(m, p);
        expect(r.status, `${m} ${p}`).toBe(405);
        expect(r.headers.allow).toBe('GET, HEAD');
      }
    }
  });

  it('never sends a stack trace', async () => {
    view.outputs = () => {
      throw new Error('boom at /secret/path/controller.ts:12');
    };
    const r = await raw('GET', '/api/state');
    expect(r.status).toBe(500);
    expect(JSON.parse(r.body)).toEqual({ error: 'internal error' });
    expect(r.body).not.toMatch(/boom|\.ts|at /);
  });

  it('serves the page with a Content-Security-Policy and no inline script', async () => {
    const r = await fetch(url('/'));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await r.text();
    expect(html).toContain('<script src="app.js" defer></script>');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/);
    const js = await fetch(url('/app.js'));
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(await js.text()).not.toContain('innerHTML');
    expect((await fetch(url('/style.css'))).headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('does not say which framework it runs on', async () => {
    const r = await fetch(url('/healthz'));
    expect(r.headers.get('x-powered-by')).toBeNull();
  });
});

describe('/metrics', () => {
  it('serves the registry with its content type', async () => {
    const r = await fetch(url('/metrics'));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await r.text()).toContain('# TYPE podglow_polls_total counter');
  });
});

describe('/api/events', () => {
  const clients: SseClient[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  it('sends the state first, then a frame event per base-frame change and status and snapshot events when they change', async () => {
    const c = await openEvents(url('/api/events'));
    clients.push(c);
    expect(c.res.statusCode).toBe(200);
    expect(c.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const first = await c.waitFor((e) => e.event === 'state');
    expect(JSON.parse(first.data)).toMatchObject({
      ready: false,
      lastGoodPollMs: null,
      outputs: [{ name: 'hat' }, { name: 'stick' }],
    });
    expect(c.events).toHaveLength(1);

    const polled = new Date(Date.now() - 2000);
    view.good(snapshotOf([node('pi-1', { running: 1 })]), polled);
    view.frame('stick', ['#00ff00', '#000000']);
    const frame = await c.waitFor((e) => e.event === 'frame');
    expect(JSON.parse(frame.data)).toMatchObject({ name: 'stick', base: ['#00ff00', '#000000'], blink: [false, false] });
    // The instantaneous colours are not pushed: the page draws effects from the base frame.
    expect(JSON.parse(frame.data)).not.toHaveProperty('leds');
    const live = JSON.parse((await c.waitFor((e) => e.event === 'status' && JSON.parse(e.data).ready === true)).data);
    expect(live).toMatchObject({
      stale: false,
      lastGoodPoll: polled.toISOString(),
      lastGoodPollMs: polled.getTime(),
      lastError: null,
    });
    expect(Math.abs(live.now - Date.now())).toBeLessThan(1000);
    expect(live.lastGoodPollAgeMs).toBe(live.now - polled.getTime());
    const snap = await c.waitFor((e) => e.event === 'snapshot');
    expect(JSON.parse(snap.data).snapshot.nodes[0].name).toBe('pi-1');

    view.frame('stick', ['#00ff00', '#ff0000']);
    await c.waitFor((e) => e.event === 'frame' && JSON.parse(e.data).base[1] === '#ff0000');
    // Same status, same snapshot: no extra status or snapshot event.
    await new Promise((r) => setTimeout(r, 400));
    expect(c.events.map((e) => e.event)).toEqual(['state', 'status', 'snapshot', 'frame', 'frame']);

    view.setStale(true, 'stale: no good poll for 30s');
    const stale = await c.waitFor((e) => e.event === 'status' && JSON.parse(e.data).stale === true);
    expect(JSON.parse(stale.data)).toMatchObject({
      ready: false,
      reason: 'stale: no good poll for 30s',
      lastGoodPollMs: polled.getTime(),
    });
  });

  it('sends heartbeat comments', async () => {
    await server.close();
    await start({ heartbeatMs: 50 });
    const c = await openEvents(url('/api/events'));
    clients.push(c);
    await new Promise((r) => setTimeout(r, 200));
    expect(c.comments.filter((x) => x === 'heartbeat').length).toBeGreaterThanOrEqual(2);
  });

  it('frees 200 clients on disconnect and gives the frame listener back', async () => {
    expect(view.listenerCount).toBe(0);
    const many = await Promise.all(Array.from({ length: 200 }, () => openEvents(url('/api/events'))));
    await Promise.all(many.map((c) => c.waitFor((e) => e.event === 'state')));
    expect(view.listenerCount).toBe(1);
    view.frame('hat', Array(64).fill('#0000ff'));
    await Promise.all(many.map((c) => c.waitFor((e) => e.event === 'frame')));
    for (const c of many) c.close();
    await waitUntil(() => view.listenerCount === 0);
    expect(view.listenerCount).toBe(0);
    // Frames after everyone left go nowhere and break nothing.
    view.frame('hat', Array(64).fill('#000000'));
    const again = await openEvents(url('/api/events'));
    clients.push(again);
    await again.waitFor((e) => e.event === 'state');
    expect(view.listenerCount).toBe(1);
  });

  it('answers HEAD without holding a client', async () => {
    const r = await raw('HEAD', '/api/events');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(view.listenerCount).toBe(0);
  });

  it('caps the number of clients', async () => {
    await server.close();
    await start({ maxEventClients: 3 });
    for (let i = 0; i < 3; i++) clients.push(await openEvents(url('/api/events')));
    const r = await fetch(url('/api/events'));
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ error: 'too many event stream clients' });
    clients.pop()!.close();
    // The freed slot is taken by the next client.
    await waitUntil(countAccepted);
  });

  it('close() ends open streams promptly', async () => {
    const c = await openEvents(url('/api/events'));
    await c.waitFor((e) => e.event === 'state');
    const t0 = Date.now();
    await server.close();
    await c.ended;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(view.listenerCount).toBe(0);
    await start();
  });
});

async function countAccepted(): Promise<boolean> {
  const c = await openEvents(url('/api/events'));
  const ok = c.res.statusCode === 200;
  c.close();
  return ok;
}

async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
