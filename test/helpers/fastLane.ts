// The kube-state-metrics fast lane podglow ships for each setup (plain Prometheus, vmagent,
// the Operator's ServiceMonitor, kube-prometheus), read from deploy/ and turned into plain
// Prometheus scrape configs, so tests and bench/fastlane.ts check and run exactly what ships.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, parseAllDocuments } from 'yaml';

/** The repository root. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The job name every shipped lane stores its series under (podglow picks this lane when present). */
export const FAST_JOB = 'kube-state-metrics-fast';

/** One Prometheus scrape config, as plain data. */
export interface ScrapeJob {
  job_name: string;
  scrape_interval?: string;
  scrape_timeout?: string;
  honor_labels?: boolean;
  params?: Record<string, string[]>;
  scheme?: string;
  relabel_configs?: Relabel[];
  metric_relabel_configs?: Relabel[];
  kubernetes_sd_configs?: unknown[];
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  [key: string]: unknown;
}

/** One relabel rule in Prometheus' own spelling. */
export interface Relabel {
  source_labels?: string[];
  target_label?: string;
  regex?: string;
  replacement?: string;
  action?: string;
}

/** A ServiceMonitor endpoint, the fields the shipped ones use. */
interface SmEndpoint {
  port: string;
  scheme?: string;
  interval?: string;
  scrapeTimeout?: string;
  honorLabels?: boolean;
  params?: Record<string, string[]>;
  bearerTokenFile?: string;
  tlsConfig?: { insecureSkipVerify?: boolean };
  relabelings?: { sourceLabels?: string[]; targetLabel?: string; regex?: string; replacement?: string; action?: string }[];
  metricRelabelings?: { sourceLabels?: string[]; targetLabel?: string; regex?: string; replacement?: string; action?: string }[];
}

/** A rendered ServiceMonitor, the fields used here. */
export interface ServiceMonitorObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: {
    selector: { matchLabels: Record<string, string> };
    namespaceSelector?: { any?: boolean; matchNames?: string[] };
    endpoints: SmEndpoint[];
  };
}

/** The shipped files of each setup. */
export const LANE_FILES = {
  prometheus: 'deploy/prometheus/kube-state-metrics-fast.yml',
  vmagent: 'deploy/victoriametrics/vmagent-kube-state-metrics-fast.yml',
  operator: 'deploy/components/kube-state-metrics-fast',
  kubePrometheus: 'deploy/components/kube-state-metrics-fast-kube-prometheus',
} as const;

/** The plain-Prometheus lane: the list to paste under scrape_configs. */
export function prometheusLane(): ScrapeJob[] {
  return parseYaml(readFileSync(join(REPO, LANE_FILES.prometheus), 'utf8')) as ScrapeJob[];
}

/** The vmagent lane: a whole -promscrape.config file. */
export function vmagentLane(): ScrapeJob[] {
  return (parseYaml(readFileSync(join(REPO, LANE_FILES.vmagent), 'utf8')) as { scrape_configs: ScrapeJob[] }).scrape_configs;
}

/**
 * A component rendered into the preview overlay with `kubectl kustomize`, as a user enables
 * it (kustomize builds components only from a kustomization that lists them).
 */
export function renderComponent(component: string): Record<string, unknown>[] {
  const dir = mkdtempSync(join(tmpdir(), 'podglow-lane-'));
  try {
    // kustomize refuses absolute paths to other kustomizations.
    const deploy = relative(dir, join(REPO, 'deploy'));
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      `resources: [${deploy}/overlays/preview]\ncomponents: [${relative(dir, join(REPO, component))}]\n`,
    );
    let out: string;
    try {
      out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      if (err.code === 'ENOENT')
        throw new Error('kubectl not found: install kubectl (Debian: apt-get install kubectl, or run scripts/test-deps.sh)', {
          cause: e,
        });
      throw new Error(`kubectl kustomize (${component}) failed: ${err.stderr ?? err.message}`, { cause: e });
    }
    return parseAllDocuments(out)
      .map((d) => d.toJS() as Record<string, unknown>)
      .filter((o) => o !== null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The ServiceMonitor a component adds (the one named kube-state-metrics-fast). */
export function laneServiceMonitor(component: string): ServiceMonitorObject {
  const sms = renderComponent(component).filter(
    (o) => o.kind === 'ServiceMonitor' && (o.metadata as { name: string }).name === FAST_JOB,
  );
  if (sms.length !== 1) throw new Error(`${component}: expected one ServiceMonitor ${FAST_JOB}, found ${sms.length}`);
  return sms[0] as unknown as ServiceMonitorObject;
}

function relabel(r: NonNullable<SmEndpoint['relabelings']>[number]): Relabel {
  const out: Relabel = {};
  if (r.sourceLabels) out.source_labels = r.sourceLabels;
  if (r.targetLabel !== undefined) out.target_label = r.targetLabel;
  if (r.regex !== undefined) out.regex = r.regex;
  if (r.replacement !== undefined) out.replacement = r.replacement;
  if (r.action !== undefined) out.action = r.action;
  return out;
}

/**
 * The scrape configs the Prometheus Operator generates from a ServiceMonitor, for the fields
 * the shipped ones use (prometheus-operator pkg/prometheus/promcfg.go,
 * generateServiceMonitorConfig: job first from the Service name, then the endpoint's own
 * relabelings; metricRelabelings as metric_relabel_configs). Discovery is left out: callers add static targets.
 */
export function operatorScrapeConfigs(sm: ServiceMonitorObject): ScrapeJob[] {
  return sm.spec.endpoints.map((ep, i) => {
    const job: ScrapeJob = { job_name: `serviceMonitor/${sm.metadata.namespace}/${sm.metadata.name}/${i}` };
    if (ep.interval) job.scrape_interval = ep.interval;
    if (ep.scrapeTimeout) job.scrape_timeout = ep.scrapeTimeout;
    if (ep.honorLabels) job.honor_labels = true;
    if (ep.params) job.params = ep.params;
    if (ep.scheme) job.scheme = ep.scheme;
    if (ep.tlsConfig?.insecureSkipVerify) job.tls_config = { insecure_skip_verify: true };
    if (ep.bearerTokenFile) job.authorization = { credentials_file: ep.bearerTokenFile };
    job.relabel_configs = [
      { source_labels: ['__meta_kubernetes_service_name'], target_label: 'job' },
      ...(ep.relabelings ?? []).map(relabel),
    ];
    if (ep.metricRelabelings) job.metric_relabel_configs = ep.metricRelabelings.map(relabel);
    return job;
  });
}

/** The one `keep` rule on __name__ of a lane, as the list of family names it keeps. */
export function keptFamilies(job: ScrapeJob): string[] {
  const keeps = (job.metric_relabel_configs ?? []).filter((r) => r.action === 'keep');
  if (keeps.length !== 1) throw new Error(`${job.job_name}: expected one keep rule, found ${keeps.length}`);
  const k = keeps[0]!;
  if (JSON.stringify(k.source_labels) !== '["__name__"]') throw new Error(`${job.job_name}: the keep rule must match __name__`);
  const names = k.regex!.split('|');
  for (const n of names)
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(n)) throw new Error(`${job.job_name}: keep regex is not a plain list of names: ${n}`);
  return names;
}

/**
 * A shipped job with Kubernetes discovery replaced by a static target (Debian's Prometheus
 * is built without Kubernetes SD): the target carries the meta labels discovery would attach
 * so the job's own relabel rules still run; scheme, token and TLS are dropped for a plain
 * HTTP fixture. `interval` overrides the scrape interval (and timeout) for benchmarks.
 */
export function withStaticTarget(job: ScrapeJob, target: string, meta: Record<string, string>, interval?: string): ScrapeJob {
  const { kubernetes_sd_configs: _sd, scheme: _s, tls_config: _t, authorization: _a, ...rest } = job;
  const out: ScrapeJob = { ...rest, static_configs: [{ targets: [target], labels: meta }] };
  if (interval) {
    out.scrape_interval = interval;
    out.scrape_timeout = interval;
  }
  return out;
}

/** Meta labels of a kube-state-metrics endpoint as Kubernetes endpoints discovery reports them. */
export function ksmMeta(
  port: string,
  serviceLabels: Record<string, string> = { 'app.kubernetes.io/name': 'kube-state-metrics' },
): Record<string, string> {
  const meta: Record<string, string> = {
    __meta_kubernetes_namespace: 'kube-system',
    __meta_kubernetes_service_name: 'kube-state-metrics',
    __meta_kubernetes_endpoint_port_name: port,
  };
  for (const [k, v] of Object.entries(serviceLabels))
    meta[`__meta_kubernetes_service_label_${k.replace(/[^a-zA-Z0-9_]/g, '_')}`] = v;
  return meta;
}
