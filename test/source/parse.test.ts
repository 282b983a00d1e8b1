// Pure response parsing and snapshot building, on fixture JSON (no network).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PollError } from '../../src/source/errors.js';
import { httpErrorMessage, oneLine, parseVectorResponse } from '../../src/source/answer.js';
import { buildSnapshot, type PollAnswers } from '../../src/source/parse.js';
import { emptyCounts } from '../../src/states.js';
import { emptyAlerts } from '../../src/snapshot.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const ok = (body: string, contentType = 'application/json') => ({ status: 200, contentType, body });

function fails(res: { status: number; contentType: string; body: string }): PollError {
  try {
    parseVectorResponse(res, 'nodes query');
  } catch (e) {
    expect(e).toBeInstanceOf(PollError);
    return e as PollError;
  }
  throw new Error('expected a PollError');
}

describe('parseVectorResponse', () => {
  it('reads an instant vector', () => {
    const a = parseVectorResponse(ok(fixture('prometheus-pods.json')), 'pods query');
    expect(a.warnings).toEqual([]);
    expect(a.samples).toHaveLength(5);
    expect(a.samples[0]).toEqual({ metric: { node: 'pi-1', state: 'running' }, value: 5 });
    expect(a.samples[3]).toEqual({ metric: { state: 'pending' }, value: 2 });
  });

  it("tolerates VictoriaMetrics' isPartial and stats fields", () => {
    const a = parseVectorResponse(ok(fixture('victoriametrics-partial.json')), 'nodes query');
    expect(a.samples).toEqual([{ metric: { node: 'pi-1' }, value: 1 }]);
  });

  it("returns Thanos' warnings", () => {
    const a = parseVectorResponse(ok(fixture('thanos-warnings.json')), 'nodes query');
    expect(a.samples).toHaveLength(1);
    expect(a.warnings).toEqual(['No StoreAPIs matched for this query', 'partial response: store eu-1 unavailable']);
  });

  it('reads NaN and infinities as numbers', () => {
    const body = JSON.stringify({
      status: 'success',
      data: {
        resultType: 'vector',
        result: ['NaN', '+Inf', '-Inf', '1e3'].map((v, i) => ({ metric: { node: `n${i}` }, value: [1, v] })),
      },
    });
    const values = parseVectorResponse(ok(body), 'q').samples.map((s) => s.value);
    expect(values[0]).toBeNaN();
    expect(values.slice(1)).toEqual([Infinity, -Infinity, 1000]);
  });

  it('names an HTTP error with Prometheus errorType and error (400, 422, 503)', () => {
    const e400 = fails({ status: 400, contentType: 'application/json', body: fixture('prometheus-400.json') });
    expect(e400.reason).toBe('http');
    expect(e400.message).toMatch(/^nodes query: HTTP 400: bad_data: invalid parameter "query": 1:32: parse error/);
    const e422 = fails({ status: 422, contentType: 'application/json', body: fixture('prometheus-422.json') });
    expect(e422.reason).toBe('http');
    expect(e422.message).toMatch(/^nodes query: HTTP 422: execution: found duplicate series/);
    expect(e422.message.length).toBeLessThanOrEqual('nodes query: '.length + 'HTTP 422: '.length + 200);
    expect(e422.message.endsWith('…')).toBe(true);
    const e503 = fails({
      status: 503,
      contentType: 'application/json',
      body: '{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}',
    });
    expect(e503.message).toBe('nodes query: HTTP 503: timeout: query timed out in expression evaluation');
  });

  it('does not trust errorType to be from a fixed list', () => {
    const e = fails({
      status: 429,
      contentType: 'application/json',
      body: '{"status":"error","errorType":"too_many_requests_for_tenant","error":"slow down"}',
    });
    expect(e.message).toBe('nodes query: HTTP 429: too_many_requests_for_tenant: slow down');
  });

  it("names a plain-text HTTP error such as Mimir's 401 'no org id'", () => {
    const e = fails({ status: 401, contentType: 'text/plain; charset=utf-8', body: 'no org id\n' });
    expect(e.reason).toBe('http');
    expect(e.message).toBe('nodes query: HTTP 401: no org id');
  });

  it('strips HTML error pages and truncates long bodies', () => {
    const e = fails({
      status: 502,
      contentType: 'text/html',
      body: '<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>',
    });
    expect(e.message).toBe('nodes query: HTTP 502: 502 Bad Gateway Bad Gateway');
    const long = fails({ status: 500, contentType: 'text/plain', body: 'x'.repeat(10_000) });
    expect(long.message.length).toBeLessThan(240);
    expect(fails({ status: 504, contentType: '', body: '' }).message).toBe('nodes query: HTTP 504 (empty body)');
  });

  it('names a non-JSON 200 answer', () => {
    const e = fails(ok('<!doctype html><html><body>Grafana login</body></html>', 'text/html; charset=utf-8'));
    expect(e.reason).toBe('invalid_response');
    expect(e.message).toMatch(/^nodes query: not JSON \(text\/html\): <!doctype html>/);
    expect(fails(ok('', 'text/plain')).message).toMatch(/not JSON \(text\/plain\): \(empty body\)/);
  });

  it('names malformed JSON', () => {
    const e = fails(ok('{"status":"success","data":{"resultType":"vector","result":[{"metric":{}'));
    expect(e.reason).toBe('invalid_response');
    expect(e.message).toMatch(/^nodes query: malformed JSON: /);
  });

  it('names unexpected shapes', () => {
    const shapes: [string, RegExp][] = [
      ['[]', /not a JSON object/],
      ['{"status":"weird"}', /status is "weird"/],
      ['{"status":"success"}', /no data/],
      ['{"status":"success","data":{"resultType":"matrix","result":[]}}', /resultType is "matrix", expected "vector"/],
      ['{"status":"success","data":{"resultType":"vector","result":{}}}', /data.result is not a list/],
      ['{"status":"success","data":{"resultType":"vector","result":[{"value":[1,"1"]}]}}', /series 0 has no metric labels/],
      [
        '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,1]}]}}',
        /series 0 has no \[time, "value"\] pair/,
      ],
      [
        '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"node":7},"value":[1,"1"]}]}}',
        /label node is not a string/,
      ],
    ];
    for (const [body, re] of shapes) {
      const e = fails(ok(body));
      expect(e.reason, body).toBe('invalid_response');
      expect(e.message, body).toMatch(re);
    }
  });

  it('names a 200 answer with status "error" as a Prometheus error', () => {
    const e = fails(ok('{"status":"error","errorType":"internal","error":"boom"}'));
    expect(e.reason).toBe('prometheus');
    expect(e.message).toBe('nodes query: internal: boom');
  });
});

describe('httpErrorMessage / oneLine', () => {
  it('falls back to a JSON "message" field (gateways)', () => {
    expect(httpErrorMessage(403, 'application/json', '{"message":"Forbidden"}')).toBe('HTTP 403: Forbidden');
  });
  it('collapses whitespace', () => {
    expect(oneLine('a\n  b\tc ')).toBe('a b c');
  });
});

describe('buildSnapshot', () => {
  const answers = (): PollAnswers => ({
    nodes: parseVectorResponse(ok(fixture('prometheus-nodes.json')), 'nodes').samples,
    ready: parseVectorResponse(ok(fixture('prometheus-ready.json')), 'ready').samples,
    unschedulable: parseVectorResponse(ok(fixture('prometheus-unschedulable.json')), 'unschedulable').samples,
    pods: parseVectorResponse(ok(fixture('prometheus-pods.json')), 'pods').samples,
  });
  const time = new Date('2026-11-21T12:00:00.000Z');

  it('builds the SPEC §4 snapshot in natural node order', () => {
    const s = buildSnapshot(answers(), { time });
    expect(s).toEqual({
      time: '2026-11-21T12:00:00.000Z',
      nodes: [
        {
          name: 'pi-1',
          ready: true,
          unschedulable: false,
          pods: { ...emptyCounts(), running: 5, terminating: 1 },
          conditions: [],
          alerts: emptyAlerts(),
        },
        {
          name: 'pi-2',
          ready: null,
          unschedulable: false,
          pods: { ...emptyCounts(), succeeded: 4 },
          conditions: [],
          alerts: emptyAlerts(),
        },
        {
          name: 'pi-10',
          ready: false,
          unschedulable: true,
          pods: { ...emptyCounts(), crashing: 2 },
          conditions: [],
          alerts: emptyAlerts(),
        },
      ],
      unscheduled: { ...emptyCounts(), pending: 2 },
      alerts: emptyAlerts(),
      queries: {},
    });
    // Every node carries all seven states, in a stable key set.
    for (const n of s.nodes) expect(Object.keys(n.pods).sort()).toEqual(Object.keys(emptyCounts()).sort());
  });

  it('puts nodes.order first and filters nodes', () => {
    const s = buildSnapshot(answers(), { time, order: ['pi-10', 'absent'], keepNode: (n) => n !== 'pi-2' });
    expect(s.nodes.map((n) => n.name)).toEqual(['pi-10', 'pi-1']);
  });

  it('reports no_ksm_data when kube_node_info has no series', () => {
    const a = { ...answers(), nodes: [] };
    expect(() => buildSnapshot(a, { time, nodeSelector: 'max by (node) (kube_node_info{job="ksm"})' })).toThrow(
      expect.objectContaining({ reason: 'no_ksm_data', message: expect.stringContaining('kube_node_info{job="ksm"}') }),
    );
  });

  it('a node without a Ready condition is null; disagreeing replicas: false wins, else unknown', () => {
    const a = answers();
    a.ready = [
      { metric: { node: 'pi-1', status: 'true' }, value: 1 },
      { metric: { node: 'pi-1', status: 'false' }, value: 1 },
      { metric: { node: 'pi-2', status: 'true' }, value: 1 },
      { metric: { node: 'pi-2', status: 'unknown' }, value: 1 },
    ];
    const s = buildSnapshot(a, { time });
    expect(s.nodes.map((n) => n.ready)).toEqual([false, null, null]);
  });

  it('ignores pods on nodes kube_node_info does not list', () => {
    const a = answers();
    a.pods = [...a.pods, { metric: { node: 'gone', state: 'running' }, value: 9 }];
    const s = buildSnapshot(a, { time });
    expect(s.nodes.reduce((n, x) => n + x.pods.running, 0)).toBe(5);
  });

  it('rejects NaN, infinite or negative counts and unknown states as invalid_response', () => {
    for (const value of [NaN, Infinity, -1]) {
      const a = answers();
      a.pods = [{ metric: { node: 'pi-1', state: 'running' }, value }];
      expect(() => buildSnapshot(a, { time })).toThrow(expect.objectContaining({ reason: 'invalid_response' }));
    }
    const a = answers();
    a.pods = [{ metric: { node: 'pi-1', state: 'exploded' }, value: 1 }];
    expect(() => buildSnapshot(a, { time })).toThrow(
      expect.objectContaining({ reason: 'invalid_response', message: expect.stringContaining('"exploded"') }),
    );
  });

  it('ignores the value of presence-only series (NaN node info still lists the node)', () => {
    const a = answers();
    a.nodes = [{ metric: { node: 'pi-9' }, value: NaN }];
    a.pods = [];
    expect(buildSnapshot(a, { time }).nodes.map((n) => n.name)).toEqual(['pi-9']);
  });
});
