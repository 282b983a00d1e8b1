import { describe, expect, it } from 'vitest';
import { createDemoSource, DemoCluster, DEMO_CYCLE, DEMO_NODES, webReplicas } from '../../src/source/demo.js';
import { parseConfig } from '../../src/config/load.js';
import { POD_STATES } from '../../src/states.js';
import type { Snapshot } from '../../src/snapshot.js';

function config(extra: Record<string, unknown> = {}) {
  return parseConfig({ source: 'demo', outputs: [{ type: 'web' }], ...extra });
}

/** Polls a demo source once per simulated second over `seconds`. */
async function run(seconds: number, extra: Record<string, unknown> = {}, seed = 1): Promise<Snapshot[]> {
  let now = 1_700_000_000_000;
  const source = createDemoSource(config(extra), { seed, now: () => now });
  const out: Snapshot[] = [];
  for (let i = 0; i < seconds; i++) {
    out.push(await source.poll());
    now += 1000;
  }
  return out;
}

const total = (s: Snapshot, state: (typeof POD_STATES)[number]) =>
  s.nodes.reduce((n, x) => n + x.pods[state], 0) + s.unscheduled[state];

describe('demo source', () => {
  it('is a four-node cluster with every state in every node', async () => {
    const [s] = await run(1);
    expect(s!.nodes.map((n) => n.name)).toEqual(['pi-1', 'pi-2', 'pi-3', 'pi-4']);
    for (const n of s!.nodes) expect(Object.keys(n.pods).sort()).toEqual([...POD_STATES].sort());
    expect(Object.keys(s!.unscheduled).sort()).toEqual([...POD_STATES].sort());
    expect(s!.time).toBe('2023-11-14T22:13:20.000Z');
  });

  it('is deterministic for a seed and a clock', async () => {
    expect(await run(200)).toEqual(await run(200));
    expect(await run(200, {}, 2)).not.toEqual(await run(200));
  });

  it('plays the scenario: scale to ~58 and back, rolling update, crash loop, NotReady node, cordon, jobs', async () => {
    const snaps = await run(DEMO_CYCLE);
    const running = snaps.map((s) => total(s, 'running') + total(s, 'pending'));
    // 58 web replicas plus kube-proxy ×4, api ×4 and the flaky pod at the top.
    expect(Math.max(...running)).toBeGreaterThanOrEqual(58 + 9);
    expect(running[0]).toBe(8 + 9);
    expect(running[DEMO_CYCLE - 1]).toBeLessThanOrEqual(8 + 10);
    expect(Math.max(...snaps.slice(62, 95).map((s) => total(s, 'terminating')))).toBeGreaterThanOrEqual(8);
    // Rolling update of api: new pods pending beside old ones terminating, while web is steady.
    expect(snaps.slice(96, 125).some((s) => total(s, 'terminating') > 0 && total(s, 'pending') > 0)).toBe(true);
    expect(snaps.filter((s) => total(s, 'crashing') === 1).length).toBeGreaterThan(DEMO_CYCLE * 0.7);
    expect(snaps.some((s) => total(s, 'crashing') === 0)).toBe(true);
    const pi3 = snaps.map((s) => s.nodes.find((n) => n.name === 'pi-3')!);
    expect(pi3.slice(0, 100).every((n) => n.ready === true)).toBe(true);
    expect(pi3[110]).toMatchObject({ ready: false });
    expect(pi3[110]!.pods.unknown).toBeGreaterThan(0);
    expect(pi3[110]!.pods.running).toBe(0);
    expect(pi3[130]).toMatchObject({ ready: true });
    expect(pi3[130]!.pods.unknown).toBe(0);
    expect(snaps[135]!.nodes.find((n) => n.name === 'pi-4')!.unschedulable).toBe(true);
    expect(snaps[146]!.nodes.find((n) => n.name === 'pi-4')!.unschedulable).toBe(false);
    expect(snaps.some((s) => total(s, 'succeeded') > 0)).toBe(true);
    expect(snaps.some((s) => total(s, 'failed') > 0)).toBe(true);
  });

  it('pi-2 goes under DiskPressure and a critical alert on it fires and resolves; a cluster-wide warning during the rollout', async () => {
    const snaps = await run(DEMO_CYCLE);
    const pi2 = snaps.map((s) => s.nodes.find((n) => n.name === 'pi-2')!);
    expect(pi2[60]).toMatchObject({ conditions: [], alerts: { critical: 0, warning: 0, info: 0 } });
    expect(pi2[70]).toMatchObject({ conditions: ['DiskPressure'], alerts: { critical: 0, warning: 0, info: 0 } });
    expect(pi2[85]).toMatchObject({ conditions: ['DiskPressure'], alerts: { critical: 1, warning: 0, info: 0 } });
    expect(pi2[110]).toMatchObject({ conditions: [], alerts: { critical: 0, warning: 0, info: 0 } });
    // Watchdog always fires and is excluded by default; the rollout warning has no node.
    expect(snaps[85]!.alerts).toEqual({ critical: 0, warning: 0, info: 0 });
    expect(snaps[100]!.alerts).toEqual({ critical: 0, warning: 1, info: 0 });
    for (const s of snaps) {
      expect(s.queries).toEqual({});
      for (const n of s.nodes.filter((x) => x.name !== 'pi-2'))
        expect(n).toMatchObject({ conditions: [], alerts: { critical: 0, warning: 0, info: 0 } });
    }
  });

  it("shows them on the matrix: pi-2's band has free LEDs for its DiskPressure and alert backgrounds", async () => {
    const snaps = await run(DEMO_CYCLE);
    const pods = (i: number) => Object.values(snaps[i]!.nodes[1]!.pods).reduce((a, b) => a + b, 0);
    // Two columns of eight per node on the 8×8 HAT (4 nodes).
    for (const i of [70, 85]) expect(pods(i), `tick ${i}`).toBeLessThan(16);
  });

  it('honours the alert and condition settings and answers named queries with the simulated availability', async () => {
    const at85 = async (extra: Record<string, unknown>) => (await run(86, extra)).at(-1)!;
    const off = await at85({ alerts: { enabled: false }, conditions: { enabled: false } });
    expect(off.nodes[1]).toMatchObject({ conditions: [], alerts: { critical: 0, warning: 0, info: 0 } });
    expect((await at85({ conditions: { include: ['Memory.*'] } })).nodes[1]!.conditions).toEqual([]);
    // Without exclusions the Watchdog (severity "none") counts as otherSeverity, cluster-wide.
    expect((await at85({ alerts: { exclude: [] } })).alerts).toEqual({ critical: 0, warning: 1, info: 0 });
    // A node filtered out: its alert is cluster-wide, not hidden.
    expect((await at85({ nodes: { exclude: ['pi-2'] } })).alerts).toEqual({ critical: 1, warning: 0, info: 0 });
    const q = { slo: { expr: 'x', thresholds: [{ color: '#ff0000' }, { value: 0.999, color: '#00ff00' }] } };
    expect((await at85({ queries: q })).queries).toEqual({ slo: { value: 0.97, color: '#ff0000' } });
    expect((await run(1, { queries: q }))[0]!.queries).toEqual({ slo: { value: 0.9995, color: '#00ff00' } });
  });

  it('never schedules onto a NotReady or cordoned node, nor more than 20 pods on one', () => {
    const c = new DemoCluster(7);
    for (let t = 0; t < 2 * DEMO_CYCLE; t++) {
      const before = c.counts(() => true).nodes;
      c.step();
      const after = c.counts(() => true).nodes;
      for (const n of DEMO_NODES) {
        const live = (m: typeof after) => m.get(n)!.pending + m.get(n)!.running + m.get(n)!.crashing + m.get(n)!.unknown;
        if (!c.ready(n) || c.unschedulable(n)) expect(live(after), `${n} at ${c.tick}`).toBeLessThanOrEqual(live(before));
        expect(Object.values(after.get(n)!).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(20);
      }
    }
  });

  it('follows the web replica curve', () => {
    expect([0, 6, 10, 42, 50, 62, 86, 100].map(webReplicas)).toEqual([8, 13, 18, 58, 58, 48, 8, 8]);
  });

  it('applies the namespace and node filters and the node order', async () => {
    const all = (await run(1))[0]!;
    const noSystem = (await run(1, { namespaces: { exclude: ['kube-system'] } }))[0]!;
    expect(total(all, 'running') - total(noSystem, 'running')).toBe(4);
    const some = (await run(1, { nodes: { include: ['pi-[23]'], order: ['pi-3'] } }))[0]!;
    expect(some.nodes.map((n) => n.name)).toEqual(['pi-3', 'pi-2']);
    // Regexes match whole names, as PromQL's do.
    const none = (await run(1, { nodes: { include: ['pi'] } }))[0]!;
    expect(none.nodes).toEqual([]);
  });

  it('advances with time between polls, and skips ahead after a long sleep', async () => {
    let now = 0;
    const source = createDemoSource(config(), { now: () => now });
    const a = await source.poll();
    now = 30_000;
    const b = await source.poll();
    expect(b).not.toEqual(a);
    now = 1000 * 3600 * 24;
    const t0 = Date.now();
    await source.poll();
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('honours an aborted signal', async () => {
    const source = createDemoSource(config());
    const ac = new AbortController();
    ac.abort();
    await expect(source.poll(ac.signal)).rejects.toMatchObject({ name: 'PollError', reason: 'aborted' });
  });
});
