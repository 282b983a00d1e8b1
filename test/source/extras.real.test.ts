// SPEC §4b against a real Prometheus (Debian `prometheus`): node conditions from a
// kube-state-metrics fixture, firing alerts from Prometheus' own rule file (evaluated every
// 1 s, `for: 0s`), the user's named queries; the exact Snapshot, its frames and its metrics.
// Facts: ALERTS{alertname, alertstate="firing"|"pending", <alert labels>} = 1 and a resolved
// alert's series goes stale (prometheus/rules/alerting.go, sample() and Eval()); KSM exports one
// kube_node_status_condition row per status true/false/unknown (kube-state-metrics
// internal/store/node.go, createNodeStatusConditionFamilyGenerator).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputFrames } from '../../src/cli/frame.js';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import type { Snapshot } from '../../src/snapshot.js';
import { PrometheusSource, type PollResult } from '../../src/source/prometheus.js';
import { emptyCounts, type StateCounts } from '../../src/states.js';
import { DEFAULT_LEGEND, art, blinkArt } from '../layout/helpers.js';
import { startExtrasFixture, type ExtrasFixture, type ExtrasScenario } from '../helpers/extrasFixture.js';
import type { KsmCluster } from '../helpers/ksmFixture.js';
import { startPrometheus, type TestPrometheus } from '../helpers/prometheus.js';

const CLUSTER: KsmCluster = {
  nodes: [
    { name: 'node-a' },
    { name: 'node-b' },
    { name: 'node-c', ready: false },
    { name: 'node-d', unschedulable: true },
    { name: 'node-e' },
  ],
  pods: [
    { name: 'a1', node: 'node-a', phase: 'Running' },
    { name: 'a2', node: 'node-a', phase: 'Running' },
    { name: 'b1', node: 'node-b', phase: 'Running' },
    { name: 'b2', node: 'node-b', phase: 'Running', waiting: ['CrashLoopBackOff'] },
    { name: 'c1', node: 'node-c', phase: 'Pending' },
    { name: 'e1', node: 'node-e', phase: 'Running' },
    { name: 'e2', node: 'node-e', phase: 'Running' },
    { name: 'e3', node: 'node-e', phase: 'Running' },
    { name: 'nowhere', phase: 'Pending' },
  ],
};

/** MemoryPressure and DiskPressure, a node-problem-detector condition, and false/unknown ones that must not show. */
const scenario = (flag: number): ExtrasScenario => ({
  cluster: CLUSTER,
  conditions: {
    'node-a': { MemoryPressure: 'true', DiskPressure: 'false' },
    'node-b': { DiskPressure: 'true', KernelDeadlock: 'true', PIDPressure: 'false' },
    'node-c': { PIDPressure: 'unknown' },
    'node-e': { DiskPressure: 'true', NetworkUnavailable: 'false' },
  },
  gauges: { podglow_test_flag: flag },
});

const alert = (name: string, labels: Record<string, string>, expr = 'vector(1)') => ({ alert: name, expr, for: '0s', labels });

/** Prometheus' own alerting rules: every way an alert can name (or not name) a node. */
const RULES = {
  groups: [
    {
      name: 'podglow-test-alerts',
      rules: [
        alert('NodeLabelled', { severity: 'critical', node: 'node-a' }),
        alert('InstanceLabelled', { severity: 'warning', instance: 'node-b:9100' }),
        // The node label names no node: the instance label (tried next) does.
        alert('UnknownNodeKnownInstance', { severity: 'warning', node: 'node-gone', instance: 'node-b:9100' }),
        alert('ClusterWide', { severity: 'critical' }),
        // An instance that is an address, not a node: cluster-wide.
        alert('InstanceNotANode', { severity: 'info', instance: '10.0.0.9:9100' }),
        // A severity outside the configured values: counted as alerts.otherSeverity (warning).
        alert('OtherSeverity', { severity: 'page', node: 'node-a' }),
        alert('Watchdog', { severity: 'none' }),
        alert('InfoInhibitor', { severity: 'none' }),
        // Fires while the fixture's flag is 1, resolves when the test flips it.
        alert('Flapping', { severity: 'critical', node: 'node-c' }, 'podglow_test_flag == 1'),
      ],
    },
  ],
};

const QUERIES: ConfigInput['queries'] = {
  nodes_total: { expr: 'count(kube_node_info)', thresholds: [{ color: '#00ff00' }, { value: 5, color: '#0000ff' }] },
  nodes_scalar: { expr: 'scalar(count(kube_node_info))', thresholds: [{ value: 10, color: '#ff0000' }] },
  per_node: { expr: 'kube_node_info' },
  none: { expr: 'kube_node_info{node="nope"}' },
  none_default: { expr: 'kube_node_info{node="nope"}', ifEmpty: 0, thresholds: [{ color: '#00ff00' }] },
  nan_scalar: { expr: '0 / 0' },
  nan_vector: { expr: 'count(kube_node_info) * NaN' },
  // Parses (a typo like `sum(` is a config error now), but Prometheus' type check rejects it: HTTP 400 at poll time.
  broken: { expr: 'rate(kube_node_info)' },
  // The worked example of docs/layouts.md: `>= 0` drops a NaN ratio, and the empty answer takes ifEmpty.
  nan_filtered: { expr: '(count(kube_node_info) * NaN) >= 0', ifEmpty: 1, thresholds: [{ value: 0.999, color: '#00ff00' }] },
};

let fixture: ExtrasFixture;
let prom: TestPrometheus;

beforeAll(async () => {
  fixture = await startExtrasFixture(scenario(1));
  prom = await startPrometheus({
    jobs: [{ job: 'kube-state-metrics', targets: [fixture.target] }],
    ruleFiles: [RULES],
    evaluationInterval: '1s',
  });
  await prom.waitForValue('count(ALERTS{alertstate="firing"})', 9, 30_000);
}, 60_000);

afterAll(async () => {
  await prom?.stop();
  await fixture?.close();
});

async function pollOnce(extra: Partial<ConfigInput> = {}): Promise<PollResult> {
  const config = parseConfig(
    { outputs: [{ type: 'terminal' }], ...extra, prometheus: { url: prom.url, ...(extra.prometheus ?? {}) } },
    { env: {} },
  );
  const s = new PrometheusSource(config, { log: silentLogger });
  try {
    return await s.pollWithStats();
  } finally {
    s.close();
  }
}

const counts = (c: Partial<StateCounts>): StateCounts => ({ ...emptyCounts(), ...c });
const alerts = (critical: number, warning: number, info: number) => ({ critical, warning, info });

const EXPECTED: Snapshot = {
  time: expect.any(String) as unknown as string,
  nodes: [
    {
      name: 'node-a',
      ready: true,
      unschedulable: false,
      pods: counts({ running: 2 }),
      conditions: ['MemoryPressure'],
      alerts: alerts(1, 1, 0),
    },
    {
      name: 'node-b',
      ready: true,
      unschedulable: false,
      pods: counts({ running: 1, crashing: 1 }),
      conditions: ['DiskPressure', 'KernelDeadlock'],
      alerts: alerts(0, 2, 0),
    },
    { name: 'node-c', ready: false, unschedulable: false, pods: counts({ pending: 1 }), conditions: [], alerts: alerts(1, 0, 0) },
    { name: 'node-d', ready: true, unschedulable: true, pods: counts({}), conditions: [], alerts: alerts(0, 0, 0) },
    {
      name: 'node-e',
      ready: true,
      unschedulable: false,
      pods: counts({ running: 3 }),
      conditions: ['DiskPressure'],
      alerts: alerts(0, 0, 0),
    },
  ],
  unscheduled: counts({ pending: 1 }),
  alerts: alerts(1, 0, 1),
  queries: {
    nodes_total: { value: 5, color: '#0000ff' },
    nodes_scalar: { value: 5 },
    per_node: {
      value: null,
      error: 'query per_node: returned 5 series; it must return one number (aggregate it, e.g. with sum)',
    },
    none: { value: null, error: 'query none: returned no series; it must return one number (set ifEmpty for a default)' },
    none_default: { value: 0, color: '#00ff00' },
    nan_scalar: { value: null, error: 'query nan_scalar: returned NaN' },
    nan_vector: { value: null, error: 'query nan_vector: returned NaN' },
    broken: {
      value: null,
      error: expect.stringMatching(/^query broken: HTTP 400: bad_data: .*parse error/) as unknown as string,
    },
    nan_filtered: { value: 1, color: '#00ff00' },
  },
};

describe('conditions, alerts and named queries from a real Prometheus', () => {
  let result: PollResult;
  beforeAll(async () => {
    result = await pollOnce({ queries: QUERIES });
  });

  it('gives the exact Snapshot: conditions, alerts per node and cluster-wide, every query result', () => {
    expect(result.snapshot).toEqual(EXPECTED);
  });

  it('sends each extra query once, each answer O(nodes) series', () => {
    const byName = Object.fromEntries(result.stats.queries.map((q) => [q.name, q.series]));
    // (node, condition) pairs that are true; (severity, node candidates) groups of firing alerts.
    expect(byName.conditions).toBe(4);
    expect(byName.alerts).toBe(7);
    expect(Object.keys(byName).sort()).toEqual(
      [
        'alerts',
        'conditions',
        'nodes',
        'pods',
        'ready',
        'unschedulable',
        ...Object.keys(QUERIES!).map((n) => `query:${n}`),
      ].sort(),
    );
  });

  it('draws the golden frames: one severity order for matrix backgrounds and node LEDs, summary entries', () => {
    const config = parseConfig(
      {
        source: 'demo',
        queries: { nodes_total: QUERIES!.nodes_total!, broken: QUERIES!.broken! },
        outputs: [
          { name: 'hat', type: 'web', width: 8, height: 8, layout: { type: 'matrix' } },
          { name: 'strip', type: 'web', width: 8, height: 1, layout: { type: 'nodes' } },
          {
            name: 'stick',
            type: 'web',
            width: 8,
            height: 1,
            layout: {
              type: 'summary',
              node: '*',
              leds: [
                { states: ['alert:critical'] },
                { states: ['alert:warning'] },
                { states: ['alert:info'] },
                { states: ['condition:DiskPressure'] },
                { states: ['condition:PIDPressure'], otherwise: 'running' },
                { states: ['query:nodes_total'] },
                { states: ['query:broken'] },
                { states: ['failed', 'crashing', 'alert:critical'] },
              ],
            },
          },
        ],
      },
      { env: {} },
    );
    const frames = Object.fromEntries(outputFrames(config, result.snapshot).map((o) => [o.name, o.frame]));
    const legend = { ...DEFAULT_LEGEND, '#0000ff': 'B' };
    // Columns: node-a (critical alert), node-b (warning; its crashing pod blinks), node-c (NotReady),
    // node-d (cordoned), node-e (DiskPressure); one column each (auto), three left over.
    expect(art(frames.hat!, legend)).toEqual([
      'KWNCP...',
      'KWNCP...',
      'KWNCP...',
      'KWNCP...',
      'KWNCP...',
      'KWNCG...',
      'GXNCG...',
      'GGACG...',
    ]);
    expect(blinkArt(frames.hat!)).toEqual([...Array(6).fill('*.......'), '.*......', '........']);
    // node-a: critical alert over running pods; node-b: crashing over its warnings; node-c: NotReady
    // over its critical alert; node-d: cordoned, nothing else; node-e: DiskPressure over running.
    expect(art(frames.strip!, legend)).toEqual(['KXNCP...']);
    expect(blinkArt(frames.strip!)).toEqual(['**......']);
    // Whole cluster: critical, warning, info alerts; DiskPressure; PIDPressure (unknown, not true) → running colour;
    // nodes_total's threshold colour; broken query magenta; crashing wins the last LED by list order.
    expect(art(frames.stick!, legend)).toEqual(['KWIPGBEX']);
    expect(blinkArt(frames.stick!)).toEqual(['*.....**']);
  });

  it('exports them as metrics (promtool-clean: test/server/metrics.test.ts)', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.recordSnapshot(result.snapshot);
    const series = async (name: string): Promise<Record<string, number>> => {
      const { values } = await m.registry.getSingleMetric(name)!.get();
      const key = (labels: object) =>
        Object.entries(labels)
          .sort(([p], [q]) => p.localeCompare(q))
          .map(([k, v]) => `${k}="${String(v)}"`)
          .join(',');
      return Object.fromEntries(values.map((x) => [`${name}{${key(x.labels)}}`, x.value]));
    };
    expect(await series('podglow_node_conditions')).toEqual({
      'podglow_node_conditions{condition="MemoryPressure",node="node-a"}': 1,
      'podglow_node_conditions{condition="DiskPressure",node="node-b"}': 1,
      'podglow_node_conditions{condition="KernelDeadlock",node="node-b"}': 1,
      'podglow_node_conditions{condition="DiskPressure",node="node-e"}': 1,
    });
    const a = await series('podglow_alerts');
    expect(Object.keys(a)).toHaveLength(3 * 6);
    expect(a['podglow_alerts{node="",severity="critical"}']).toBe(1);
    expect(a['podglow_alerts{node="",severity="info"}']).toBe(1);
    expect(a['podglow_alerts{node="node-a",severity="critical"}']).toBe(1);
    expect(a['podglow_alerts{node="node-a",severity="warning"}']).toBe(1);
    expect(a['podglow_alerts{node="node-b",severity="warning"}']).toBe(2);
    expect(a['podglow_alerts{node="node-c",severity="critical"}']).toBe(1);
    expect(Object.values(a).reduce((x, y) => x + y, 0)).toBe(7);
  });
});

describe('alert and condition settings against the real Prometheus', () => {
  it('conditions.include narrows the conditions; conditions.enabled: false sends no query', async () => {
    const only = await pollOnce({ conditions: { include: ['Disk.*'] } });
    expect(only.snapshot.nodes.map((n) => n.conditions)).toEqual([[], ['DiskPressure'], [], [], ['DiskPressure']]);
    const off = await pollOnce({ conditions: { enabled: false } });
    expect(off.snapshot.nodes.every((n) => n.conditions.length === 0)).toBe(true);
    expect(off.stats.queries.map((q) => q.name)).not.toContain('conditions');
  });

  it('alerts.enabled: false sends no alerts query and counts none', async () => {
    const r = await pollOnce({ alerts: { enabled: false } });
    expect(r.stats.queries.map((q) => q.name)).not.toContain('alerts');
    expect(r.snapshot.alerts).toEqual(alerts(0, 0, 0));
    expect(r.snapshot.nodes.map((n) => n.alerts)).toEqual(Array(5).fill(alerts(0, 0, 0)));
  });

  it('severity values, otherSeverity, exclusions and node labels are configurable', async () => {
    const paged = await pollOnce({ alerts: { severities: { critical: ['critical', 'page'] } } });
    expect(paged.snapshot.nodes[0]!.alerts).toEqual(alerts(2, 0, 0));
    const ignored = await pollOnce({ alerts: { otherSeverity: 'ignore' } });
    expect(ignored.snapshot.nodes[0]!.alerts).toEqual(alerts(1, 0, 0));
    // Without the default exclusions, Watchdog and InfoInhibitor (severity "none") count as warnings, cluster-wide.
    const all = await pollOnce({ alerts: { exclude: [] } });
    expect(all.snapshot.alerts).toEqual(alerts(1, 2, 1));
    // Only the instance label: the node-labelled alerts become cluster-wide.
    const byInstance = await pollOnce({ alerts: { nodeLabels: ['instance'] } });
    expect(byInstance.snapshot.nodes.map((n) => n.alerts)).toEqual([
      alerts(0, 0, 0),
      alerts(0, 2, 0),
      alerts(0, 0, 0),
      alerts(0, 0, 0),
      alerts(0, 0, 0),
    ]);
    expect(byInstance.snapshot.alerts).toEqual(alerts(3, 1, 1));
    // Matchers select among the alerts.
    const matched = await pollOnce({ alerts: { matchers: ['alertname=~"Node.*"'] } });
    expect(matched.snapshot.alerts).toEqual(alerts(0, 0, 0));
    expect(matched.snapshot.nodes[0]!.alerts).toEqual(alerts(1, 0, 0));
    expect(matched.snapshot.nodes.slice(1).every((n) => n.alerts.critical + n.alerts.warning + n.alerts.info === 0)).toBe(true);
  });

  it('an alert that resolves leaves the next poll', async () => {
    expect((await pollOnce()).snapshot.nodes[2]!.alerts).toEqual(alerts(1, 0, 0));
    await prom.waitForGeneration(fixture.set(scenario(0)));
    await prom.waitForValue('count(ALERTS{alertstate="firing"})', 8, 20_000);
    const after = await pollOnce();
    expect(after.snapshot.nodes[2]!.alerts).toEqual(alerts(0, 0, 0));
    expect(after.snapshot.nodes[0]!.alerts).toEqual(alerts(1, 1, 0));
  });

  it('with the recording rule on, conditions and alerts are still queried directly', async () => {
    const r = await pollOnce({ prometheus: { recordingRule: 'podglow:pods:count' } }).catch((e: Error) => e);
    // The rule is not loaded here, so the recorded read fails the poll, but not before the extras were built directly.
    expect(r).toBeInstanceOf(Error);
    const config = parseConfig(
      { outputs: [{ type: 'terminal' }], prometheus: { url: prom.url, recordingRule: 'podglow:pods:count' } },
      { env: {} },
    );
    const s = new PrometheusSource(config, { log: silentLogger });
    s.close();
    expect(s.queries.conditions).toContain('kube_node_status_condition{');
    expect(s.queries.alerts).toContain('ALERTS{');
    expect(`${s.queries.conditions}${s.queries.alerts}`).not.toContain('podglow:pods:count');
  });
});
