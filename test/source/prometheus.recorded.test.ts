// The recording-rule path against a real Prometheus (Debian `prometheus`) and a real
// VictoriaMetrics with vmalert (Debian `victoria-metrics`), scraping two identical
// kube-state-metrics replicas and evaluating podglow's generated rules every 1 s: the recorded
// read must give exactly the Snapshot of the direct query.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import { PollError } from '../../src/source/errors.js';
import { PrometheusSource, type PollResult } from '../../src/source/prometheus.js';
import { buildRecordingRules } from '../../src/source/promql.js';
import { emptyCounts } from '../../src/states.js';
import { expectedCounts, generateCluster, startKsmFixture, type KsmCluster, type KsmFixture } from '../helpers/ksmFixture.js';
import { KSM_SHAPES, shapesExposition, shapesSnapshot } from '../helpers/ksmShapes.js';
import { BACKENDS, startBackend, type TestBackend } from '../helpers/victoriametrics.js';

/** Every state of SPEC §2 with the precedence cases, node cases and unscheduled pods (as in prometheus.real.test.ts). */
const ALL_STATES: KsmCluster = {
  nodes: [
    { name: 'node-10' },
    { name: 'node-1' },
    { name: 'node-2', unschedulable: true },
    { name: 'node-3', ready: false },
    { name: 'node-4', ready: null },
  ],
  pods: [
    { name: 'run-a', node: 'node-1', phase: 'Running' },
    { name: 'run-b', node: 'node-1', phase: 'Running', waiting: ['ContainerCreating'] },
    { name: 'pend', node: 'node-1', phase: 'Pending' },
    { name: 'done', node: 'node-1', phase: 'Succeeded' },
    { name: 'fail', node: 'node-1', phase: 'Failed' },
    { name: 'lost', node: 'node-1', phase: 'Unknown' },
    { name: 'running-deleted', node: 'node-1', phase: 'Running', deleting: true },
    { name: 'running-crashloop', node: 'node-1', phase: 'Running', waiting: ['CrashLoopBackOff'] },
    { name: 'pending-imagepull', node: 'node-1', phase: 'Pending', waiting: ['ImagePullBackOff'] },
    { name: 'deleted-crashloop', node: 'node-1', phase: 'Running', deleting: true, waiting: ['CrashLoopBackOff'] },
    { name: 'failed-errimagepull', node: 'node-1', phase: 'Failed', waiting: ['ErrImagePull'] },
    { name: 'two-crashing-containers', node: 'node-1', phase: 'Running', waiting: ['CrashLoopBackOff', 'CreateContainerError'] },
    { name: 'sys-1', namespace: 'kube-system', node: 'node-2', phase: 'Running' },
    { name: 'app', namespace: 'team-a', node: 'node-2', phase: 'Running' },
    { name: 'app', namespace: 'team-b', node: 'node-3', phase: 'Pending', waiting: ['CrashLoopBackOff'] },
    { name: 'x', namespace: 'team-a', node: 'node-4', phase: 'Running' },
    // Unscheduled in several states: they share the recorded series with the presence marker.
    { name: 'waiting-1', phase: 'Pending' },
    { name: 'waiting-2', namespace: 'team-a', phase: 'Pending' },
    { name: 'unscheduled-running', namespace: 'team-a', phase: 'Running' },
    { name: 'unscheduled-deleted', phase: 'Pending', deleting: true },
    { name: 'orphan', node: 'node-gone', phase: 'Running' },
  ],
};

/** Config variants, each with its own recorded series (a rule is generated per config). */
const VARIANTS: Record<string, Partial<ConfigInput>> = {
  plain: { prometheus: { recordingRule: 'podglow:pods:count' } },
  filtered: {
    prometheus: { recordingRule: 'podglow:team_pods:count', cluster: 'test', matchers: ['job="kube-state-metrics"'] },
    namespaces: { include: ['team-.*'] },
    crashReasons: ['CrashLoopBackOff', 'ImagePullBackOff'],
  },
};

const config = (extra: Partial<ConfigInput>, recorded: boolean) => {
  const prometheus = { url: 'http://placeholder', ...(extra.prometheus ?? {}) };
  if (!recorded) delete prometheus.recordingRule;
  return parseConfig({ outputs: [{ type: 'terminal' }], ...extra, prometheus }, { env: {} });
};

// Scenario switches wait for the backend (and vmalert's remote write) to hold every new series.
vi.setConfig({ testTimeout: 90_000 });

let fixture: KsmFixture;
let prom: TestBackend;

/** Switches the fixture scenario and waits until it is scraped and the rules have evaluated on it. */
async function scenario(cluster: KsmCluster | null, render?: Parameters<KsmFixture['set']>[1]): Promise<void> {
  await settle(fixture.set(cluster, render));
}

/** Waits until generation `gen` is scraped, every series of it visible, and the rules have evaluated on it. */
async function settle(gen: number): Promise<void> {
  await prom.waitForGeneration(gen);
  await prom.waitForValue('count({__name__=~"kube_.+|ksm_fixture_generation"})', fixture.seriesCount(), 30_000);
  await prom.waitForRuleEvaluation(Date.now());
}

async function pollOnce(extra: Partial<ConfigInput>, recorded: boolean): Promise<PollResult> {
  const c = config(extra, recorded);
  c.prometheus.url = prom.url;
  const s = new PrometheusSource(c, { log: silentLogger });
  try {
    return await s.pollWithStats();
  } finally {
    s.close();
  }
}

/**
 * Direct and recorded snapshots of the same moment (times blanked). Prometheus has the
 * recorded series at once; VictoriaMetrics finds new series (vmalert's remote-written counts
 * for a new node and state) seconds later, so the pair is re-read until they agree (30 s at most).
 */
async function both(variant: keyof typeof VARIANTS) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [direct, recorded] = await Promise.all([pollOnce(VARIANTS[variant]!, false), pollOnce(VARIANTS[variant]!, true)]);
    const pair = {
      direct: { ...direct.snapshot, time: '' },
      recorded: { ...recorded.snapshot, time: '' },
      stats: recorded.stats,
    };
    if (JSON.stringify(pair.direct) === JSON.stringify(pair.recorded) || Date.now() > deadline) return pair;
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe.each(BACKENDS)('PrometheusSource with prometheus.recordingRule against a real %s evaluating the rule', (kind) => {
  beforeAll(async () => {
    fixture = await startKsmFixture({ cluster: null, replicas: 2 });
    const ruleFiles = Object.values(VARIANTS).map((v) => buildRecordingRules(config(v, true)));
    // Group names must be unique per file only; rename anyway so /api/v1/rules is easy to read.
    ruleFiles.forEach((f, i) => (f.groups[0]!.name = `podglow-${Object.keys(VARIANTS)[i]}`));
    prom = await startBackend(kind, {
      jobs: [{ job: 'kube-state-metrics', targets: fixture.targets, labels: { cluster: 'test' } }],
      ruleFiles,
      evaluationInterval: '1s',
    });
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await fixture?.close();
  });

  it("gives the direct query's Snapshot for every kube-state-metrics pod shape (init containers included)", async () => {
    await settle(fixture.setText(shapesExposition()));
    const { direct, recorded } = await both('plain');
    expect(recorded).toEqual(direct);
    expect(recorded).toEqual({ ...shapesSnapshot(), time: '' });
    expect(KSM_SHAPES.some((sh) => sh.kubectl.startsWith('Init:CrashLoopBackOff') && sh.state === 'crashing')).toBe(true);
  });

  it('gives the same Snapshot as the direct query for every state, with two KSM replicas counted once', async () => {
    await scenario(ALL_STATES);
    expect(Number((await prom.query('count(kube_pod_info)'))[0]!.value[1])).toBe(2 * ALL_STATES.pods.length);
    const { direct, recorded, stats } = await both('plain');
    expect(recorded).toEqual(direct);
    const want = expectedCounts(ALL_STATES);
    for (const n of recorded.nodes) expect(n.pods, n.name).toEqual(want.nodes.get(n.name));
    expect(recorded.unscheduled).toEqual({ ...emptyCounts(), pending: 2, running: 1, terminating: 1 });
    expect(recorded.nodes.find((n) => n.name === 'node-1')!.pods).toEqual({
      ...emptyCounts(),
      running: 2,
      pending: 1,
      succeeded: 1,
      failed: 1,
      unknown: 1,
      terminating: 2,
      crashing: 4,
    });
    // The poll read O(nodes × states) recorded series, not the per-pod ones.
    expect(stats.queries.find((q) => q.name === 'pods')!.series).toBeLessThanOrEqual(5 * 7 + 7);
  });

  it('bakes matchers, cluster, namespaces and crash reasons into the rule', async () => {
    await scenario(ALL_STATES);
    const { direct, recorded } = await both('filtered');
    expect(recorded).toEqual(direct);
    const n3 = recorded.nodes.find((n) => n.name === 'node-3')!;
    expect(n3.pods).toEqual({ ...emptyCounts(), crashing: 1 });
    expect(recorded.nodes.find((n) => n.name === 'node-1')!.pods).toEqual(emptyCounts());
    expect(recorded.unscheduled).toEqual({ ...emptyCounts(), pending: 1, running: 1 });
  });

  it('follows changes within an evaluation interval, on a 100-node cluster with all five phase rows', async () => {
    const big = generateCluster({ nodes: 100, podsPerNode: 30 });
    await scenario(big, { allPhases: true });
    const { direct, recorded } = await both('plain');
    expect(recorded).toEqual(direct);
    const want = expectedCounts(big);
    for (const n of recorded.nodes) expect(n.pods, n.name).toEqual(want.nodes.get(n.name));
    expect(recorded.unscheduled).toEqual(want.unscheduled);
  });

  it('reads zero pods, not an error, when the rule is loaded but no pod matches', async () => {
    await scenario({ nodes: [{ name: 'pi-1' }, { name: 'pi-2' }], pods: [] });
    // The real counts are gone (stale); only the marker is left.
    expect(await prom.query('podglow:pods:count')).toEqual([
      expect.objectContaining({ metric: { __name__: 'podglow:pods:count', state: 'running', podglow_marker: 'present' } }),
    ]);
    const { direct, recorded } = await both('plain');
    expect(recorded).toEqual(direct);
    expect(recorded.nodes.map((n) => n.pods)).toEqual([emptyCounts(), emptyCounts()]);
  });

  it('fails the poll with a clear message when the recorded series does not exist (rule not loaded)', async () => {
    await scenario(ALL_STATES);
    const e = await pollOnce({ prometheus: { recordingRule: 'podglow:not_loaded:count' } }, true).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(PollError);
    expect((e as PollError).reason).toBe('invalid_response');
    expect((e as PollError).message).toContain(
      'no series podglow:not_loaded:count: load the recording rule printed by podglow check --rules',
    );
  });

  it("reports each group's evaluation time in /api/v1/rules, with healthy rules", async () => {
    const groups = await prom.ruleGroups();
    expect(groups.map((g) => g.name).sort()).toEqual(['podglow-filtered', 'podglow-plain']);
    for (const g of groups) {
      expect(g.evaluationTime).toBeGreaterThan(0);
      for (const r of g.rules) expect(r.health).toBe('ok');
    }
  });
});
