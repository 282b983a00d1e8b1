// Issue 17, "A fast lane for kube-state-metrics in what podglow ships": one dedicated 5 s
// scrape of the same kube-state-metrics, job="kube-state-metrics-fast", keeping only the
// families podglow queries, for a plain Prometheus, vmagent, the Operator's ServiceMonitor and
// kube-prometheus. Checked with the real tools (promtool, vmagent -dryRun, kubectl kustomize)
// and against a real Prometheus scraping the kube-state-metrics fixture.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { parseConfig } from '../../src/config/load.js';
import { buildQueries } from '../../src/source/promql.js';
import {
  FAST_JOB,
  LANE_FILES,
  REPO,
  keptFamilies,
  ksmMeta,
  laneServiceMonitor,
  operatorScrapeConfigs,
  prometheusLane,
  vmagentLane,
  withStaticTarget,
  type ScrapeJob,
  type ServiceMonitorObject,
} from '../helpers/fastLane.js';
import { generateCluster, startKsmFixture, type KsmFixture } from '../helpers/ksmFixture.js';
import { launchPrometheus, onFreePort, queryClient, stopChild } from '../helpers/prometheus.js';

/**
 * Names in podglow's queries that no scrape of kube-state-metrics carries: ALERTS is written
 * by Prometheus' rule manager for firing alerts (src/source/extras.ts alertsExpression).
 */
const NOT_FROM_KSM = new Set(['ALERTS']);

/** The PromQL `podglow check` prints for a config file (the blocks after each `# name` line). */
function checkQueries(configFile: string): string[] {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'check', '--config', configFile], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, PODGLOW_PROMETHEUS_URL: 'http://prometheus.example:9090', PODGLOW_CONFIG: '' },
  });
  expect(r.status, r.stderr).toBe(0);
  const text = r.stdout.split('Instant queries sent concurrently on every poll')[1];
  if (!text) throw new Error(`podglow check printed no queries:\n${r.stdout}`);
  return text
    .split(/\n# [^\n]*\n/)
    .slice(1)
    .map((b) => b.trim())
    .filter((b) => b !== '');
}

/** Metric names of every vector selector in a PromQL expression (lezer-promql, Prometheus' own grammar). */
function selectedNames(q: string): string[] {
  const tree = parser.parse(q);
  const names: string[] = [];
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) throw new Error(`podglow check printed a query that does not parse: ${q}`);
      if (n.name === 'VectorSelector') {
        const id = n.node.firstChild;
        if (id?.name === 'Identifier') names.push(q.slice(id.from, id.to));
      }
    },
  });
  return names;
}

/** Every kube-state-metrics family the queries of these configs read. */
function familiesRead(configFiles: string[]): Set<string> {
  const out = new Set<string>();
  for (const f of configFiles)
    for (const q of checkQueries(f)) for (const n of selectedNames(q)) if (!NOT_FROM_KSM.has(n)) out.add(n);
  return out;
}

let dir: string;
let operatorSm: ServiceMonitorObject;
let kubePrometheusSm: ServiceMonitorObject;
/** Each shipped setup's lane as Prometheus scrape configs. */
let lanes: { setup: string; jobs: ScrapeJob[] }[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'podglow-fastlane-'));
  operatorSm = laneServiceMonitor(LANE_FILES.operator);
  kubePrometheusSm = laneServiceMonitor(LANE_FILES.kubePrometheus);
  lanes = [
    { setup: 'plain Prometheus', jobs: prometheusLane() },
    { setup: 'vmagent', jobs: vmagentLane() },
    { setup: 'Operator ServiceMonitor', jobs: operatorScrapeConfigs(operatorSm) },
    { setup: 'kube-prometheus ServiceMonitor', jobs: operatorScrapeConfigs(kubePrometheusSm) },
  ];
}, 30_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The job label a scrape config gives its series: job_name, unless a relabel rule sets `job` last. */
function jobLabel(job: ScrapeJob): string {
  const setters = (job.relabel_configs ?? []).filter(
    (r) => r.target_label === 'job' && r.replacement !== undefined && !r.source_labels,
  );
  return setters.at(-1)?.replacement ?? job.job_name;
}

describe('the shipped fast lane, in each of the four setups', () => {
  it('scrapes every 5 s as job="kube-state-metrics-fast", keeping KSM\'s own labels, asking for pods and nodes only', () => {
    expect(lanes.map((l) => l.jobs.length)).toEqual([1, 1, 2, 1]);
    for (const { setup, jobs } of lanes) {
      for (const job of jobs) {
        expect(jobLabel(job), setup).toBe(FAST_JOB);
        expect(job.scrape_interval, setup).toBe('5s');
        expect(Number.parseFloat(job.scrape_timeout ?? '10s'), setup).toBeLessThan(5);
        expect(job.honor_labels, setup).toBe(true);
        // kubernetes/kube-state-metrics pkg/metricshandler/metrics_handler.go parseResources: repeated or comma-separated.
        expect(new Set(job.params?.resources?.flatMap((v) => v.split(','))), setup).toEqual(new Set(['pods', 'nodes']));
      }
    }
  });

  it('keeps exactly the kube-state-metrics families in the queries `podglow check` prints (defaults, conditions and alerts)', () => {
    const extras = join(dir, 'extras.yaml');
    writeFileSync(
      extras,
      [
        'prometheus: { url: "http://prometheus.example:9090", matchers: [\'job="kube-state-metrics"\'], cluster: prod }',
        'namespaces: { include: [default, team-.*] }',
        'conditions: { enabled: true, include: [DiskPressure] }',
        'alerts: { enabled: true }',
        'outputs: [ { type: web, width: 8, height: 8, layout: { type: matrix } } ]',
      ].join('\n'),
    );
    const read = familiesRead([join(REPO, 'config/podglow.yaml'), join(REPO, 'deploy/base/podglow.yaml'), extras]);
    // The derivation found the pod and node families (a broken parse would find none).
    expect(read.has('kube_pod_status_phase') && read.has('kube_node_info')).toBe(true);
    for (const { setup, jobs } of lanes) {
      for (const job of jobs) expect(new Set(keptFamilies(job)), setup).toEqual(read);
    }
  });

  it('pass promtool check config, together and beside the ordinary kube-state-metrics job', () => {
    const ordinary = parseYaml(readFileSync(join(REPO, 'deploy/prometheus/kube-state-metrics.yml'), 'utf8')) as ScrapeJob[];
    const all = [...ordinary, ...lanes.flatMap((l, i) => l.jobs.map((j, k) => ({ ...j, job_name: `${i}-${k}-${j.job_name}` })))];
    const check = (scrapeConfigs: ScrapeJob[]) => {
      const file = join(dir, `prometheus-${Math.random().toString(36).slice(2)}.yml`);
      writeFileSync(file, stringify({ global: { scrape_interval: '30s' }, scrape_configs: scrapeConfigs }));
      const r = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
      if (r.error) throw new Error('promtool not found: install prometheus (Debian: apt-get install prometheus)');
      return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
    };
    const asIs = check(all);
    // The only acceptable failure is a promtool built without Kubernetes SD (Debian's).
    if (!asIs.ok) expect(asIs.output).toMatch(/field kubernetes_sd_configs not found/);
    const statics = all.map((j) => withStaticTarget(j, '127.0.0.3:8080', ksmMeta('http-metrics')));
    const r = check(statics);
    expect(r.output).toContain('SUCCESS');
    expect(r.ok, r.output).toBe(true);
    // The check does look at the keep rule: a broken regex fails it.
    const broken = statics.map((j) => ({
      ...j,
      metric_relabel_configs: [{ source_labels: ['__name__'], regex: 'kube_pod_(', action: 'keep' }],
    }));
    expect(check(broken).ok).toBe(false);
  });

  it('the vmagent file passes vmagent -dryRun as shipped', () => {
    const run = (file: string) => spawnSync('vmagent', ['-dryRun', `-promscrape.config=${file}`], { encoding: 'utf8' });
    const r = run(join(REPO, LANE_FILES.vmagent));
    if (r.error) throw new Error('vmagent not found: install it (Debian: apt-get install vmagent)');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('all the configs are ok');
    // And it would notice a mistake (strict parsing: an unknown field).
    const bad = join(dir, 'vmagent-bad.yml');
    writeFileSync(
      bad,
      readFileSync(join(REPO, LANE_FILES.vmagent), 'utf8').replace('scrape_interval: 5s', 'scrape_intervall: 5s'),
    );
    expect(run(bad).status).not.toBe(0);
  });

  it('the ServiceMonitors render with kubectl kustomize into an overlay and validate against the Operator schema', () => {
    for (const sm of [operatorSm, kubePrometheusSm]) {
      new ServiceMonitor(sm as never).validate();
      expect(sm.metadata.namespace).toBe('podglow');
    }
    // kube-state-metrics' own Service (kubernetes/kube-state-metrics examples/standard/service.yaml: port
    // http-metrics) and the Helm chart's (prometheus-community/helm-charts charts/kube-state-metrics/templates/service.yaml: port http).
    expect(operatorSm.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'kube-state-metrics' });
    expect(operatorSm.spec.namespaceSelector).toEqual({ any: true });
    expect(operatorSm.spec.endpoints.map((e) => e.port)).toEqual(['http-metrics', 'http']);
    // kube-prometheus' Service (prometheus-operator/kube-prometheus manifests/kubeStateMetrics-service.yaml).
    expect(kubePrometheusSm.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/component': 'exporter',
      'app.kubernetes.io/name': 'kube-state-metrics',
      'app.kubernetes.io/part-of': 'kube-prometheus',
    });
    expect(kubePrometheusSm.spec.namespaceSelector).toEqual({ matchNames: ['monitoring'] });
    expect(kubePrometheusSm.spec.endpoints.map((e) => [e.port, e.scheme])).toEqual([['https-main', 'https']]);
  });
});

describe('the lane in a real Prometheus, beside the ordinary job', () => {
  const cluster = generateCluster({ nodes: 4, podsPerNode: 10, seed: 7 });
  let newKsm: KsmFixture;
  let oldKsm: KsmFixture;
  let prom: ChildProcess | undefined;
  let q: ReturnType<typeof queryClient>;

  beforeAll(async () => {
    // kube-state-metrics v2.18.0+ (honours ?resources=) and an older one (ignores it).
    newKsm = await startKsmFixture({ cluster, render: { full: true }, resourcesParam: true });
    oldKsm = await startKsmFixture({ cluster, render: { full: true }, resourcesParam: false });
    const [ordinary] = parseYaml(readFileSync(join(REPO, 'deploy/prometheus/kube-state-metrics.yml'), 'utf8')) as ScrapeJob[];
    const [lane] = prometheusLane();
    const promDir = join(dir, 'prom');
    mkdirSync(promDir);
    const config = {
      global: { scrape_interval: '1s' },
      scrape_configs: [
        withStaticTarget(ordinary!, newKsm.targets[0]!, ksmMeta('http-metrics'), '1s'),
        withStaticTarget(lane!, newKsm.targets[0]!, ksmMeta('http-metrics'), '1s'),
        {
          ...withStaticTarget(lane!, oldKsm.targets[0]!, ksmMeta('http-metrics'), '1s'),
          job_name: 'old-ksm',
          relabel_configs: [],
        },
      ],
    };
    writeFileSync(join(promDir, 'prometheus.yml'), stringify(config));
    const started = await onFreePort(async (port) => ({
      child: await launchPrometheus(promDir, port),
      url: `http://127.0.0.1:${port}`,
    }));
    prom = started.child;
    q = queryClient(started.url);
    await q.waitForValue('count(up == 1)', 3, 30_000);
    await q.waitForValue('count(count by (job) (kube_pod_info))', 3, 30_000);
  }, 60_000);
  afterAll(async () => {
    if (prom) await stopChild(prom);
    await newKsm?.close();
    await oldKsm?.close();
  });

  it('stores only the kept families under job="kube-state-metrics-fast", the ordinary job everything', async () => {
    const names = async (job: string) =>
      (await q.query(`count by (__name__) ({job="${job}"})`)).map((s) => s.metric.__name__!).sort();
    const kept = new Set(keptFamilies(prometheusLane()[0]!));
    // up and scrape_* are written by Prometheus for every target, after metric relabelling.
    const synthetic = (n: string) => n === 'up' || n.startsWith('scrape_');
    const fast = (await names(FAST_JOB)).filter((n) => !synthetic(n));
    expect(fast.length).toBeGreaterThanOrEqual(6);
    for (const n of fast) expect(kept.has(n), n).toBe(true);
    const full = await names('kube-state-metrics');
    expect(full.length).toBeGreaterThan(40);
    expect(full).toEqual(expect.arrayContaining(fast));
  });

  it('podglow\'s queries read the lane: the same counts from job="kube-state-metrics-fast" as from the ordinary job', async () => {
    const counts = async (job: string) => {
      const config = parseConfig(
        { prometheus: { url: 'http://x', matchers: [`job="${job}"`] }, outputs: [{ type: 'web', width: 8, height: 8 }] },
        { env: {} },
      );
      const rows = await q.query(buildQueries(config).pods);
      return rows.map((r) => `${r.metric.node}/${r.metric.state}=${r.value[1]}`).sort();
    };
    const lane = await counts(FAST_JOB);
    expect(lane.length).toBeGreaterThan(4);
    expect(lane).toEqual(await counts('kube-state-metrics'));
  });

  // kubernetes/kube-state-metrics pkg/metricshandler/metrics_handler.go (parseResources of the
  // `resources` query parameter), added in v2.18.0 (CHANGELOG.md: PR #2844).
  it('?resources=pods,nodes cuts what kube-state-metrics v2.18.0+ sends; older versions send all and the keep rule drops it', async () => {
    const one = async (expr: string) => Number((await q.query(expr))[0]!.value[1]);
    const scrapedNew = await one(`scrape_samples_scraped{job="${FAST_JOB}"}`);
    const scrapedOld = await one('scrape_samples_scraped{job="old-ksm"}');
    const keptNew = await one(`scrape_samples_post_metric_relabeling{job="${FAST_JOB}"}`);
    const keptOld = await one('scrape_samples_post_metric_relabeling{job="old-ksm"}');
    expect(scrapedNew).toBeLessThan(scrapedOld);
    expect(keptNew).toBe(keptOld);
    expect(keptNew).toBeLessThan(scrapedNew);
  });
});
