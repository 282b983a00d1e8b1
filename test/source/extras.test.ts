// SPEC §4b without a real Prometheus: the extra PromQL (syntax checked with promtool), the
// answer handling, and how extra queries fail a poll (canned answers). The real-server
// behaviour is in extras.real.test.ts.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import { emptyAlerts } from '../../src/snapshot.js';
import { PollError } from '../../src/source/errors.js';
import { alertSeverity, queryResult, thresholdColor } from '../../src/source/extras.js';
import { alertsExpression, conditionsExpression } from '../../src/source/extrasQueries.js';
import { parseNumberAnswer } from '../../src/source/answer.js';
import { PrometheusSource } from '../../src/source/prometheus.js';
import { parseVectorResponse } from '../../src/source/answer.js';
import { buildQueries } from '../../src/source/promql.js';
import {
  HEALTHY,
  startCanned,
  vector,
  type CannedAnswer,
  type CannedPrometheus,
  type SeenRequest,
} from '../helpers/cannedPrometheus.js';

const config = (extra: Partial<ConfigInput> = {}) =>
  parseConfig(
    { outputs: [{ type: 'terminal' }], ...extra, prometheus: { url: 'http://prom:9090', ...(extra.prometheus ?? {}) } },
    { env: {} },
  );

function promtoolCheck(exprs: string[]): void {
  if (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).error)
    throw new Error('promtool is not on PATH: install prometheus (apt-get install prometheus)');
  const dir = mkdtempSync(join(tmpdir(), 'podglow-extras-'));
  try {
    writeFileSync(
      join(dir, 'rules.yml'),
      JSON.stringify({ groups: [{ name: 'x', rules: exprs.map((expr, i) => ({ record: `podglow:x${i}`, expr })) }] }),
    );
    execFileSync('promtool', ['check', 'rules', join(dir, 'rules.yml')], { stdio: 'pipe' });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`promtool rejected: ${err.stdout?.toString()}${err.stderr?.toString()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('extra PromQL', () => {
  it('conditions: true non-Ready conditions per node, with the KSM matchers and cluster', () => {
    expect(conditionsExpression(config())).toBe(
      'max by (node, condition) (kube_node_status_condition{condition!="Ready", status="true"} == 1)',
    );
    expect(
      conditionsExpression(
        config({
          prometheus: { matchers: ['job="ksm"'], cluster: 'prod' },
          conditions: { include: ['.*Pressure', 'KernelDeadlock'] },
        }),
      ),
    ).toBe(
      'max by (node, condition) (kube_node_status_condition{job="ksm", cluster="prod", condition!="Ready", status="true", condition=~"(?:.*Pressure)|(?:KernelDeadlock)"} == 1)',
    );
  });

  it('alerts: firing ones, exclusions, own matchers, counted by severity and each node label with its port removed', () => {
    expect(alertsExpression(config().alerts)).toBe(
      'count by (severity, podglow_node_0, podglow_node_1) (\n' +
        '  label_replace(label_replace(ALERTS{alertstate="firing", alertname!~"Watchdog|InfoInhibitor"}, "podglow_node_0", "$1", "node", "(.+?)(?::[0-9]+)?"), "podglow_node_1", "$1", "instance", "(.+?)(?::[0-9]+)?")\n)',
    );
    const custom = alertsExpression(
      config({
        alerts: { exclude: [], matchers: ['cluster="prod"'], severityLabel: 'priority', nodeLabels: ['kubernetes_node'] },
      }).alerts,
    );
    expect(custom).toBe(
      'count by (priority, podglow_node_0) (\n  label_replace(ALERTS{alertstate="firing", cluster="prod"}, "podglow_node_0", "$1", "kubernetes_node", "(.+?)(?::[0-9]+)?")\n)',
    );
    // The KSM matchers never reach ALERTS (it comes from the rule engine, not kube-state-metrics).
    expect(alertsExpression(config({ prometheus: { matchers: ['job="ksm"'], cluster: 'prod' } }).alerts)).not.toMatch(
      /job=|cluster=/,
    );
  });

  it('buildQueries sends conditions, alerts and each named query; disabled ones are not sent', () => {
    const q = buildQueries(config({ queries: { slo: { expr: 'sum(up)' }, build: { expr: 'max(ci_build_ok)' } } }));
    expect(Object.keys(q)).toEqual([
      'nodes',
      'ready',
      'unschedulable',
      'pods',
      'conditions',
      'alerts',
      'query:slo',
      'query:build',
    ]);
    expect(q['query:slo']).toBe('sum(up)');
    const off = buildQueries(config({ alerts: { enabled: false }, conditions: { enabled: false } }));
    expect(Object.keys(off)).toEqual(['nodes', 'ready', 'unschedulable', 'pods']);
  });

  it('is valid PromQL for plain and awkward settings (promtool)', () => {
    const awkward = config({
      prometheus: { matchers: ['job="ksm"'], cluster: 'we"ird' },
      conditions: { include: ['Disk.*', 'x"y'] },
      alerts: {
        exclude: ['Watch.dog', 'a|b'],
        matchers: ['team=~"a|b"'],
        severityLabel: 'sev',
        nodeLabels: ['node', 'instance', 'hostname'],
      },
    });
    promtoolCheck([
      conditionsExpression(config()),
      alertsExpression(config().alerts),
      conditionsExpression(awkward),
      alertsExpression(awkward.alerts),
    ]);
  });
});

describe('matching is exact and case-sensitive (docs/layouts.md), as in Alertmanager', () => {
  it('counts severity="Critical" as otherSeverity and does not exclude "watchdog"', () => {
    const { alerts } = config();
    expect(alertSeverity(alerts, 'critical')).toBe('critical');
    expect(alertSeverity(alerts, 'Critical')).toBe('warning');
    expect(alertSeverity(config({ alerts: { otherSeverity: 'ignore' } }).alerts, 'CRITICAL')).toBeUndefined();
    expect(alertSeverity(config({ alerts: { severities: { critical: ['critical', 'Critical'] } } }).alerts, 'Critical')).toBe(
      'critical',
    );
    // Excluded names are literal, case and all: `watchdog` still counts.
    expect(alertsExpression(alerts)).toContain('alertname!~"Watchdog|InfoInhibitor"');
  });
});

describe('named query answers', () => {
  const ok = (data: object) => ({
    status: 200,
    contentType: 'application/json',
    body: JSON.stringify({ status: 'success', data }),
  });
  it('reads a scalar as one number and hands vectors to the vector parser', () => {
    expect(parseNumberAnswer(ok({ resultType: 'scalar', result: [1, '0.995'] }), 'q', parseVectorResponse).samples).toEqual([
      { metric: {}, value: 0.995 },
    ]);
    expect(
      parseNumberAnswer(ok({ resultType: 'scalar', result: [1, 'NaN'] }), 'q', parseVectorResponse).samples[0]!.value,
    ).toBeNaN();
    expect(
      parseNumberAnswer(ok({ resultType: 'vector', result: [{ metric: { a: 'b' }, value: [1, '2'] }] }), 'q', parseVectorResponse)
        .samples,
    ).toEqual([{ metric: { a: 'b' }, value: 2 }]);
    expect(() => parseNumberAnswer(ok({ resultType: 'string', result: [1, 'x'] }), 'q', parseVectorResponse)).toThrow(
      /resultType is "string"/,
    );
    expect(() => parseNumberAnswer(ok({ resultType: 'scalar', result: 'x' }), 'q', parseVectorResponse)).toThrow(/scalar has no/);
  });

  it('one finite number, else an error naming the query', () => {
    const q = {
      expr: 'x',
      thresholds: [{ color: '#ff0000' }, { value: 0.99, color: '#ffaa00' }, { value: 0.999, color: '#00ff00' }],
    };
    expect(queryResult('slo', q, [{ metric: {}, value: 0.9995 }])).toEqual({ value: 0.9995, color: '#00ff00' });
    expect(queryResult('slo', q, [{ metric: {}, value: 0.99 }])).toEqual({ value: 0.99, color: '#ffaa00' });
    expect(queryResult('slo', q, [{ metric: {}, value: 0.5 }])).toEqual({ value: 0.5, color: '#ff0000' });
    expect(queryResult('slo', { expr: 'x', thresholds: [{ value: 1, color: '#00ff00' }] }, [{ metric: {}, value: 0 }])).toEqual({
      value: 0,
    });
    expect(queryResult('slo', q, [{ metric: {}, value: Infinity }])).toEqual({ value: null, error: 'query slo: returned +Inf' });
    expect(queryResult('slo', q, [])).toEqual({
      value: null,
      error: 'query slo: returned no series; it must return one number (set ifEmpty for a default)',
    });
    expect(queryResult('slo', { ...q, ifEmpty: 1 }, [])).toEqual({ value: 1, color: '#00ff00' });
    expect(queryResult('slo', q, undefined, 'query:slo query: HTTP 400: bad_data: parse error')).toEqual({
      value: null,
      error: 'query slo: HTTP 400: bad_data: parse error',
    });
  });

  it('thresholdColor takes the last step reached', () => {
    const steps = [
      { value: 0, color: '#000001' },
      { value: 10, color: '#000002' },
    ];
    expect([-1, 0, 9.9, 10, 1e9].map((v) => thresholdColor(v, steps))).toEqual([
      undefined,
      '#000001',
      '#000001',
      '#000002',
      '#000002',
    ]);
  });
});

describe('extra queries in a poll (canned Prometheus)', () => {
  const servers: CannedPrometheus[] = [];
  const sources: PrometheusSource[] = [];
  afterEach(async () => {
    for (const s of sources.splice(0)) s.close();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const healthy = (r: SeenRequest): CannedAnswer => ({
    body: r.query === 'other' ? vector([{ metric: {}, value: 0.5 }]) : HEALTHY[r.query],
  });
  async function poll(handler: (r: SeenRequest) => CannedAnswer, extra: Partial<ConfigInput> = {}) {
    const srv = await startCanned(handler);
    servers.push(srv);
    const s = new PrometheusSource(
      parseConfig({ outputs: [{ type: 'terminal' }], ...extra, prometheus: { url: srv.url } }, { env: {} }),
      { log: silentLogger },
    );
    sources.push(s);
    return s.poll();
  }

  it('a failing alerts or conditions query fails the poll, never shown as "no alerts"', async () => {
    for (const name of ['alerts', 'conditions'] as const) {
      const e = await poll((r) =>
        r.query === name
          ? { status: 503, body: JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'overloaded' }) }
          : healthy(r),
      ).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(PollError);
      expect(e).toMatchObject({ reason: 'http', message: `${name} query: HTTP 503: unavailable: overloaded` });
    }
    const bad = await poll((r) =>
      r.query === 'alerts' ? { body: vector([{ metric: { severity: 'critical' }, value: 'NaN' }]) } : healthy(r),
    ).catch((x: unknown) => x);
    expect(bad).toMatchObject({ reason: 'invalid_response', message: 'alerts query: count is NaN' });
  });

  it("a named query's own bad answer is that query's error; the poll goes on", async () => {
    const s = await poll(
      (r) =>
        r.query === 'other'
          ? { status: 422, body: JSON.stringify({ status: 'error', errorType: 'execution', error: 'too many samples' }) }
          : healthy(r),
      {
        queries: { slo: { expr: 'sum(rate(x[5m]))' } },
      },
    );
    expect(s.queries).toEqual({ slo: { value: null, error: 'query slo: HTTP 422: execution: too many samples' } });
    expect(s.nodes).toHaveLength(2);
  });

  it('a named query that cannot be reached at all fails the poll like any other', async () => {
    const e = await poll((r) => (r.query === 'other' ? 'reset' : healthy(r)), { queries: { slo: { expr: 'sum(up)' } } }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(PollError);
    expect((e as PollError).reason).toBe('connection');
  });

  it('alerts on unknown nodes count cluster-wide; answers of nodes filtered out too', async () => {
    const s = await poll(
      (r) =>
        r.query === 'alerts'
          ? {
              body: vector([
                { metric: { severity: 'critical', podglow_node_0: 'pi-1' }, value: 2 },
                { metric: { severity: 'warning', podglow_node_0: 'pi-9' }, value: 1 },
                { metric: { severity: 'info', podglow_node_0: 'pi-2' }, value: 1 },
              ]),
            }
          : r.query === 'conditions'
            ? {
                body: vector([
                  { metric: { node: 'pi-1', condition: 'PIDPressure' }, value: 1 },
                  { metric: { node: 'pi-1', condition: 'DiskPressure' }, value: 1 },
                  { metric: { node: 'pi-2', condition: 'DiskPressure' }, value: 1 },
                ]),
              }
            : healthy(r),
      { nodes: { exclude: ['pi-2'] } },
    );
    expect(s.nodes).toEqual([
      expect.objectContaining({
        name: 'pi-1',
        conditions: ['DiskPressure', 'PIDPressure'],
        alerts: { ...emptyAlerts(), critical: 2 },
      }),
    ]);
    expect(s.alerts).toEqual({ critical: 0, warning: 1, info: 1 });
  });
});
