import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { kustomize, only, ROOT, type K8sObject } from './render.js';
import { freePort } from '../helpers/prometheus.js';
import { parseConfig } from '../../src/config/load.js';
import { buildRecordingRules } from '../../src/source/promql.js';

interface ScrapeConfig {
  job_name: string;
  honor_labels?: boolean;
  scrape_interval?: string;
  kubernetes_sd_configs?: { role: string; namespaces?: { names: string[] } }[];
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  relabel_configs?: unknown[];
  [key: string]: unknown;
}

const SNIPPETS = ['kube-state-metrics.yml', 'podglow.yml', 'podglow-static.yml'] as const;
const KUBERNETES_SD_ROLES = ['node', 'service', 'pod', 'endpoints', 'endpointslice', 'ingress'];

function snippet(file: (typeof SNIPPETS)[number]): ScrapeConfig[] {
  const doc: unknown = parseYaml(readFileSync(join(ROOT, 'deploy/prometheus', file), 'utf8'));
  if (!Array.isArray(doc)) throw new Error(`${file}: must be a list of scrape configs to paste under scrape_configs:`);
  return doc as ScrapeConfig[];
}

/** Prometheus' name for a Kubernetes label or annotation in discovery meta labels. */
function metaName(prefix: string, key: string): string {
  return prefix + key.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** A target as Kubernetes endpoints discovery would describe it, for a static_configs entry. */
interface FakeTarget {
  address: string;
  labels: Record<string, string>;
}

/**
 * Replaces kubernetes_sd_configs by static targets carrying the meta labels that
 * discovery would attach, so a Prometheus without Kubernetes SD (Debian's is built
 * without it) still checks and runs every relabel rule of the snippet.
 */
function withStaticTargets(c: ScrapeConfig, targets: FakeTarget[]): ScrapeConfig {
  const { kubernetes_sd_configs: _sd, ...rest } = c;
  return { ...rest, scrape_interval: '1h', static_configs: targets.map((t) => ({ targets: [t.address], labels: t.labels })) };
}

function promtoolCheck(config: object): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'podglow-promtool-'));
  try {
    const file = join(dir, 'prometheus.yml');
    writeFileSync(file, stringify(config));
    const r = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('promtool not found: install prometheus (Debian: apt-get install prometheus, or run scripts/test-deps.sh)');
    }
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('deploy/prometheus scrape snippets', () => {
  const service = (): K8sObject => only(kustomize('deploy/overlays/preview'), 'Service', 'podglow');

  it('are lists of scrape configs; kube-state-metrics keeps its own labels', () => {
    const [ksm] = snippet('kube-state-metrics.yml');
    expect(ksm?.job_name).toBe('kube-state-metrics');
    // KSM's namespace/pod/node labels describe the objects, not the KSM pod.
    expect(ksm?.honor_labels).toBe(true);
    // The shipped config pins no job: its lanes read the fast lane when present, else this job.
    const config = parseConfig(parseYaml(readFileSync(join(ROOT, 'deploy/base/podglow.yaml'), 'utf8')), {
      env: { PODGLOW_PROMETHEUS_URL: 'http://prometheus:9090' },
    });
    expect(config.prometheus.matchers).toEqual([]);
    expect(config.prometheus.lanes).toEqual(['kube-state-metrics-fast', ksm?.job_name]);
    for (const file of SNIPPETS) {
      for (const c of snippet(file)) {
        for (const sd of c.kubernetes_sd_configs ?? []) expect(KUBERNETES_SD_ROLES).toContain(sd.role);
      }
    }
  });

  it('pass promtool check config, embedded in a minimal prometheus.yml', () => {
    const configs = SNIPPETS.flatMap((f) => snippet(f).map((c) => ({ ...c, job_name: `${f}:${c.job_name}` })));
    const asIs = promtoolCheck({ global: { scrape_interval: '30s' }, scrape_configs: configs });
    if (!asIs.ok) {
      // The only acceptable failure is a promtool built without Kubernetes SD (Debian's).
      expect(asIs.output).toMatch(/field kubernetes_sd_configs not found/);
    }
    const statics = configs.map((c) => withStaticTargets(c, [{ address: '127.0.0.2:8080', labels: {} }]));
    const r = promtoolCheck({ global: { scrape_interval: '30s' }, scrape_configs: statics });
    expect(r.output).toContain('SUCCESS');
    expect(r.ok, r.output).toBe(true);
  });

  it('point at the annotations the Service actually carries', () => {
    const [podglow] = snippet('podglow.yml');
    const text = JSON.stringify(podglow?.relabel_configs);
    for (const key of Object.keys(service().metadata.annotations ?? {})) {
      expect(text).toContain(metaName('__meta_kubernetes_service_annotation_', key));
    }
  });

  describe('in a real Prometheus', () => {
    let prom: ChildProcess | undefined;
    let dir: string;
    let base: string;

    const svc = (): K8sObject => service();
    const podglowMeta = (extra: Record<string, string> = {}): Record<string, string> => {
      const labels: Record<string, string> = {
        __meta_kubernetes_namespace: 'podglow',
        __meta_kubernetes_service_name: svc().metadata.name,
        __meta_kubernetes_endpoint_port_name: 'http-metrics',
        __meta_kubernetes_pod_name: 'podglow-7d9f-abcde',
        __meta_kubernetes_pod_node_name: 'pi-2',
      };
      for (const [k, v] of Object.entries(svc().metadata.labels ?? {}))
        labels[metaName('__meta_kubernetes_service_label_', k)] = v;
      for (const [k, v] of Object.entries(svc().metadata.annotations ?? {}))
        labels[metaName('__meta_kubernetes_service_annotation_', k)] = v;
      return { ...labels, ...extra };
    };

    beforeAll(async () => {
      const [ksm] = snippet('kube-state-metrics.yml');
      const [podglow] = snippet('podglow.yml');
      const ksmService = {
        __meta_kubernetes_namespace: 'kube-system',
        __meta_kubernetes_service_name: 'kube-state-metrics',
        __meta_kubernetes_service_label_app_kubernetes_io_name: 'kube-state-metrics',
      };
      const config = {
        global: { scrape_interval: '1h' },
        scrape_configs: [
          withStaticTargets(ksm!, [
            { address: '127.0.0.3:8080', labels: { ...ksmService, __meta_kubernetes_endpoint_port_name: 'http-metrics' } },
            { address: '127.0.0.3:8081', labels: { ...ksmService, __meta_kubernetes_endpoint_port_name: 'telemetry' } },
          ]),
          withStaticTargets(podglow!, [
            // The pod IP and container port as endpoints discovery reports them.
            { address: '127.0.0.2:9810', labels: podglowMeta() },
            {
              address: '127.0.0.4:8080',
              labels: podglowMeta({ __meta_kubernetes_service_label_app_kubernetes_io_name: 'other' }),
            },
            {
              address: '127.0.0.5:9810',
              labels: podglowMeta({ __meta_kubernetes_service_annotation_prometheus_io_scrape: 'false' }),
            },
          ]),
        ],
      };
      dir = mkdtempSync(join(tmpdir(), 'podglow-prom-'));
      writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      prom = spawn(
        'prometheus',
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: 'ignore' },
      );
      const failed = new Promise<never>((_, reject) => {
        prom!.once('error', (e) =>
          reject(
            (e as NodeJS.ErrnoException).code === 'ENOENT'
              ? new Error('prometheus not found: install prometheus (Debian: apt-get install prometheus)')
              : e,
          ),
        );
      });
      // The scrape manager publishes targets a few seconds after start-up.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const ready = await Promise.race([
          fetch(`${base}/api/v1/targets?state=any`)
            .then((r) => r.json() as Promise<{ data: { activeTargets: unknown[] } }>)
            .then((j) => j.data.activeTargets.length >= 2)
            .catch(() => false),
          failed,
        ]);
        if (ready) break;
        if (Date.now() > deadline) throw new Error('prometheus did not publish the targets within 30 s');
        await new Promise((r) => setTimeout(r, 250));
      }
    }, 45_000);

    afterAll(async () => {
      if (prom && prom.exitCode === null) {
        const exited = new Promise((r) => prom!.once('exit', r));
        prom.kill('SIGTERM');
        await exited;
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    async function active(): Promise<{ labels: Record<string, string>; scrapeUrl: string }[]> {
      const r = await fetch(`${base}/api/v1/targets?state=active`);
      return ((await r.json()) as { data: { activeTargets: { labels: Record<string, string>; scrapeUrl: string }[] } }).data
        .activeTargets;
    }

    it("scrapes podglow's pods on the annotated port and path, and nothing else", async () => {
      const targets = (await active()).filter((t) => t.labels.job === 'podglow');
      expect(targets.map((t) => t.scrapeUrl)).toEqual([
        `http://127.0.0.2:${svc().metadata.annotations!['prometheus.io/port']}/metrics`,
      ]);
      expect(targets[0]!.labels).toMatchObject({ namespace: 'podglow', pod: 'podglow-7d9f-abcde', node: 'pi-2' });
    });

    it('scrapes only the http-metrics port of kube-state-metrics', async () => {
      const targets = (await active()).filter((t) => t.labels.job === 'kube-state-metrics');
      expect(targets.map((t) => t.scrapeUrl)).toEqual(['http://127.0.0.3:8080/metrics']);
    });
  });
});

describe('deploy/prometheus/podglow-rules.yml and the recording-rule component', () => {
  /** What `podglow check --rules` produces for deploy/base/podglow.yaml with recordingRule set. */
  const generated = () => {
    const doc = parseYaml(readFileSync(join(ROOT, 'deploy/base/podglow.yaml'), 'utf8')) as {
      prometheus: Record<string, unknown>;
    };
    doc.prometheus = { ...doc.prometheus, url: 'http://prometheus:9090', recordingRule: 'podglow:pods:count' };
    return buildRecordingRules(parseConfig(doc, { env: {} }));
  };

  it('the rule file is the one generated for the base config, and promtool accepts it', () => {
    const file = join(ROOT, 'deploy/prometheus/podglow-rules.yml');
    expect(parseYaml(readFileSync(file, 'utf8'))).toEqual(generated());
    const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    if (r.error)
      throw new Error('promtool not found: install prometheus (Debian: apt-get install prometheus, or run scripts/test-deps.sh)');
    expect(`${r.stdout}${r.stderr}`).toContain('SUCCESS: 2 rules found');
    expect(r.status).toBe(0);
  });

  it('renders into an overlay as a valid PrometheusRule with the same groups', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podglow-overlay-'));
    try {
      // kustomize refuses absolute paths to other kustomizations.
      const deploy = relative(dir, join(ROOT, 'deploy'));
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        `resources: [${deploy}/overlays/preview]\ncomponents: [${deploy}/components/recording-rule]\n`,
      );
      const rule = only(kustomize(dir), 'PrometheusRule', 'podglow');
      new PrometheusRule(rule as never).validate();
      expect(rule.metadata.namespace).toBe('podglow');
      expect((rule as unknown as { spec: unknown }).spec).toEqual(generated());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
