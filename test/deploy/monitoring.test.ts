// deploy/monitoring: podglow's own alerts (plain rule file and PrometheusRule), their promtool
// unit tests, and the Grafana dashboard, whose every panel query runs against a real
// Prometheus scraping a real `podglow run`.
// Conventions checked here come from monitoring-mixins/docs README.md ("Guidelines for alert
// names, labels, and annotations"): CamelCase names sharing a first component, a `severity`
// label of critical|warning|info, mandatory `summary` (a sentence: capital letter, final period)
// and `description` annotations. The sidecar label is the grafana Helm chart's default
// (charts/grafana README.md: sidecar.dashboards.label = grafana_dashboard).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { kustomize, only, validateObject, ROOT, type K8sObject } from './render.js';
import { startPrometheus, type TestPrometheus } from '../helpers/prometheus.js';
import { HEALTHY, startCanned, vector, type CannedPrometheus } from '../helpers/cannedPrometheus.js';

const DIR = join(ROOT, 'deploy/monitoring');

interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroups {
  groups: { name: string; rules: AlertRule[] }[];
}

const plain = (): RuleGroups => parseYaml(readFileSync(join(DIR, 'podglow-alerts.yml'), 'utf8')) as RuleGroups;
const alerts = (): AlertRule[] => plain().groups.flatMap((g) => g.rules);

function promtool(args: string[]): { ok: boolean; output: string } {
  const r = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8', timeout: 60_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('promtool not found: install prometheus (Debian: apt-get install prometheus, or run scripts/test-deps.sh)');
  }
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

describe('deploy/monitoring alerts', () => {
  it('pass promtool check rules', () => {
    const r = promtool(['check', 'rules', 'podglow-alerts.yml', 'prometheusrule.yaml']);
    // prometheusrule.yaml is not a rule file: only the plain file must pass, the other must be refused.
    expect(r.output).toMatch(/podglow-alerts\.yml\s+SUCCESS: 5 rules found/);
    const alone = promtool(['check', 'rules', 'podglow-alerts.yml']);
    expect(alone.ok, alone.output).toBe(true);
  });

  it('pass their promtool unit tests, which make every alert fire', () => {
    const r = promtool(['test', 'rules', 'tests/podglow-alerts.test.yml']);
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toContain('SUCCESS');
    const tests = parseYaml(readFileSync(join(DIR, 'tests/podglow-alerts.test.yml'), 'utf8')) as {
      rule_files: string[];
      tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    expect(tests.rule_files).toEqual(['../podglow-alerts.yml']);
    const fired = new Set(
      tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)),
    );
    const silent = new Set(
      tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length === 0).map((a) => a.alertname)),
    );
    for (const a of alerts()) {
      expect(fired.has(a.alert!), `a test where ${a.alert} fires`).toBe(true);
      expect(silent.has(a.alert!), `a test where ${a.alert} stays silent`).toBe(true);
    }
  });

  it('cover podglow down, absent, stale data, failing polls and a down output', () => {
    const exprs = Object.fromEntries(alerts().map((a) => [a.alert, a.expr]));
    expect(Object.keys(exprs).sort()).toEqual([
      'PodglowAbsent',
      'PodglowDataStale',
      'PodglowDown',
      'PodglowOutputDown',
      'PodglowPollsFailing',
    ]);
    expect(exprs.PodglowDown).toMatch(/^up\{job="podglow"\} == 0$/);
    expect(exprs.PodglowAbsent).toMatch(/^absent\(up\{job="podglow"\}\)$/);
    expect(exprs.PodglowDataStale).toContain('podglow_data_stale');
    expect(exprs.PodglowPollsFailing).toContain('podglow_polls_total{job="podglow", result="failure"}');
    expect(exprs.PodglowOutputDown).toContain('podglow_output_up');
  });

  it('follow the monitoring-mixins conventions for names, severity and annotations', () => {
    for (const a of alerts()) {
      expect(a.alert, 'an alerting rule, not a recording rule').toMatch(/^Podglow[A-Z][A-Za-z]+$/);
      expect(['critical', 'warning', 'info']).toContain(a.labels?.severity);
      expect(a.for, `${a.alert} waits before firing`).toMatch(/^\d+m$/);
      const { summary, description } = a.annotations ?? {};
      // "podglow" is the product's name, written in lower case everywhere.
      expect(summary, `${a.alert} summary`).toMatch(/^([A-Z]|podglow\b).*\.$/);
      expect(summary, 'summary is static, so grouped alerts share it').not.toContain('{{');
      expect(description, `${a.alert} description`).toMatch(/^.{20,}$/);
      // Alerts with an instance label name it; absent() has none.
      if (a.alert !== 'PodglowAbsent') expect(description).toContain('{{ $labels.instance }}');
    }
  });

  it('ship as a PrometheusRule with exactly the groups of the plain rule file', () => {
    const objs = kustomize('deploy/components/monitoring');
    const rule = only(objs, 'PrometheusRule', 'podglow-alerts') as K8sObject & { spec: RuleGroups };
    validateObject(rule);
    expect(rule.metadata.namespace).toBe('podglow');
    expect(rule.spec).toEqual(plain());
  });
});

interface Panel {
  id: number;
  title: string;
  type: string;
  datasource: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string; refId: string }[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string | { query: string }; allValue?: string }[] };
}

const dashboardText = (): string => readFileSync(join(DIR, 'podglow-dashboard.json'), 'utf8');
const dashboard = (): Dashboard => JSON.parse(dashboardText()) as Dashboard;

/** Grafana's variables as the test fills them in: this job, every instance (the All value), 1m windows. */
function substitute(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', 'podglow').replaceAll('$instance', '.+');
}

describe('deploy/monitoring dashboard', () => {
  it('is one dashboard with unique panel ids, on the chosen Prometheus data source, inside the 24-column grid', () => {
    const d = dashboard();
    expect(d.uid).toBe('podglow-overview');
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const vars = d.templating.list.map((v) => v.name);
    expect(vars).toEqual(['datasource', 'job', 'instance']);
    for (const p of d.panels) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) {
        // Every variable a query uses is one the dashboard defines (or Grafana's own); $1 is
        // label_replace's capture group, which Grafana leaves alone (no variable is called 1).
        for (const [, name] of t.expr.matchAll(/\$([A-Za-z_]\w*)/g))
          expect(['__rate_interval', ...vars], `${p.title}: $${name}`).toContain(name);
        expect(t.expr, `${p.title}: selects the chosen job and instance`).toContain('job=~"$job", instance=~"$instance"');
      }
    }
  });

  it('has panels for polls, poll duration, errors by reason, pods by state per node, outputs up and frames', () => {
    const exprs = dashboard()
      .panels.flatMap((p) => p.targets.map((t) => t.expr))
      .join('\n');
    for (const metric of [
      'podglow_polls_total',
      'podglow_poll_duration_seconds_bucket',
      'podglow_poll_errors_total',
      'podglow_pods',
      'podglow_output_up',
      'podglow_frames_total',
    ]) {
      expect(exprs).toContain(metric);
    }
    expect(exprs).toMatch(/sum by \(reason\) \(rate\(podglow_poll_errors_total/);
    expect(exprs).toMatch(/sum by \(node, state\)/);
  });

  it("is shipped by the component as a ConfigMap for Grafana's sidecar, byte for byte", () => {
    const cm = only(kustomize('deploy/components/monitoring'), 'ConfigMap', 'podglow-dashboard') as K8sObject & {
      data: Record<string, string>;
    };
    validateObject(cm);
    expect(cm.metadata.namespace).toBe('podglow');
    expect(cm.metadata.labels).toMatchObject({ grafana_dashboard: '1', 'app.kubernetes.io/name': 'podglow' });
    expect(cm.data).toEqual({ 'podglow-dashboard.json': dashboardText() });
  });

  it('renders with the other components into an overlay that lists it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podglow-overlay-'));
    try {
      const deploy = relative(dir, join(ROOT, 'deploy'));
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        `resources: [${deploy}/overlays/unicornhat]\ncomponents: [${deploy}/components/servicemonitor, ${deploy}/components/monitoring]\n`,
      );
      const objs = kustomize(dir);
      for (const o of objs) validateObject(o);
      expect(objs.map((o) => o.kind)).toEqual(expect.arrayContaining(['ServiceMonitor', 'PrometheusRule', 'Deployment']));
      only(objs, 'ConfigMap', 'podglow-dashboard');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('against a real Prometheus scraping a real podglow run', () => {
    let canned: CannedPrometheus;
    let podglow: ChildProcess | undefined;
    let prom: TestPrometheus | undefined;
    let dir: string;

    beforeAll(async () => {
      // Every third pods query fails, so polls have both results and poll errors have a reason.
      let podsQueries = 0;
      canned = await startCanned((r) => {
        if (r.query === 'other') return { body: vector([]) };
        if (r.query === 'pods' && ++podsQueries % 3 === 2) return { status: 503, body: 'unavailable' };
        return { body: HEALTHY[r.query] };
      });
      dir = mkdtempSync(join(tmpdir(), 'podglow-dash-'));
      const config = join(dir, 'podglow.yaml');
      writeFileSync(
        config,
        [
          `prometheus: { url: "${canned.url}", timeout: 2s }`,
          'interval: 1s',
          'staleAfter: 30s',
          'outputs: [ { name: hat, type: web, width: 8, height: 8 }, { name: strip, type: web, width: 8, height: 1, layout: { type: nodes } } ]',
          'server: { enabled: true, address: 127.0.0.1, port: 0 }',
          'log: { level: info, format: json }',
        ].join('\n'),
      );
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', '--config', config], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, PODGLOW_CONFIG: '', PODGLOW_PROMETHEUS_URL: '' },
      });
      podglow = child;
      let log = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`podglow run did not start: ${log.slice(-1000)}`)), 30_000);
        child.stderr!.on('data', (d: Buffer) => {
          log += d.toString();
          const line = log.split('\n').find((l) => l.includes('"msg":"podglow running"'));
          if (line) {
            clearTimeout(timer);
            resolve((JSON.parse(line) as { url: string }).url);
          }
        });
        child.once('exit', (code) => reject(new Error(`podglow run exited ${code}: ${log.slice(-1000)}`)));
      });
      prom = await startPrometheus({ jobs: [{ job: 'podglow', targets: [new URL(url).host] }] });
    }, 60_000);

    afterAll(async () => {
      await prom?.stop();
      if (podglow && podglow.exitCode === null) {
        const gone = new Promise((r) => podglow!.once('exit', r));
        podglow.kill('SIGTERM');
        await gone;
      }
      await canned?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('every panel query and variable query returns data', async () => {
      const queries = [
        ...dashboard().panels.flatMap((p) =>
          p.targets.map((t) => ({ name: `${p.title} (${t.refId})`, expr: substitute(t.expr) })),
        ),
        // label_values(podglow_build_info, job) and its instance variable, as series queries.
        { name: 'variable job', expr: 'podglow_build_info' },
        { name: 'variable instance', expr: substitute('podglow_build_info{job=~"$job"}') },
      ];
      const deadline = Date.now() + 30_000;
      let missing: string[];
      do {
        missing = [];
        for (const q of queries) {
          const r = await prom!.query(q.expr);
          if (!r.some((s) => Number.isFinite(Number(s.value[1])))) missing.push(q.name);
        }
        if (missing.length) await new Promise((r) => setTimeout(r, 500));
      } while (missing.length && Date.now() < deadline);
      expect(missing, 'panels whose query returned no finite value').toEqual([]);
      // The pods panel shows podglow's node label (pi-1, and "" for the unscheduled pending pod).
      const pods = await prom!.query(
        substitute(dashboard().panels.find((p) => p.title === 'Pods by state per node')!.targets[0]!.expr),
      );
      expect(pods.map((s) => `${s.metric.node ?? ''}/${s.metric.state}`).sort()).toEqual(
        expect.arrayContaining(['pi-1/running', 'pi-1/crashing', '/pending']),
      );
      const reasons = await prom!.query(
        substitute('sum by (reason) (podglow_poll_errors_total{job=~"$job", instance=~"$instance"})'),
      );
      expect(reasons.length).toBeGreaterThan(0);
    }, 60_000);
  });
});
