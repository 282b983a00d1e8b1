import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { previewContext } from '../../src/server/state.js';
import { parseConfig } from '../../src/config/load.js';
import { Metrics } from '../../src/metrics.js';
import { silentLogger } from '../../src/log.js';
import { FakeStatusView, node, outputView, snapshotOf } from '../fakes/fakeStatusView.js';
import { openEvents, type SseClient } from './sse.js';

// SPEC §9: one event per new frame or status change; a failed poll reaches clients at once;
// ticking ages are computed in the page, not pushed every second.

let server: RunningServer | undefined;
const clients: SseClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

async function serve(
  view: FakeStatusView,
  extra: { heartbeatMs?: number; preview?: ReturnType<typeof previewContext> } = {},
): Promise<SseClient> {
  server = await startServer(
    view,
    new Metrics({ defaultMetrics: false }),
    { address: '127.0.0.1', port: 0, ...extra },
    silentLogger,
  );
  const c = await openEvents(new URL('api/events', server.url).toString());
  clients.push(c);
  await c.waitFor((e) => e.event === 'state');
  return c;
}

/** Bytes the client received since `from` events (the state it got first excluded). */
function bytesAfter(c: SseClient, from: number): number {
  return c.events.slice(from).reduce((n, e) => n + e.event.length + e.data.length, 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const NODES = Array.from({ length: 100 }, (_, i) =>
  node(`node-${i}`, { running: 20 + (i % 7), pending: i % 3, crashing: i % 11 === 0 ? 1 : 0 }),
);

describe('/api/events while nothing changes', () => {
  it('sends only heartbeats over 10 s while stale with 100 nodes, though the status LED blinks and the age ticks', async () => {
    const view = new FakeStatusView([outputView('grid', 'web', 10, 10), outputView('hat', 'unicornhat', 8, 8)]);
    const lastGood = new Date(Date.now() - 35_000);
    view.good(snapshotOf(NODES), lastGood);
    const base = NODES.map((n) => (n.pods.crashing ? '#ff0000' : '#00ff00'));
    const blink = NODES.map((n) => n.pods.crashing > 0);
    blink[99] = true; // the stale status LED
    view.frame('grid', base, blink);
    // The controller's readiness reason says how long ago, to the second.
    view.setStale(
      true,
      () => `stale: no good poll for ${Math.round((Date.now() - lastGood.getTime()) / 1000)}s (last error: connection refused)`,
    );
    view.fail('connection refused');
    const c = await serve(view, { heartbeatMs: 2000 });
    const first = JSON.parse(c.events[0]!.data);
    expect(first).toMatchObject({ stale: true, lastGoodPollMs: lastGood.getTime(), lastError: 'connection refused' });
    expect(first.outputs).toHaveLength(2);

    const from = c.events.length;
    const t0 = Date.now();
    let toggles = 0;
    // 10 s of what a stale controller does: the status LED and the crashing pods blink
    // twice a second (displayed colours change, the base frame does not).
    while (Date.now() - t0 < 10_000) {
      const on = toggles++ % 2 === 0;
      view.show(
        'grid',
        base.map((c, i) => (i === 99 ? (on ? '#ff9900' : '#000000') : on || c !== '#ff0000' ? c : '#000000')),
        blink,
      );
      view.show('hat', Array(64).fill(on ? '#004d00' : '#000000'));
      await sleep(500);
    }
    expect(toggles).toBeGreaterThanOrEqual(18);
    const heartbeats = c.comments.filter((x) => x === 'heartbeat').length;
    console.log(`SSE while stale, 100 nodes, 10 s: ${bytesAfter(c, from)} bytes of events, ${heartbeats} heartbeats`);
    expect(c.events.slice(from)).toEqual([]);
    expect(heartbeats).toBeGreaterThanOrEqual(4);
  }, 20_000);
});

describe('/api/events on a change', () => {
  it('a failed poll that changes no LED reaches the client at once, not at the next heartbeat', async () => {
    const view = new FakeStatusView([outputView('hat', 'web', 8, 8)]);
    view.good(snapshotOf([node('pi-1', { running: 1 })]), new Date());
    const c = await serve(view); // heartbeat 15 s
    const t0 = Date.now();
    view.fail('connection refused');
    const e = await c.waitFor((x) => x.event === 'status', 2000);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(JSON.parse(e.data)).toMatchObject({ ready: true, lastError: 'connection refused' });
    // The same error again is no change.
    view.fail('connection refused');
    await sleep(600);
    expect(c.events.filter((x) => x.event === 'status')).toHaveLength(1);
  });

  it('a poll with the same numbers sends a status (new last good poll) but no snapshot; new numbers send one', async () => {
    const view = new FakeStatusView([outputView('hat', 'web', 8, 8)]);
    view.good(snapshotOf([node('pi-1', { running: 1 })], '2026-11-21T12:00:00.000Z'), new Date(Date.now() - 10_000));
    const c = await serve(view);
    const at = new Date();
    view.good(snapshotOf([node('pi-1', { running: 1 })], '2026-11-21T12:00:10.000Z'), at);
    const status = await c.waitFor((x) => x.event === 'status');
    expect(JSON.parse(status.data).lastGoodPollMs).toBe(at.getTime());
    await sleep(600);
    expect(c.events.filter((x) => x.event === 'snapshot')).toEqual([]);
    view.good(snapshotOf([node('pi-1', { running: 2 })], '2026-11-21T12:00:20.000Z'), new Date());
    const snap = await c.waitFor((x) => x.event === 'snapshot');
    expect(JSON.parse(snap.data).snapshot.nodes[0].pods.running).toBe(2);
  });

  it('a device going down without a new frame is sent as a frame event with up: false', async () => {
    const view = new FakeStatusView([outputView('stick', 'blinkstick', 2, 1)]);
    const c = await serve(view);
    view.setUp('stick', false);
    const e = await c.waitFor((x) => x.event === 'frame', 2000);
    expect(JSON.parse(e.data)).toMatchObject({ name: 'stick', up: false });
  });

  it("labels matrix bands and nodes LEDs with node names from the layout, per page, with each output's legend", async () => {
    const config = parseConfig(
      {
        source: 'demo',
        palette: { preset: 'default', colors: { running: '#00ee00' } },
        outputs: [
          { name: 'hat', type: 'web', width: 8, height: 8, layout: { type: 'matrix', columnsPerNode: 2 } },
          {
            name: 'strip',
            type: 'web',
            width: 3,
            height: 1,
            layout: { type: 'nodes' },
            palette: { preset: 'blinkstick-classic' },
          },
          { name: 'stick', type: 'web', width: 2, height: 1, layout: { type: 'summary', node: 'pi-2' } },
        ],
      },
      { env: {} },
    );
    const view = new FakeStatusView([
      outputView('hat', 'web', 8, 8),
      outputView('strip', 'web', 3, 1),
      outputView('stick', 'web', 2, 1),
    ]);
    const nodes = ['pi-1', 'pi-2', 'pi-3', 'pi-4', 'pi-5'].map((n) => node(n, { running: 1 }));
    view.good(snapshotOf(nodes), new Date());
    const c = await serve(view, { preview: previewContext(config) });
    const state = JSON.parse(c.events[0]!.data);
    const [hat, strip, stick] = state.outputs;
    expect(hat).toMatchObject({
      layout: 'matrix',
      bands: [
        { node: 'pi-1', x: 0, width: 2 },
        { node: 'pi-2', x: 2, width: 2 },
        { node: 'pi-3', x: 4, width: 2 },
        { node: 'pi-4', x: 6, width: 2 },
      ],
    });
    expect(strip).toMatchObject({
      layout: 'nodes',
      ledNodes: [
        { node: 'pi-1', index: 0 },
        { node: 'pi-2', index: 1 },
        { node: 'pi-3', index: 2 },
      ],
    });
    expect(stick).toMatchObject({ layout: 'summary', subject: 'pi-2', bands: [], ledNodes: [] });
    const colour = (o: { legend: { key: string; color: string }[] }, key: string) => o.legend.find((l) => l.key === key)!.color;
    // The global palette with its override, and the strip's own preset (src/layout/palette.ts):
    // blinkstick-classic's PWM value #001900 as a full-brightness screen colour (pwmFullScale 50).
    expect([
      colour(hat, 'running'),
      colour(strip, 'running'),
      colour(stick, 'running'),
      state.legend.find((l: { key: string }) => l.key === 'running').color,
    ]).toEqual(['#00ee00', '#00c700', '#00ee00', '#00ee00']);

    // Page 2 of the matrix: the fifth node's band; the frame event carries the new labels.
    view.frame('hat', Array(64).fill('#00ee00'), undefined, { page: 1, pages: 2 });
    const e = await c.waitFor((x) => x.event === 'frame' && JSON.parse(x.data).name === 'hat');
    expect(JSON.parse(e.data)).toMatchObject({ page: 1, bands: [{ node: 'pi-5', x: 0, width: 2 }] });
    expect(JSON.parse(e.data)).not.toHaveProperty('legend');
  });
});
