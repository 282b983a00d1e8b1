// `podglow check`: validation with paths and exit codes, and the PromQL it prints.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { main } from '../../src/cli/check.js';
import { parseConfig } from '../../src/config/load.js';
import { buildRecordingRules, podsExpression } from '../../src/source/promql.js';
import { stubPodglowEnv } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'podglow-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += a.join(' ') + '\n'));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (err += a.join(' ') + '\n'));
  stubPodglowEnv();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

let n = 0;
function file(yaml: string): string {
  const p = join(dir, `c${n++}.yaml`);
  writeFileSync(p, yaml);
  return p;
}

const GOOD = `
prometheus:
  url: https://podglow:hunter2@mimir.example/prometheus
  headers: { X-Scope-OrgID: tenant-1 }
  matchers: ['job="kube-state-metrics"']
  cluster: prod
namespaces: { include: ['team-.*'] }
outputs:
  - { type: unicornhat }
  - { type: web, name: preview }
`;

describe('podglow check', () => {
  it('prints the queries built from the config and exits 0', async () => {
    const path = file(GOOD);
    expect(await main(['--config', path])).toBe(0);
    expect(err).toBe('');
    expect(out).toContain(`config: ${path} is valid`);
    expect(out).toContain(
      'source: prometheus at https://mimir.example/prometheus (poll when new data lands, every 1s to 1m, timeout 10s)',
    );
    expect(out).toContain('headers: X-Scope-OrgID');
    expect(out).toContain('outputs: unicornhat (unicornhat), preview (web)');
    for (const q of ['# nodes', '# ready', '# unschedulable', '# pods']) expect(out).toContain(q);
    expect(out).toContain(
      'max by (node) (timestamp(kube_node_info{job="kube-state-metrics", cluster="prod"}) and kube_node_info{job="kube-state-metrics", cluster="prod"})',
    );
    expect(out).toContain('kube_pod_info{job="kube-state-metrics", cluster="prod", namespace=~"team-.*"}');
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('tenant-1');
  });

  it('prints the conditions and alerts queries and each named query with what it must return', async () => {
    const path = file(`${GOOD}
queries:
  slo:
    expr: sum(rate(http_requests_total{code!~"5.."}[5m])) / sum(rate(http_requests_total[5m]))
    thresholds: [ { color: "#ff0000" }, { value: 0.999, color: "#00ff00" } ]
  builds: { expr: max(ci_last_build_ok), ifEmpty: 0 }
`);
    expect(await main(['--config', path])).toBe(0);
    expect(out).toContain(
      '# conditions\nmax by (node, condition) (kube_node_status_condition{job="kube-state-metrics", cluster="prod", condition!="Ready", status="true"} == 1)',
    );
    expect(out).toMatch(
      /# alerts\ncount by \(severity, podglow_node_0, podglow_node_1\) \(\n {2}label_replace\(label_replace\(ALERTS\{alertstate="firing", alertname!~"Watchdog\|InfoInhibitor"\}/,
    );
    expect(out).toContain(
      '# query:slo (one number; no series is an error; colours: #ff0000, ≥ 0.999 #00ff00)\nsum(rate(http_requests_total{code!~"5.."}[5m])) / sum(rate(http_requests_total[5m]))',
    );
    expect(out).toContain(
      '# query:builds (one number; no series = 0; colours: none (thresholds not set))\nmax(ci_last_build_ok)',
    );
  });

  it('--prometheus-url overrides the file', async () => {
    expect(await main(['--config', file(GOOD), '--prometheus-url', 'http://127.0.0.1:9090'])).toBe(0);
    expect(out).toContain('source: prometheus at http://127.0.0.1:9090 ');
  });

  it('reports every problem with its path and exits 2', async () => {
    const path = file(`
prometheus: { url: "ftp://nope", timeout: soon }
outputs:
  - { type: unicornhat, brightness: 3 }
`);
    expect(await main(['--config', path])).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(`invalid configuration (${path})`);
    expect(err).toContain('prometheus.url: must be an http(s) URL');
    expect(err).toContain('prometheus.timeout: must be a duration');
    expect(err).toContain('outputs[0].brightness: must be between 0 and 1');
  });

  it('rejects namespace regexes PromQL cannot run', async () => {
    const path = file(`
prometheus: { url: "http://prom:9090" }
namespaces: { exclude: ['ok', '(?!kube-).*'] }
outputs: [{ type: web }]
`);
    expect(await main(['--config', path])).toBe(2);
    expect(err).toContain(
      'namespaces.exclude[1]: must be a valid regular expression: RE2 (Prometheus) rejects it: invalid or unsupported Perl syntax: `(?!`',
    );
  });

  it('catches a PromQL typo in a named query and in a matcher: path and position, exit 2', async () => {
    const path = file(`
prometheus:
  url: "http://prom:9090"
  matchers: ['job=kube-state-metrics']
queries:
  errors: { expr: 'sum(rate(http_requests_total[5m])' }
outputs: [{ type: web }]
`);
    expect(await main(['--config', path])).toBe(2);
    expect(err).toContain(
      'queries.errors.expr: PromQL syntax error at line 1, column 34 of the expression: unexpected end of expression',
    );
    expect(err).toContain(
      'prometheus.matchers[0]: must be a PromQL label matcher such as job="kube-state-metrics": PromQL syntax error at line 1, column 5 of the matcher: unexpected "kube-state-metrics"',
    );
    expect(out).toBe('');
  });

  it('a missing explicit file, bad flags: exit 2; --help: exit 0', async () => {
    expect(await main(['--config', join(dir, 'absent.yaml')])).toBe(2);
    expect(err).toContain('(file): not found');
    expect(await main(['--frobnicate'])).toBe(2);
    expect(err).toMatch(/Unknown option '--frobnicate'/);
    expect(await main(['--help'])).toBe(0);
    expect(out).toContain('Usage: podglow check');
  });

  it('with prometheus.recordingRule: lists the recorded read for pods; --rules prints the rule file', async () => {
    const path = file(GOOD.replace('  cluster: prod\n', '  cluster: prod\n  recordingRule: "podglow:pods:count"\n'));
    expect(await main(['--config', path])).toBe(0);
    expect(out).toContain(
      '# pods (reads the recording rule podglow:pods:count; podglow check --rules prints the rule)\nmax by (node, state) (podglow:pods:count)',
    );
    expect(out).toContain(
      'max by (node) (timestamp(kube_node_info{job="kube-state-metrics", cluster="prod"}) and kube_node_info{job="kube-state-metrics", cluster="prod"})',
    );
    expect(out).not.toContain('kube_pod_info');

    out = '';
    expect(await main(['--config', path, '--rules'])).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^# Generated by `podglow check --rules` from /);
    const config = parseConfig(
      parseYaml(GOOD.replace('  cluster: prod\n', '  cluster: prod\n  recordingRule: "podglow:pods:count"\n')),
      { env: {} },
    );
    expect(parseYaml(out)).toEqual(buildRecordingRules(config));
    expect(parseYaml(out).groups[0].rules[0].expr).toBe(podsExpression(config));
    expect(out).toContain('kube_pod_info{job="kube-state-metrics", cluster="prod", namespace=~"team-.*"}');
    expect(out).not.toContain('hunter2');
  });

  it('--rules without prometheus.recordingRule exits 2 and says what to set', async () => {
    expect(await main(['--config', file(GOOD), '--rules'])).toBe(2);
    expect(out).toBe('');
    expect(err).toContain('set prometheus.recordingRule');
    expect(await main(['--help'])).toBe(0);
    expect(out).toContain('--rules');
  });

  it('says the demo source sends no queries', async () => {
    expect(await main(['--config', file('source: demo\noutputs: [{ type: terminal }]\n')])).toBe(0);
    expect(out).toContain('source: demo');
    expect(out).not.toContain('# pods');
  });

  it('the installed command line exits 2 on a bad config (through the dispatcher)', () => {
    const path = file('prometheus: { url: nope }\noutputs: []\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'check', '--config', path], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('prometheus.url: must be an http(s) URL');
    expect(r.stderr).toContain('outputs: configure at least one output');
  });
});
