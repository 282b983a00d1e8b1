// The PromQL podglow sends, built from config; syntax checked with promtool.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { buildQueries, buildRecordingRules, nodeFilter, podsExpression } from '../../src/source/promql.js';
import { promString } from '../../src/source/promqlText.js';

const config = (extra: Partial<ConfigInput> = {}) =>
  parseConfig(
    { outputs: [{ type: 'terminal' }], ...extra, prometheus: { url: 'http://prom:9090', ...(extra.prometheus ?? {}) } },
    { env: {} },
  );

/** Every KSM selector in a query: `metric{...}` or a bare metric name. */
function selectors(q: string): string[] {
  return [...q.matchAll(/(kube_[a-z_]+)(\{[^}]*\})?/g)].map((m) => m[0]);
}

function promtoolCheck(exprs: string[], file?: object): void {
  if (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).error) {
    throw new Error('promtool is not on PATH: install prometheus (apt-get install prometheus)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'podglow-promql-'));
  try {
    const rules = file ?? { groups: [{ name: 'podglow', rules: exprs.map((expr, i) => ({ record: `podglow:q${i}`, expr })) }] };
    writeFileSync(join(dir, 'rules.yml'), JSON.stringify(rules));
    execFileSync('promtool', ['check', 'rules', join(dir, 'rules.yml')], { stdio: 'pipe' });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`promtool rejected the queries: ${err.stdout?.toString()}${err.stderr?.toString()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('buildQueries', () => {
  it('default config: bare selectors, == 1 filters, dedup join, counts by node and state', () => {
    const q = buildQueries(config());
    expect(q.nodes).toBe('max by (node) (timestamp(kube_node_info) and kube_node_info)');
    expect(q.ready).toBe('max by (node, status) (kube_node_status_condition{condition="Ready"} == 1)');
    expect(q.unschedulable).toBe('max by (node) (kube_node_spec_unschedulable == 1)');
    expect(q.pods).toMatch(/^count by \(node, state\) \(/);
    expect(q.pods).toContain('topk by (namespace, pod, uid) (1, max by (namespace, pod, uid, node) (kube_pod_info))');
    expect(q.pods).toContain('* on (namespace, pod, uid) group_left (node)');
    expect(q.pods).toContain('kube_pod_status_phase{phase="Running"} == 1');
    const reasons =
      'reason=~"CrashLoopBackOff|ImagePullBackOff|ErrImagePull|CreateContainerConfigError|CreateContainerError|InvalidImageName|RunContainerError"';
    // Containers and init containers (SPEC §2; kube-state-metrics internal/store/pod.go exports both families).
    expect(q.pods).toContain(
      `max by (namespace, pod, uid) (kube_pod_container_status_waiting_reason{${reasons}} == 1 or kube_pod_init_container_status_waiting_reason{${reasons}} == 1)`,
    );
    // The deletion timestamp is a Unix time: only its presence counts, tested with > 0 (SPEC §3).
    expect(q.pods).toContain('max by (namespace, pod, uid) (kube_pod_deletion_timestamp > 0)');
    expect(q.pods).not.toContain('kube_pod_deletion_timestamp == 1');
  });

  it('chains the states in SPEC §2 precedence order', () => {
    const q = buildQueries(config()).pods;
    const order = [...q.matchAll(/"state", "([a-z]+)"/g)].map((m) => m[1]);
    expect(order).toEqual(['terminating', 'crashing', 'failed', 'unknown', 'pending', 'running', 'succeeded']);
    expect(q.match(/or on \(namespace, pod, uid\)/g)).toHaveLength(6);
  });

  it('adds extra matchers and the cluster label to every selector, and namespaces once, to the pod → node join', () => {
    const q = buildQueries(
      config({
        prometheus: { matchers: ['job="kube-state-metrics"', 'env!~"dev|test"'], cluster: 'prod', clusterLabel: 'k8s_cluster' },
        namespaces: { include: ['team-.*', 'default'], exclude: ['kube-system'] },
      }),
    );
    for (const [name, text] of Object.entries(q)) {
      // ALERTS comes from Prometheus' own rules, not from kube-state-metrics: alerts.matchers apply there (test/source/extras.test.ts).
      if (text === undefined || name === 'alerts') continue;
      const sels = selectors(text);
      expect(sels.length, name).toBeGreaterThan(0);
      for (const sel of sels) {
        expect(sel, name).toContain('job="kube-state-metrics", env!~"dev|test", k8s_cluster="prod"');
        if (sel.startsWith('kube_pod_info'))
          expect(sel).toContain('namespace=~"(?:team-.*)|(?:default)", namespace!~"kube-system"');
        else expect(sel).not.toContain('namespace');
      }
    }
    expect(selectors(q.pods)).toHaveLength(9);
    expect(q.pods.match(/namespace=~/g)).toHaveLength(1);
  });

  it('grows once, not once per selector, with a long namespace list (VictoriaMetrics -search.maxQueryLen=16384)', () => {
    const include = Array.from({ length: 83 }, (_, i) => `team-${i}-applications`);
    const short = buildQueries(config()).pods.length;
    const long = buildQueries(config({ namespaces: { include } })).pods.length;
    const listLength = `namespace=~${promString(include.map((r) => `(?:${r})`).join('|'))}, `.length;
    expect(long - short).toBeLessThanOrEqual(listLength + 2);
    expect(long).toBeLessThan(16 * 1024);
  });

  it('uses the configured crash reasons', () => {
    expect(buildQueries(config({ crashReasons: ['OOMKilled', 'Error'] })).pods).toContain('reason=~"OOMKilled|Error"');
  });

  it('quotes values so odd names stay inside their string', () => {
    expect(promString('a"b\\c')).toBe('"a\\"b\\\\c"');
    const q = buildQueries(config({ prometheus: { cluster: 'we"ird\\' }, namespaces: { include: ['a\\.b', 'x"y'] } }));
    expect(q.nodes).toContain('cluster="we\\"ird\\\\"');
    expect(q.pods).toContain('namespace=~"(?:a\\\\.b)|(?:x\\"y)"');
  });

  it('is valid PromQL for plain and awkward configs (promtool)', () => {
    const plain = buildQueries(config());
    const awkward = buildQueries(
      config({
        prometheus: { matchers: ['job="kube-state-metrics"', 'tier=~"a|b"'], cluster: 'we"ird\\', clusterLabel: 'cl' },
        namespaces: { include: ['a\\.b', 'x"y', 'team-(a|b)'], exclude: ['.*-system'] },
        crashReasons: ['CrashLoopBackOff'],
      }),
    );
    promtoolCheck([...Object.values(plain), ...Object.values(awkward)] as string[]);
  });
});

describe('recording rule', () => {
  const filtered = {
    prometheus: { matchers: ['job="kube-state-metrics"'], cluster: 'prod', recordingRule: 'podglow:pods:count' },
    namespaces: { include: ['team-.*'] },
    crashReasons: ['CrashLoopBackOff', 'OOMKilled'],
  } satisfies Partial<ConfigInput>;

  it('reads the recorded series for pods; nodes, ready and unschedulable stay direct', () => {
    const direct = buildQueries(config({ ...filtered, prometheus: { ...filtered.prometheus, recordingRule: undefined } }));
    const q = buildQueries(config(filtered));
    expect(q.pods).toBe(
      'max by (node, state) (podglow:pods:count)\n' +
        '  or label_replace(absent(podglow:pods:count{podglow_marker="present"}), "state", "no series podglow:pods:count: load the recording rule printed by podglow check --rules", "", "")',
    );
    // The rule carries the filters: no raw KSM selector is left in the poll's pods query.
    expect(selectors(q.pods)).toEqual([]);
    expect({ ...q, pods: '' }).toEqual({ ...direct, pods: '' });
    expect(direct.pods).toBe(podsExpression(config(filtered)));
  });

  it('records exactly the direct pods expression of the same config, plus a presence marker', () => {
    const c = config(filtered);
    const rules = buildRecordingRules(c);
    expect(rules.groups).toHaveLength(1);
    const [group] = rules.groups;
    expect(group!.name).toBe('podglow');
    expect(group!.rules[0]).toEqual({ record: 'podglow:pods:count', expr: podsExpression(c) });
    expect(group!.rules[0]!.expr).toContain('kube_pod_info{job="kube-state-metrics", cluster="prod", namespace=~"team-.*"}');
    expect(group!.rules[0]!.expr).toContain('reason=~"CrashLoopBackOff|OOMKilled"');
    expect(group!.rules[1]).toEqual({
      record: 'podglow:pods:count',
      expr: 'vector(0)',
      labels: { state: 'running', podglow_marker: 'present' },
    });
    expect(() => buildRecordingRules(config())).toThrow(/recordingRule is not set/);
  });

  it('is a valid rule file, and the recorded read valid PromQL (promtool)', () => {
    const c = config(filtered);
    promtoolCheck([], buildRecordingRules(c));
    promtoolCheck([buildQueries(c).pods]);
  });

  it('rejects a recordingRule that is not a metric name', () => {
    expect(() => config({ prometheus: { recordingRule: 'podglow pods' } })).toThrow(/recordingRule.*metric name/s);
    expect(config({ prometheus: { recordingRule: 'podglow:pods:count' } }).prometheus.recordingRule).toBe('podglow:pods:count');
  });
});

describe('nodeFilter', () => {
  it('anchors include and exclude regexes at both ends, like PromQL', () => {
    const keep = nodeFilter(config({ nodes: { include: ['pi-.*', 'edge'], exclude: ['pi-9'] } }));
    expect(['pi-1', 'pi-9', 'pi-99', 'edge', 'edge-2', 'my-pi-1'].filter(keep)).toEqual(['pi-1', 'pi-99', 'edge']);
    expect(nodeFilter(config())('anything')).toBe(true);
  });
});
