// Several clusters through one central store (SPEC §3c), with real servers: two "clusters",
// each a real Prometheus scraping its own kube-state-metrics fixture with
// `external_labels: {cluster: …}`, feed one store three ways (remote write into Prometheus'
// receiver, remote write into VictoriaMetrics, /federate scraped by a third Prometheus).
// podglow reads the central store: the exact Snapshot per cluster, then one cluster's
// Prometheus killed (that cluster alone goes stale within staleAfter) and restarted (it recovers).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import { emptyAlerts, type ClusterSnapshot, type Snapshot } from '../../src/snapshot.js';
import { PrometheusSource } from '../../src/source/prometheus.js';
import { STORE_KINDS, startClusterStore, type ClusterStore } from '../helpers/clusterStores.js';
import { expectedCounts, startKsmFixture, type KsmCluster, type KsmFixture } from '../helpers/ksmFixture.js';

vi.setConfig({ testTimeout: 90_000, hookTimeout: 60_000 });

const HOME: KsmCluster = {
  nodes: [{ name: 'pi-1' }, { name: 'pi-2', ready: false }],
  pods: [
    { name: 'web', node: 'pi-1', phase: 'Running' },
    { name: 'db', node: 'pi-1', phase: 'Running' },
    { name: 'job', node: 'pi-2', phase: 'Pending' },
  ],
};
// The same node and pod names as HOME on purpose: clusters are told apart by their label alone.
const CLOUD: KsmCluster = {
  nodes: [{ name: 'pi-1' }, { name: 'node-10', unschedulable: true }, { name: 'node-2' }],
  pods: [
    { name: 'web', node: 'pi-1', phase: 'Running', waiting: ['CrashLoopBackOff'] },
    { name: 'api', node: 'node-2', phase: 'Running' },
    { name: 'old', node: 'node-10', phase: 'Running', deleting: true },
    { name: 'lost', phase: 'Pending' },
  ],
};
/** Seconds a cluster may go without new samples before it is stale (scrapes every 1 s). */
const STALE_AFTER_S = 6;

/** The block podglow must show for a fixture cluster (nodes in natural order), data age aside. */
function expectedBlock(name: string, cluster: KsmCluster, displayName?: string): Omit<ClusterSnapshot, 'dataAgeSeconds'> {
  const { nodes, unscheduled } = expectedCounts(cluster);
  const names = cluster.nodes.map((n) => n.name).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const block: Omit<ClusterSnapshot, 'dataAgeSeconds'> = {
    name,
    nodes: names.map((n) => {
      const k = cluster.nodes.find((x) => x.name === n)!;
      return {
        name: n,
        ready: k.ready ?? true,
        unschedulable: k.unschedulable ?? false,
        pods: nodes.get(n)!,
        conditions: [],
        alerts: emptyAlerts(),
      };
    }),
    unscheduled,
    alerts: emptyAlerts(),
    stale: false,
  };
  if (displayName) block.displayName = displayName;
  return block;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(STORE_KINDS)('several clusters through %s', (kind) => {
  let home: KsmFixture;
  let cloud: KsmFixture;
  let store: ClusterStore;

  beforeAll(async () => {
    home = await startKsmFixture({ cluster: HOME });
    cloud = await startKsmFixture({ cluster: CLOUD });
    store = await startClusterStore(kind, [
      { name: 'home', target: home.targets[0]! },
      { name: 'cloud', target: cloud.targets[0]! },
    ]);
    // Both clusters' every series in the central store.
    await store.waitForValue(
      'count({__name__=~"kube_.+|ksm_fixture_generation"})',
      home.seriesCount() + cloud.seriesCount(),
      40_000,
    );
  });
  afterAll(async () => {
    await store?.stop();
    await home?.close();
    await cloud?.close();
  });

  function source(extra: Partial<ConfigInput>): PrometheusSource {
    const config = parseConfig(
      {
        outputs: [{ type: 'terminal' }],
        interval: '1s',
        staleAfter: `${STALE_AFTER_S}s`,
        prometheus: { url: store.url },
        ...extra,
      },
      { env: {} },
    );
    return new PrometheusSource(config, { log: silentLogger });
  }
  async function poll(s: PrometheusSource): Promise<Snapshot> {
    await store.flush();
    return s.poll();
  }
  const block = (s: Snapshot, name: string) => s.clusters!.find((c) => c.name === name)!;

  it('gives the exact Snapshot per cluster, in the listed order with display names', async () => {
    const s = source({ clusters: [{ name: 'home', displayName: 'Raspberry Pis' }, 'cloud'] });
    try {
      const snap = await poll(s);
      expect(snap.clusters!.map(({ dataAgeSeconds: _age, ...rest }) => rest)).toEqual([
        expectedBlock('home', HOME, 'Raspberry Pis'),
        expectedBlock('cloud', CLOUD),
      ]);
      for (const c of snap.clusters!) {
        expect(c.dataAgeSeconds).toBeGreaterThanOrEqual(0);
        expect(c.dataAgeSeconds).toBeLessThan(STALE_AFTER_S);
      }
      expect(snap.alerts).toEqual(emptyAlerts());
      expect(snap.queries).toEqual({});
      // The flat view holds every cluster's nodes and unscheduled pods together.
      expect(snap.nodes).toHaveLength(5);
      expect(snap.unscheduled.pending).toBe(1);
    } finally {
      s.close();
    }
  });

  it('auto finds both clusters, in natural order', async () => {
    const s = source({ clusters: 'auto' });
    try {
      const snap = await poll(s);
      expect(snap.clusters!.map((c) => c.name)).toEqual(['cloud', 'home']);
      expect(snap.clusters!.map(({ dataAgeSeconds: _age, ...rest }) => rest)).toEqual([
        expectedBlock('cloud', CLOUD),
        expectedBlock('home', HOME),
      ]);
    } finally {
      s.close();
    }
  });

  it('a cluster whose Prometheus dies goes stale alone within staleAfter, and recovers when it is back', async () => {
    const s = source({ clusters: 'auto' });
    try {
      expect((await poll(s)).clusters!.every((c) => !c.stale)).toBe(true);
      await store.killEdge('home');
      const killed = Date.now();
      let snap: Snapshot;
      for (;;) {
        snap = await poll(s);
        // The other cluster stays live the whole time.
        expect(block(snap, 'cloud').stale).toBe(false);
        if (block(snap, 'home').stale) break;
        expect(Date.now() - killed).toBeLessThan((STALE_AFTER_S + 3) * 1000);
        await sleep(500);
      }
      const staleAfter = (Date.now() - killed) / 1000;
      expect(staleAfter).toBeLessThan(STALE_AFTER_S + 3);
      // Its last known nodes stay on the light, stale; it did not vanish.
      expect(snap.clusters!.map((c) => c.name)).toEqual(['cloud', 'home']);
      expect(block(snap, 'home').nodes.map((n) => n.name)).toEqual(['pi-1', 'pi-2']);

      await store.restartEdge('home');
      const restarted = Date.now();
      for (;;) {
        snap = await poll(s);
        if (!block(snap, 'home').stale) break;
        expect(Date.now() - restarted).toBeLessThan(40_000);
        await sleep(500);
      }
      expect(snap.clusters!.map(({ dataAgeSeconds: _age, ...rest }) => rest)).toEqual([
        expectedBlock('cloud', CLOUD),
        expectedBlock('home', HOME),
      ]);
    } finally {
      s.close();
    }
  });
});
