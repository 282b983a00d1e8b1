import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { LANE_BEHIND_MS, chooseLane, dataTime, freshnessQuery, lanesInUse, parseFreshness } from '../../src/source/freshness.js';
import { buildQueries } from '../../src/source/promql.js';
import { pinLane } from '../../src/source/promqlText.js';

function config(prometheus: Partial<NonNullable<ConfigInput['prometheus']>> = {}) {
  return parseConfig({ prometheus: { url: 'http://p', ...prometheus }, outputs: [{ type: 'web' }] }, { env: {} });
}

describe('lanes (SPEC §3b: one kube-state-metrics scrape job, the fastest present)', () => {
  it('by default chooses between the fast lane and the usual job, fastest first', () => {
    expect(lanesInUse(config())).toEqual(['kube-state-metrics-fast', 'kube-state-metrics']);
  });

  it('a job matcher of the config pins the job itself, as before: no lanes', () => {
    expect(lanesInUse(config({ matchers: ['job="kube-state-metrics"'] }))).toEqual([]);
    expect(lanesInUse(config({ matchers: ['job =~ "ksm.*"'] }))).toEqual([]);
    expect(lanesInUse(config({ matchers: ['jobname="x"'] }))).toHaveLength(2);
    expect(lanesInUse(config({ lanes: [] }))).toEqual([]);
  });

  it('the recording rule has no job label: no lanes', () => {
    expect(lanesInUse(config({ recordingRule: 'podglow:pods:count' }))).toEqual([]);
  });

  it('pinning adds job="<lane>" to every kube-state-metrics selector', () => {
    const q = buildQueries(pinLane(config({ cluster: 'prod' }), 'kube-state-metrics-fast'), { byLane: true });
    expect(q.nodes).toBe(
      'max by (node, job) (timestamp(kube_node_info{job="kube-state-metrics-fast", cluster="prod"}) and kube_node_info{job="kube-state-metrics-fast", cluster="prod"})',
    );
    expect(q.pods).toContain('kube_pod_info{job="kube-state-metrics-fast", cluster="prod"}');
    expect(q.pods).not.toMatch(/kube_pod_status_phase\{(?![^}]*job="kube-state-metrics-fast")/);
    expect(pinLane(config(), null)).toEqual(config());
  });

  it('chooses the first listed lane that has data and is not far behind the newest', () => {
    const f = (ksm: Record<string, number>) => ({ evaluatedAt: 100_000, ksm: new Map(Object.entries(ksm)), rule: null });
    const lanes = ['kube-state-metrics-fast', 'kube-state-metrics'];
    expect(chooseLane(f({ 'kube-state-metrics': 99_000, 'kube-state-metrics-fast': 98_000 }), lanes)).toBe(
      'kube-state-metrics-fast',
    );
    expect(chooseLane(f({ 'kube-state-metrics': 99_000 }), lanes)).toBe('kube-state-metrics');
    // The fast lane stopped landing (its samples still answer for a while): read the usual job.
    expect(chooseLane(f({ 'kube-state-metrics': 99_000, 'kube-state-metrics-fast': 99_000 - LANE_BEHIND_MS - 1 }), lanes)).toBe(
      'kube-state-metrics',
    );
    // Neither listed job: every job, as without lanes.
    expect(chooseLane(f({ 'kubernetes-service-endpoints': 99_000 }), lanes)).toBeNull();
    expect(chooseLane(f({}), lanes)).toBeNull();
    expect(chooseLane(f({ 'kube-state-metrics': 99_000 }), [])).toBeNull();
  });
});

describe('the freshness query (the probe)', () => {
  it('asks for the newest kube_node_info sample time, per job when lanes are read', () => {
    expect(freshnessQuery(config())).toBe('max by (job) (timestamp(kube_node_info) and kube_node_info)');
    expect(freshnessQuery(config({ matchers: ['job="ksm"'] }))).toBe(
      'max(timestamp(kube_node_info{job="ksm"}) and kube_node_info{job="ksm"})',
    );
  });

  it('with a recording rule, follows the recorded series (the rule evaluation) beside the KSM samples', () => {
    expect(freshnessQuery(config({ recordingRule: 'podglow:pods:count' }))).toBe(
      'label_replace(max(timestamp(podglow:pods:count{podglow_marker="present"}) and podglow:pods:count{podglow_marker="present"}), "podglow_series", "rule", "", "")\n' +
        '  or max(timestamp(kube_node_info) and kube_node_info)',
    );
  });

  it('reads the answer: Unix seconds per job, the rule apart; the watermark is the rule when there is one', () => {
    const f = parseFreshness(
      [
        { metric: { job: 'kube-state-metrics' }, value: 1000.5 },
        { metric: { job: 'kube-state-metrics-fast' }, value: 1003.25 },
        { metric: { podglow_series: 'rule' }, value: 1004 },
        { metric: { job: 'x' }, value: NaN },
      ],
      1005_000,
    );
    expect([...f.ksm.entries()]).toEqual([
      ['kube-state-metrics', 1000_500],
      ['kube-state-metrics-fast', 1003_250],
    ]);
    expect(f.rule).toBe(1004_000);
    expect(dataTime(f, 'kube-state-metrics-fast', 0)).toEqual({
      evaluatedAt: 1005_000,
      newestSample: 1003_250,
      watermark: 1004_000,
      lane: 'kube-state-metrics-fast',
    });
    expect(dataTime(f, null, 0).newestSample).toBe(1003_250);
    // An empty answer carries no time: the caller's now stands in, and nothing is newest.
    expect(dataTime(parseFreshness([], null), null, 42)).toEqual({
      evaluatedAt: 42,
      newestSample: null,
      watermark: null,
      lane: null,
    });
  });
});
