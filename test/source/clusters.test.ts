// Several clusters from one poll (SPEC §3c) against canned answers in the shapes Thanos Query
// and Grafana Mimir give (neither is packaged in Debian): queries grouped by the cluster label,
// one block per cluster, partial responses with warnings, the tenant header and label.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { emptyAlerts, type Snapshot } from '../../src/snapshot.js';
import { PollError } from '../../src/source/errors.js';
import { carryOver } from '../../src/source/clusters.js';
import { PrometheusSource } from '../../src/source/prometheus.js';
import { emptyCounts } from '../../src/states.js';
import { startCanned, vector, type CannedPrometheus, type SeenRequest } from '../helpers/cannedPrometheus.js';

/** The evaluation time vector() stamps on every sample (Unix seconds). */
const EVAL = 1763726400.123;

type Kind = 'pods' | 'alerts' | 'conditions' | 'ready' | 'unschedulable' | 'nodes' | 'other';
function kind(q: string): Kind {
  if (q.includes('ALERTS{')) return 'alerts';
  if (q.startsWith('count by (') && q.includes('state')) return 'pods';
  if (q.includes('condition!="Ready"')) return 'conditions';
  if (q.includes('kube_node_status_condition')) return 'ready';
  if (q.includes('kube_node_spec_unschedulable')) return 'unschedulable';
  if (q.includes('kube_node_info')) return 'nodes';
  return 'other';
}

/** Answers for clusters `home` (pi-1, pi-2) and `cloud` (pi-1) under `label`, minus the clusters in `missing`. */
function answers(
  label: string,
  missing: string[] = [],
  ages: Record<string, number> = { home: 2, cloud: 3 },
): Record<Kind, { metric: Record<string, string>; value: number }[]> {
  const all = {
    // The nodes query answers each node's newest sample time (timestamp()); a cluster's data age is its newest.
    nodes: [
      { metric: { [label]: 'home', node: 'pi-2' }, value: EVAL - ages.home! - 7 },
      { metric: { [label]: 'home', node: 'pi-1' }, value: EVAL - ages.home! },
      { metric: { [label]: 'cloud', node: 'pi-1' }, value: EVAL - ages.cloud! },
    ],
    ready: [
      { metric: { [label]: 'home', node: 'pi-1', status: 'true' }, value: 1 },
      { metric: { [label]: 'home', node: 'pi-2', status: 'false' }, value: 1 },
      { metric: { [label]: 'cloud', node: 'pi-1', status: 'true' }, value: 1 },
    ],
    unschedulable: [{ metric: { [label]: 'cloud', node: 'pi-1' }, value: 1 }],
    pods: [
      { metric: { [label]: 'home', node: 'pi-1', state: 'running' }, value: 3 },
      { metric: { [label]: 'cloud', node: 'pi-1', state: 'crashing' }, value: 1 },
      { metric: { [label]: 'cloud', state: 'pending' }, value: 2 },
    ],
    conditions: [{ metric: { [label]: 'cloud', node: 'pi-1', condition: 'DiskPressure' }, value: 1 }],
    alerts: [
      // A node alert, a cluster-wide one of cloud, and one with no cluster label (a central rule).
      { metric: { [label]: 'home', severity: 'warning', podglow_node_0: 'pi-2' }, value: 1 },
      { metric: { [label]: 'cloud', severity: 'critical' }, value: 2 },
      { metric: { severity: 'info' }, value: 1 },
    ],
    other: [],
  };
  const keep = (s: { metric: Record<string, string> }) => !missing.includes(s.metric[label] ?? '');
  return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.filter(keep)])) as unknown as Record<
    Kind,
    { metric: Record<string, string>; value: number }[]
  >;
}

let canned: CannedPrometheus | undefined;
afterEach(async () => {
  await canned?.close();
  canned = undefined;
});

function source(extra: Partial<ConfigInput>, log = silentLogger): PrometheusSource {
  const config = parseConfig(
    {
      outputs: [{ type: 'terminal' }],
      interval: '5s',
      staleAfter: '15s',
      ...extra,
      prometheus: { url: canned!.url, ...(extra.prometheus ?? {}) },
    },
    { env: {} },
  );
  return new PrometheusSource(config, { log });
}

const node = (name: string, extra: object = {}) => ({
  name,
  ready: true,
  unschedulable: false,
  pods: emptyCounts(),
  conditions: [] as string[],
  alerts: emptyAlerts(),
  ...extra,
});

describe('clusters: one poll, grouped by the cluster label', () => {
  it('groups every query by cluster, reads only the listed clusters, and gives one block per cluster', async () => {
    canned = await startCanned((r: SeenRequest) => ({ body: vector(answers('cluster')[kind(r.params.get('query') ?? '')]) }));
    const s = source({ clusters: ['home', { name: 'cloud', displayName: 'Cloud' }] });
    const snap = await s.poll();
    s.close();
    const sent = canned.requests.map((r) => r.params.get('query') ?? '');
    expect(sent.map(kind).sort()).toEqual(['alerts', 'conditions', 'nodes', 'pods', 'ready', 'unschedulable']);
    for (const q of sent.filter((q) => kind(q) !== 'alerts')) expect(q).toContain('cluster=~"home|cloud"');
    expect(sent.find((q) => kind(q) === 'nodes')).toBe(
      'max by (cluster, node, job) (timestamp(kube_node_info{cluster=~"home|cloud"}) and kube_node_info{cluster=~"home|cloud"})',
    );
    expect(sent.find((q) => kind(q) === 'pods')).toMatch(/^count by \(cluster, node, state\)/);
    expect(sent.find((q) => kind(q) === 'pods')).toContain(
      'topk by (cluster, namespace, pod, uid) (1, max by (cluster, namespace, pod, uid, node)',
    );
    expect(snap.clusters).toEqual([
      {
        name: 'home',
        nodes: [
          node('pi-1', { pods: { ...emptyCounts(), running: 3 } }),
          node('pi-2', { ready: false, alerts: { critical: 0, warning: 1, info: 0 } }),
        ],
        unscheduled: emptyCounts(),
        alerts: emptyAlerts(),
        dataAgeSeconds: 2,
        stale: false,
      },
      {
        name: 'cloud',
        displayName: 'Cloud',
        nodes: [node('pi-1', { unschedulable: true, pods: { ...emptyCounts(), crashing: 1 }, conditions: ['DiskPressure'] })],
        unscheduled: { ...emptyCounts(), pending: 2 },
        alerts: { critical: 2, warning: 0, info: 0 },
        dataAgeSeconds: 3,
        stale: false,
      },
    ]);
    // The alert without a cluster label stays top-level.
    expect(snap.alerts).toEqual({ critical: 0, warning: 0, info: 1 });
  });

  it('a cluster whose newest sample is older than staleAfter is stale alone', async () => {
    canned = await startCanned((r) => ({
      body: vector(answers('cluster', [], { home: 2, cloud: 16 })[kind(r.params.get('query') ?? '')]),
    }));
    const s = source({ clusters: 'auto' });
    const snap = await s.poll();
    s.close();
    expect(snap.clusters!.map((c) => [c.name, c.dataAgeSeconds, c.stale])).toEqual([
      ['cloud', 16, true],
      ['home', 2, false],
    ]);
  });

  it('auto with no kube_node_info series carrying the label names the label it looked for', async () => {
    canned = await startCanned((r) => ({
      body: vector(kind(r.params.get('query') ?? '') === 'nodes' ? [{ metric: { node: 'pi-1' }, value: 1 }] : []),
    }));
    const s = source({ clusters: 'auto', prometheus: { clusterLabel: 'k8s_cluster' } });
    const e = await s.poll().catch((x: unknown) => x);
    s.close();
    expect(e).toBeInstanceOf(PollError);
    expect((e as PollError).reason).toBe('no_ksm_data');
    expect((e as PollError).message).toBe(
      'clusters: auto: no kube_node_info series carries the label "k8s_cluster" (set prometheus.clusterLabel to the label your clusters carry)',
    );
  });

  it('Thanos Query partial response: a cluster left out with a warning stays on the light, stale, and is logged by name', async () => {
    // Thanos' proxy store answers with the reachable stores' series and a warning per failed
    // store when partial responses are on (thanos-io/thanos pkg/store/proxy.go: "fetch series for …").
    let partial = false;
    const warning = 'fetch series for {cluster="cloud"} 10.0.0.7:10901: rpc error: code = Unavailable desc = connection refused';
    canned = await startCanned((r) => {
      const k = kind(r.params.get('query') ?? '');
      return { body: vector(answers('cluster', partial ? ['cloud'] : [])[k], partial ? { warnings: [warning] } : {}) };
    });
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
    const log = createLogger({ level: 'info', format: 'json', stream });
    const s = source({ clusters: 'auto' }, log);
    const first = await s.poll();
    partial = true;
    const second = await s.poll();
    s.close();
    expect(first.clusters!.map((c) => c.name)).toEqual(['cloud', 'home']);
    expect(second.clusters!.map((c) => [c.name, c.stale])).toEqual([
      ['cloud', true],
      ['home', false],
    ]);
    // Its last known nodes, not an empty cluster.
    expect(second.clusters![0]!.nodes.map((n) => n.name)).toEqual(['pi-1']);
    const text = lines.join('');
    expect(text).toContain('no data from cluster cloud');
    expect(text).toContain('connection refused');
  });

  it('Grafana Mimir tenant federation: X-Scope-OrgID "home|cloud" and the __tenant_id__ label as the cluster label', async () => {
    // grafana/mimir pkg/querier/tenantfederation: a query across tenants joined with "|" labels
    // every series with __tenant_id__ (the same defaultTenantLabel as grafana/loki pkg/querier/multi_tenant_querier.go).
    canned = await startCanned((r) => ({ body: vector(answers('__tenant_id__')[kind(r.params.get('query') ?? '')]) }));
    const s = source({
      clusters: 'auto',
      prometheus: { clusterLabel: '__tenant_id__', headers: { 'X-Scope-OrgID': 'home|cloud' } },
    });
    const snap = await s.poll();
    s.close();
    for (const r of canned.requests) expect(r.headers['x-scope-orgid']).toBe('home|cloud');
    expect(canned.requests.find((r) => kind(r.params.get('query') ?? '') === 'nodes')!.params.get('query')).toBe(
      'max by (__tenant_id__, node, job) (timestamp(kube_node_info) and kube_node_info)',
    );
    expect(snap.clusters!.map((c) => [c.name, c.nodes.length, c.stale])).toEqual([
      ['cloud', 1, false],
      ['home', 2, false],
    ]);
  });
});

describe('carryOver', () => {
  const block = (name: string, age: number | null, nodes = 1) => ({
    name,
    nodes: Array.from({ length: nodes }, (_, i) => node(`${name}-${i}`)),
    unscheduled: emptyCounts(),
    alerts: emptyAlerts(),
    dataAgeSeconds: age,
    stale: false,
  });
  const snap = (time: string, ...clusters: ReturnType<typeof block>[]): Snapshot => ({
    time,
    nodes: clusters.flatMap((c) => c.nodes),
    unscheduled: emptyCounts(),
    alerts: emptyAlerts(),
    queries: {},
    clusters,
  });

  it('keeps a vanished cluster in its place, stale, its data age counted on', () => {
    const before = snap('2026-11-21T12:00:00.000Z', block('a', 1), block('b', 2), block('c', 3));
    const now = snap('2026-11-21T12:00:10.000Z', block('a', 1), block('c', 1));
    const { snapshot, carried } = carryOver(now, before);
    expect(carried).toEqual(['b']);
    expect(snapshot.clusters!.map((c) => [c.name, c.stale, c.dataAgeSeconds])).toEqual([
      ['a', false, 1],
      ['b', true, 12],
      ['c', false, 1],
    ]);
    expect(snapshot.nodes.map((n) => n.name)).toEqual(['a-0', 'b-0', 'c-0']);
  });

  it('a listed cluster without data keeps its last nodes; one never seen stays empty', () => {
    const before = snap('2026-11-21T12:00:00.000Z', block('a', 1), block('z', null, 0));
    const now = snap(
      '2026-11-21T12:00:05.000Z',
      { ...block('a', null, 0), stale: true },
      { ...block('z', null, 0), stale: true },
    );
    const { snapshot, carried } = carryOver(now, before);
    expect(carried).toEqual(['a']);
    expect(snapshot.clusters!.map((c) => [c.name, c.nodes.length, c.stale, c.dataAgeSeconds])).toEqual([
      ['a', 1, true, 6],
      ['z', 0, true, null],
    ]);
  });
});

describe('the recording rule with clusters:', () => {
  it('keeps the cluster label, and the recorded read groups by it (promtool accepts both)', async () => {
    const { buildRecordingRules, buildQueries } = await import('../../src/source/promql.js');
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const config = parseConfig(
      { outputs: [{ type: 'terminal' }], prometheus: { url: 'http://p', recordingRule: 'podglow:pods:count' }, clusters: 'auto' },
      { env: {} },
    );
    const rules = buildRecordingRules(config);
    expect(rules.groups[0]!.rules[0]!.expr).toMatch(/^count by \(cluster, node, state\)/);
    const read = buildQueries(config).pods;
    expect(read).toMatch(/^max by \(cluster, node, state\) \(podglow:pods:count\)/);
    const dir = mkdtempSync(join(tmpdir(), 'podglow-rules-'));
    try {
      const file = join(dir, 'rules.yml');
      writeFileSync(
        file,
        JSON.stringify({ groups: [...rules.groups, { name: 'read', rules: [{ record: 'podglow:read', expr: read }] }] }),
      );
      const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`).toContain('SUCCESS: 3 rules found');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lanes with clusters:', () => {
  // One job is pinned for every cluster, so it must be one that every cluster has: a fresh and
  // a stale copy of a cluster's pods are never merged, and no cluster vanishes from the light.
  it('read the fastest lane that every cluster has, never a merge of two lanes', async () => {
    const { chooseLane, freshnessQuery, lanesInUse, parseFreshness } = await import('../../src/source/freshness.js');
    const base = {
      outputs: [{ type: 'terminal' }],
      prometheus: { url: 'http://p', lanes: ['kube-state-metrics-fast', 'kube-state-metrics'] },
    };
    const config = parseConfig({ ...base, clusters: 'auto' }, { env: {} });
    const lanes = lanesInUse(config);
    expect(lanes).toEqual(['kube-state-metrics-fast', 'kube-state-metrics']);
    expect(freshnessQuery(config)).toBe('max by (cluster, job) (timestamp(kube_node_info) and kube_node_info)');
    const answer = (rows: [string, string, number][]) =>
      parseFreshness(
        rows.map(([cluster, job, t]) => ({ metric: { cluster, job }, value: t })),
        100_000,
        'cluster',
      );
    // Both clusters have both lanes: the fast one.
    expect(
      chooseLane(
        answer([
          ['home', 'kube-state-metrics-fast', 99],
          ['home', 'kube-state-metrics', 80],
          ['cloud', 'kube-state-metrics-fast', 98],
          ['cloud', 'kube-state-metrics', 75],
        ]),
        lanes,
      ),
    ).toBe('kube-state-metrics-fast');
    // cloud has no fast lane: both read the ordinary job (home's fast copy is not merged with it).
    expect(
      chooseLane(
        answer([
          ['home', 'kube-state-metrics-fast', 99],
          ['home', 'kube-state-metrics', 80],
          ['cloud', 'kube-state-metrics', 75],
        ]),
        lanes,
      ),
    ).toBe('kube-state-metrics');
    // No listed lane in every cluster: every job is read (each cluster has only one here).
    expect(
      chooseLane(
        answer([
          ['home', 'kube-state-metrics-fast', 99],
          ['cloud', 'ksm', 75],
        ]),
        lanes,
      ),
    ).toBeNull();
  });
});
