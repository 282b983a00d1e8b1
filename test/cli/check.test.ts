// `podglow check`: validation with paths and exit codes, and the PromQL it prints.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/check.js';

const dir = mkdtempSync(join(tmpdir(), 'podglow-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += a.join(' ') + '\n'));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (err += a.join(' ') + '\n'));
  for (const k of ['PODGLOW_CONFIG', 'PODGLOW_PROMETHEUS_URL', 'PODGLOW_CLUSTER', 'PODGLOW_NAMESPACES', 'PODGLOW_PROMETHEUS_ORG_ID']) vi.stubEnv(k, '');
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
    expect(out).toContain('source: prometheus at https://mimir.example/prometheus (poll 10s, timeout 10s)');
    expect(out).toContain('headers: X-Scope-OrgID');
    expect(out).toContain('outputs: unicornhat (unicornhat), preview (web)');
    for (const q of ['# nodes', '# ready', '# unschedulable', '# pods']) expect(out).toContain(q);
    expect(out).toContain('max by (node) (kube_node_info{job="kube-state-metrics", cluster="prod"})');
    expect(out).toContain('kube_pod_info{job="kube-state-metrics", cluster="prod", namespace=~"team-.*"}');
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('tenant-1');
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
    expect(err).toContain('namespaces.exclude[1]: PromQL regexes (RE2) have no lookaround or backreferences');
  });

  it('a missing explicit file, bad flags: exit 2; --help: exit 0', async () => {
    expect(await main(['--config', join(dir, 'absent.yaml')])).toBe(2);
    expect(err).toContain('(file): not found');
    expect(await main(['--frobnicate'])).toBe(2);
    expect(err).toMatch(/Unknown option '--frobnicate'/);
    expect(await main(['--help'])).toBe(0);
    expect(out).toContain('Usage: podglow check');
  });

  it('says the demo source sends no queries', async () => {
    expect(await main(['--config', file('source: demo\noutputs: [{ type: terminal }]\n')])).toBe(0);
    expect(out).toContain('source: demo');
    expect(out).not.toContain('# pods');
  });

  it('the installed command line exits 2 on a bad config (through the dispatcher)', () => {
    const path = file('prometheus: { url: nope }\noutputs: []\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'check', '--config', path], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('prometheus.url: must be an http(s) URL');
    expect(r.stderr).toContain('outputs: configure at least one output');
  });
});
