// The Prometheus source against a real Prometheus (Debian `prometheus`) scraping two
// identical kube-state-metrics fixture replicas. One Prometheus for the whole file: each
// test switches the fixture scenario and waits until Prometheus has scraped it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main as snapshotCli } from '../../src/cli/snapshot.js';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import { PollError } from '../../src/source/errors.js';
import { PrometheusSource, type PollResult } from '../../src/source/prometheus.js';
import { emptyAlerts } from '../../src/snapshot.js';
import { emptyCounts, type StateCounts } from '../../src/states.js';
import { expectedCounts, generateCluster, startKsmFixture, type KsmCluster, type KsmFixture } from '../helpers/ksmFixture.js';
import { startPrometheus, type TestPrometheus } from '../helpers/prometheus.js';

let fixture: KsmFixture;
let prom: TestPrometheus;

beforeAll(async () => {
  fixture = await startKsmFixture({ cluster: null, replicas: 2 });
  prom = await startPrometheus({ jobs: [{ job: 'kube-state-metrics', targets: fixture.targets, labels: { cluster: 'test' } }] });
}, 60_000);

afterAll(async () => {
  await prom?.stop();
  await fixture?.close();
});

async function scenario(cluster: KsmCluster | null, render?: Parameters<KsmFixture['set']>[1]): Promise<void> {
  const gen = fixture.set(cluster, render);
  await prom.waitForGeneration(gen);
}

function source(extra: Partial<ConfigInput> = {}): PrometheusSource {
  const config = parseConfig(
    { outputs: [{ type: 'terminal' }], ...extra, prometheus: { url: prom.url, ...(extra.prometheus ?? {}) } },
    { env: {} },
  );
  return new PrometheusSource(config, { log: silentLogger });
}

async function pollOnce(extra: Partial<ConfigInput> = {}): Promise<PollResult> {
  const s = source(extra);
  try {
    return await s.pollWithStats();
  } finally {
    s.close();
  }
}

async function pollError(extra: Partial<ConfigInput> = {}): Promise<PollError> {
  const e = await pollOnce(extra).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PollError);
  return e as PollError;
}

const counts = (c: Partial<StateCounts>): StateCounts => ({ ...emptyCounts(), ...c });

/** Every state of SPEC §2, the precedence cases, and the node cases. */
const ALL_STATES: KsmCluster = {
  nodes: [
    { name: 'node-10' }, // no pods
    { name: 'node-1' },
    { name: 'node-2', unschedulable: true },
    { name: 'node-3', ready: false },
    { name: 'node-4', ready: null },
    { name: 'node-5', noReadyCondition: true },
  ],
  pods: [
    { name: 'run-a', node: 'node-1', phase: 'Running' },
    { name: 'run-b', node: 'node-1', phase: 'Running', waiting: ['ContainerCreating'] },
    { name: 'pend', node: 'node-1', phase: 'Pending' },
    { name: 'done', node: 'node-1', phase: 'Succeeded' },
    { name: 'fail', node: 'node-1', phase: 'Failed' },
    { name: 'lost', node: 'node-1', phase: 'Unknown' },
    // precedence
    { name: 'running-deleted', node: 'node-1', phase: 'Running', deleting: true },
    { name: 'running-crashloop', node: 'node-1', phase: 'Running', waiting: ['CrashLoopBackOff'] },
    { name: 'pending-imagepull', node: 'node-1', phase: 'Pending', waiting: ['ImagePullBackOff'] },
    { name: 'deleted-crashloop', node: 'node-1', phase: 'Running', deleting: true, waiting: ['CrashLoopBackOff'] },
    { name: 'failed-errimagepull', node: 'node-1', phase: 'Failed', waiting: ['ErrImagePull'] },
    { name: 'two-crashing-containers', node: 'node-1', phase: 'Running', waiting: ['CrashLoopBackOff', 'CreateContainerError'] },
    // other nodes
    { name: 'sys-1', namespace: 'kube-system', node: 'node-2', phase: 'Running' },
    { name: 'sys-2', namespace: 'kube-system', node: 'node-2', phase: 'Running' },
    { name: 'app', namespace: 'team-a', node: 'node-2', phase: 'Running' },
    { name: 'app', namespace: 'team-b', node: 'node-3', phase: 'Pending' },
    { name: 'x', namespace: 'team-a', node: 'node-4', phase: 'Running' },
    { name: 'y', namespace: 'team-a', node: 'node-5', phase: 'Running' },
    // unscheduled, and a pod on a node KSM no longer lists
    { name: 'waiting-1', phase: 'Pending' },
    { name: 'waiting-2', namespace: 'team-a', phase: 'Pending' },
    { name: 'orphan', node: 'node-gone', phase: 'Running' },
  ],
};

describe('PrometheusSource against a real Prometheus', () => {
  it('reports every state with precedence, node readiness, cordon, empty nodes and unscheduled pods', async () => {
    await scenario(ALL_STATES);
    const { snapshot } = await pollOnce();
    expect(snapshot.nodes.map((n) => n.name)).toEqual(['node-1', 'node-2', 'node-3', 'node-4', 'node-5', 'node-10']);
    const byName = Object.fromEntries(snapshot.nodes.map((n) => [n.name, n]));
    expect(byName['node-1']).toEqual({
      name: 'node-1',
      ready: true,
      unschedulable: false,
      pods: counts({ running: 2, pending: 1, succeeded: 1, failed: 1, unknown: 1, terminating: 2, crashing: 4 }),
      // The fixture's MemoryPressure is false everywhere; no alert rules here (test/source/extras.real.test.ts has both).
      conditions: [],
      alerts: emptyAlerts(),
    });
    expect(byName['node-2']).toEqual({ name: 'node-2', ready: true, unschedulable: true, pods: counts({ running: 3 }), conditions: [], alerts: emptyAlerts() });
    expect(byName['node-3']).toEqual({ name: 'node-3', ready: false, unschedulable: false, pods: counts({ pending: 1 }), conditions: [], alerts: emptyAlerts() });
    expect(byName['node-4']!.ready).toBeNull();
    expect(byName['node-5']!.ready).toBeNull();
    expect(byName['node-10']).toEqual({ name: 'node-10', ready: true, unschedulable: false, pods: emptyCounts(), conditions: [], alerts: emptyAlerts() });
    expect(snapshot.alerts).toEqual(emptyAlerts());
    expect(snapshot.queries).toEqual({});
    expect(snapshot.unscheduled).toEqual(counts({ pending: 2 }));
    expect(Date.now() - Date.parse(snapshot.time)).toBeLessThan(60_000);
  });

  it('does not double count two identical kube-state-metrics replicas, where a naive join fails with 422', async () => {
    await scenario(ALL_STATES);
    // The setup really has two copies of every series ...
    const raw = await prom.query('count(kube_pod_info)');
    expect(Number(raw[0]!.value[1])).toBe(2 * ALL_STATES.pods.length);
    // ... on which the obvious join is a many-to-many error.
    const naive = await prom.queryRaw('(kube_pod_status_phase == 1) * on (namespace, pod, uid) group_left (node) kube_pod_info');
    expect(naive.status).toBe(422);
    expect(naive.body.error).toMatch(/many-to-many/);
    const { snapshot } = await pollOnce();
    const total = snapshot.nodes.reduce((n, node) => n + Object.values(node.pods).reduce((a, b) => a + b, 0), 0);
    // Every pod once, except the orphan on a node KSM does not list and the two unscheduled ones.
    expect(total).toBe(ALL_STATES.pods.length - 3);
  });

  it('filters namespaces in PromQL (include and exclude regexes, anchored)', async () => {
    await scenario(ALL_STATES);
    const inc = (await pollOnce({ namespaces: { include: ['team-.*'] } })).snapshot;
    const by = (s: typeof inc) => Object.fromEntries(s.nodes.map((n) => [n.name, n.pods]));
    expect(by(inc)['node-1']).toEqual(emptyCounts());
    expect(by(inc)['node-2']).toEqual(counts({ running: 1 }));
    expect(by(inc)['node-3']).toEqual(counts({ pending: 1 }));
    expect(inc.unscheduled).toEqual(counts({ pending: 1 }));
    // Nodes stay visible even with none of their pods selected.
    expect(inc.nodes).toHaveLength(6);

    const exc = (await pollOnce({ namespaces: { exclude: ['kube-system', 'team'] } })).snapshot;
    expect(by(exc)['node-2']).toEqual(counts({ running: 1 })); // "team" is anchored: team-a stays
    expect(by(exc)['node-1']!.crashing).toBe(4);
  });

  it('applies nodes.include/exclude and nodes.order', async () => {
    await scenario(ALL_STATES);
    const { snapshot } = await pollOnce({ nodes: { order: ['node-10', 'node-3'], exclude: ['node-[45]'] } });
    expect(snapshot.nodes.map((n) => n.name)).toEqual(['node-10', 'node-3', 'node-1', 'node-2']);
    const only = (await pollOnce({ nodes: { include: ['node-1.*'] } })).snapshot;
    expect(only.nodes.map((n) => n.name)).toEqual(['node-1', 'node-10']);
  });

  it('uses the configured crash reasons', async () => {
    await scenario(ALL_STATES);
    const { snapshot } = await pollOnce({ crashReasons: ['ImagePullBackOff'] });
    const n1 = snapshot.nodes.find((n) => n.name === 'node-1')!;
    // Only pending-imagepull crashes now; the CrashLoopBackOff pods fall back to their phase.
    expect(n1.pods).toEqual(counts({ running: 4, pending: 1, succeeded: 1, failed: 2, unknown: 1, terminating: 2, crashing: 1 }));
  });

  it('selects with extra matchers and the cluster label; a selector matching nothing is no_ksm_data', async () => {
    await scenario(ALL_STATES);
    const ok = await pollOnce({ prometheus: { url: prom.url, matchers: ['job="kube-state-metrics"'], cluster: 'test' } });
    expect(ok.snapshot.nodes).toHaveLength(6);
    const wrongCluster = await pollError({ prometheus: { url: prom.url, cluster: 'prod' } });
    expect(wrongCluster.reason).toBe('no_ksm_data');
    expect(wrongCluster.message).toContain('cluster="prod"');
    const wrongJob = await pollError({ prometheus: { url: prom.url, matchers: ['job="ksm"'] } });
    expect(wrongJob.reason).toBe('no_ksm_data');
  });

  it('filters 0 rows of older kube-state-metrics versions with == 1', async () => {
    await scenario(ALL_STATES, { legacyWaitingReasons: true, allPhases: true });
    const raw = await prom.query('count(kube_pod_container_status_waiting_reason == 0)');
    expect(Number(raw[0]!.value[1])).toBeGreaterThan(0);
    const { snapshot } = await pollOnce();
    expect(snapshot.nodes.find((n) => n.name === 'node-1')!.pods).toEqual(
      counts({ running: 2, pending: 1, succeeded: 1, failed: 1, unknown: 1, terminating: 2, crashing: 4 }),
    );
    expect(snapshot.nodes.find((n) => n.name === 'node-2')!.pods).toEqual(counts({ running: 3 }));
  });

  it('reports no_ksm_data when kube-state-metrics exports nothing, and recovers', async () => {
    await scenario(null);
    const e = await pollError();
    expect(e.reason).toBe('no_ksm_data');
    expect(e.message).toMatch(/no kube-state-metrics data/);
    await scenario({ nodes: [{ name: 'pi-1' }], pods: [] });
    const { snapshot } = await pollOnce();
    expect(snapshot.nodes).toEqual([{ name: 'pi-1', ready: true, unschedulable: false, pods: emptyCounts(), conditions: [], alerts: emptyAlerts() }]);
  });

  it('reports no_ksm_data when the kube-state-metrics targets are down', async () => {
    fixture.fail(503);
    await prom.waitForValue('count(up == 0)', 2);
    const e = await pollError();
    expect(e.reason).toBe('no_ksm_data');
  });

  it('polls a 100-node, 3,000-pod cluster correctly in a few kilobytes', async () => {
    const big = generateCluster({ nodes: 100, podsPerNode: 30 });
    await scenario(big, { allPhases: true });
    const { snapshot, stats } = await pollOnce();
    const want = expectedCounts(big);
    expect(snapshot.nodes).toHaveLength(100);
    for (const n of snapshot.nodes) expect(n.pods, n.name).toEqual(want.nodes.get(n.name));
    expect(snapshot.unscheduled).toEqual(want.unscheduled);
    expect(snapshot.nodes.find((n) => n.name === 'node-2')!.ready).toBe(false);
    expect(snapshot.nodes.find((n) => n.name === 'node-3')!.unschedulable).toBe(true);
    // Aggregated in PromQL: O(nodes × states) series, never O(pods).
    expect(stats.queries.find((q) => q.name === 'pods')!.series).toBeLessThan(100 * 7 + 7);
    expect(stats.bytesReceived).toBeLessThan(32 * 1024);
    console.info(
      `poll of 100 nodes / ${big.pods.length} pods: ${stats.bytesReceived} bytes received, ${stats.bytesDecoded} bytes of JSON, ` +
        stats.queries.map((q) => `${q.name}=${q.bytesReceived}/${q.bytesDecoded}B ${q.series} series`).join(', '),
    );
  });

  it('`podglow snapshot --json --prometheus-url` prints the same snapshot', async () => {
    await scenario(ALL_STATES);
    const dir = mkdtempSync(join(tmpdir(), 'podglow-real-'));
    const config = join(dir, 'podglow.yaml');
    writeFileSync(config, 'outputs: [{ type: terminal }]\nlog: { level: error }\n');
    let out = '';
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += a.join(' ')));
    vi.stubEnv('PODGLOW_PROMETHEUS_URL', '');
    try {
      expect(await snapshotCli(['--json', '--config', config, '--prometheus-url', prom.url])).toBe(0);
    } finally {
      spy.mockRestore();
      vi.unstubAllEnvs();
      rmSync(dir, { recursive: true, force: true });
    }
    const printed = JSON.parse(out) as { time: string };
    const { snapshot } = await pollOnce();
    expect({ ...printed, time: '' }).toEqual({ ...snapshot, time: '' });
  });

  it('sends GET when asked and gives the same answer', async () => {
    await scenario(ALL_STATES);
    const config = parseConfig({ outputs: [{ type: 'terminal' }], prometheus: { url: `${prom.url}/` } }, { env: {} });
    const s = new PrometheusSource(config, { log: silentLogger, method: 'GET' });
    try {
      const a = await s.poll();
      expect(a.nodes.find((n) => n.name === 'node-1')!.pods.crashing).toBe(4);
    } finally {
      s.close();
    }
  });
});
