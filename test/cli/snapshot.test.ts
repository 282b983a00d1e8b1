// `podglow snapshot` against a canned Prometheus: SPEC §4 JSON, the table, failures.
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { failureLine, formatTable, main } from '../../src/cli/snapshot.js';
import { PollError } from '../../src/source/errors.js';
import { emptyCounts } from '../../src/states.js';
import { emptyAlerts } from '../../src/snapshot.js';
import { HEALTHY, startCanned, vector, type CannedPrometheus } from '../helpers/cannedPrometheus.js';

const dir = mkdtempSync(join(tmpdir(), 'podglow-snapshot-'));
const config = join(dir, 'podglow.yaml');
writeFileSync(config, 'outputs: [{ type: terminal }]\nlog: { level: error }\n');
let srv: CannedPrometheus;
let out = '';
let err = '';

beforeEach(async () => {
  srv = await startCanned();
  out = '';
  err = '';
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += a.join(' ') + '\n'));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (err += a.join(' ') + '\n'));
  for (const k of ['PODGLOW_CONFIG', 'PODGLOW_PROMETHEUS_URL', 'PODGLOW_CLUSTER', 'PODGLOW_NAMESPACES']) vi.stubEnv(k, '');
});
afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await srv.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('podglow snapshot', () => {
  it('--json prints exactly the SPEC §4 document', async () => {
    expect(await main(['--json', '--config', config, '--prometheus-url', srv.url])).toBe(0);
    expect(err).toBe('');
    const doc = JSON.parse(out) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['time', 'nodes', 'unscheduled', 'alerts', 'queries']);
    expect(doc).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      nodes: [
        {
          name: 'pi-1',
          ready: true,
          unschedulable: false,
          pods: { ...emptyCounts(), running: 3, crashing: 1 },
          conditions: [],
          alerts: emptyAlerts(),
        },
        { name: 'pi-2', ready: false, unschedulable: true, pods: emptyCounts(), conditions: [], alerts: emptyAlerts() },
      ],
      unscheduled: { ...emptyCounts(), pending: 1 },
      alerts: emptyAlerts(),
      queries: {},
    });
    for (const n of doc.nodes as { pods: object }[]) {
      expect(Object.keys(n)).toEqual(['name', 'ready', 'unschedulable', 'pods', 'conditions', 'alerts']);
      expect(Object.keys(n.pods)).toEqual(['running', 'pending', 'terminating', 'crashing', 'failed', 'unknown', 'succeeded']);
    }
  });

  it('prints a readable table by default', async () => {
    expect(await main(['--config', config, '--prometheus-url', srv.url])).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^NODE\s+READY\s+CORDONED\s+TERMINATING\s+CRASHING\s+FAILED\s+UNKNOWN\s+PENDING\s+RUNNING\s+SUCCEEDED\s+TOTAL\s+ALERTS C\/W\/I\s+CONDITIONS$/,
    );
    expect(lines[1]).toMatch(/^pi-1\s+yes\s+no\s+0\s+1\s+0\s+0\s+0\s+3\s+0\s+4\s+0\/0\/0\s+-$/);
    expect(lines[2]).toMatch(/^pi-2\s+NO\s+yes(\s+0){7}\s+0\s+0\/0\/0\s+-$/);
    expect(lines[3]).toMatch(/^\(unscheduled\)(\s+0){4}\s+1\s+0\s+0\s+1$/);
    expect(lines.at(-2)).toMatch(/^2 nodes \(1 not ready\), 5 pods, polled at \d{4}-/);
    expect(lines.at(-1)).toBe('cluster-wide firing alerts: 0 critical, 0 warning, 0 info');
  });

  it('a failed poll exits 1 with a one-line reason', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    expect(await main(['--json', '--config', config, '--prometheus-url', `http://127.0.0.1:${port}`])).toBe(1);
    expect(out).toBe('');
    expect(err).toBe(`podglow: poll failed (connection): http://127.0.0.1:${port}: connection refused\n`);

    srv.handler = (r) => ({ body: r.query === 'nodes' ? vector([]) : HEALTHY.pods });
    expect(await main(['--config', config, '--prometheus-url', srv.url])).toBe(1);
    expect(err.trimEnd().split('\n').at(-1)).toMatch(/^podglow: poll failed \(no_ksm_data\): no kube-state-metrics data: /);

    srv.handler = () => ({ status: 401, body: 'no org id\n', headers: { 'Content-Type': 'text/plain' } });
    err = '';
    expect(await main(['--config', config, '--prometheus-url', srv.url])).toBe(1);
    expect(err).toMatch(/^podglow: poll failed \(http\): [a-z]+ query: HTTP 401: no org id\n$/);
  });

  it('a config error exits 2 before polling', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'prometheus: { url: "http://x", timeout: never }\noutputs: [{ type: terminal }]\n');
    expect(await main(['--config', bad])).toBe(2);
    expect(err).toContain('prometheus.timeout: must be a duration');
    expect(srv.requests).toHaveLength(0);
  });

  it("formatTable shows each node's alerts and conditions, the cluster-wide alerts and every named query", () => {
    const t = formatTable({
      time: '2026-11-21T12:00:00.000Z',
      nodes: [
        {
          name: 'pi-1',
          ready: true,
          unschedulable: false,
          pods: emptyCounts(),
          conditions: ['DiskPressure', 'MemoryPressure'],
          alerts: { critical: 1, warning: 2, info: 0 },
        },
        { name: 'pi-2', ready: true, unschedulable: false, pods: emptyCounts(), conditions: [], alerts: emptyAlerts() },
      ],
      unscheduled: emptyCounts(),
      alerts: { critical: 0, warning: 1, info: 3 },
      queries: {
        slo: { value: 0.9995, color: '#00ff00' },
        raw: { value: 3 },
        bad: { value: null, error: 'query bad: returned NaN' },
      },
    });
    const lines = t.split('\n');
    expect(lines[1]).toMatch(/^pi-1 .* 0 +1\/2\/0 +DiskPressure,MemoryPressure$/);
    expect(lines[2]).toMatch(/^pi-2 .* 0 +0\/0\/0 +-$/);
    expect(lines.slice(-4)).toEqual([
      'cluster-wide firing alerts: 0 critical, 1 warning, 3 info',
      'query slo: 0.9995 (#00ff00)',
      'query raw: 3',
      'ERROR: query bad: returned NaN',
    ]);
  });

  it('formatTable prints names as text and failureLine keeps to one line', () => {
    const t = formatTable({
      time: '2026-11-21T12:00:00.000Z',
      nodes: [
        { name: 'evil\u001b[31m', ready: null, unschedulable: false, pods: emptyCounts(), conditions: [], alerts: emptyAlerts() },
      ],
      unscheduled: emptyCounts(),
      alerts: emptyAlerts(),
      queries: {},
    });
    expect(t).not.toContain('\u001b');
    expect(t).toMatch(/\nevil\?\[31m +unknown +no /);
    expect(failureLine(new PollError('http', 'a\nb'))).toBe('podglow: poll failed (http): a b');
    expect(failureLine(new Error('x'))).toBe('podglow: poll failed: x');
  });
});
