import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import { POD_STATES } from './states.js';
import { ALERT_SEVERITIES, type Snapshot } from './snapshot.js';
import { VERSION } from './version.js';

/** Reasons a poll can fail, used as the `reason` label of podglow_poll_errors_total. */
export const POLL_ERROR_REASONS = [
  'connection',
  'timeout',
  'http',
  'prometheus',
  'invalid_response',
  'no_ksm_data',
  'aborted',
  'other',
] as const;
export type PollErrorReason = (typeof POLL_ERROR_REASONS)[number];

/** prom-client default metrics that are gauges with a `_total` suffix (promtool rejects them). */
const LINT_FAILING_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** podglow's own metrics (SPEC §8) in their own Registry. */
export class Metrics {
  readonly registry = new Registry();
  readonly buildInfo = new Gauge({
    name: 'podglow_build_info',
    help: 'podglow build information; always 1.',
    labelNames: ['version'],
    registers: [this.registry],
  });
  readonly pollDuration = new Histogram({
    name: 'podglow_poll_duration_seconds',
    help: 'Time taken by one poll of the source, successful or not.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly polls = new Counter({
    name: 'podglow_polls_total',
    help: 'Polls of the source by result.',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly pollErrors = new Counter({
    name: 'podglow_poll_errors_total',
    help: 'Failed polls by reason.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: 'podglow_last_successful_poll_timestamp_seconds',
    help: 'Unix time of the last successful poll; 0 before the first.',
    registers: [this.registry],
  });
  readonly stale = new Gauge({
    name: 'podglow_data_stale',
    help: '1 while the displayed data is stale or not yet loaded, else 0.',
    registers: [this.registry],
  });
  readonly pods = new Gauge({
    name: 'podglow_pods',
    help: 'Pods displayed per node and state (node="" for unscheduled pods).',
    labelNames: ['node', 'state', 'cluster'],
    registers: [this.registry],
  });
  readonly alerts = new Gauge({
    name: 'podglow_alerts',
    help: 'Firing alerts displayed, by severity and node (node="" for cluster-wide alerts).',
    labelNames: ['severity', 'node', 'cluster'],
    registers: [this.registry],
  });
  readonly nodeConditions = new Gauge({
    name: 'podglow_node_conditions',
    help: 'True node conditions other than Ready that are displayed (1 per node and condition).',
    labelNames: ['node', 'condition', 'cluster'],
    registers: [this.registry],
  });
  readonly nodes = new Gauge({
    name: 'podglow_nodes',
    help: 'Nodes in the last good snapshot.',
    labelNames: ['cluster'],
    registers: [this.registry],
  });
  // The cluster label appears only with clusters: (SPEC §8); one-cluster configs export exactly what they did.
  readonly clusterStale = new Gauge({
    name: 'podglow_cluster_stale',
    help: '1 while a cluster (clusters:) shows stale data: no new samples for staleAfter, or none at all; else 0.',
    labelNames: ['cluster'],
    registers: [this.registry],
  });
  readonly frames = new Counter({
    name: 'podglow_frames_total',
    help: 'Frames written to each output.',
    labelNames: ['output'],
    registers: [this.registry],
  });
  readonly outputErrors = new Counter({
    name: 'podglow_output_errors_total',
    help: 'Failed writes or device errors per output.',
    labelNames: ['output'],
    registers: [this.registry],
  });
  readonly outputUp = new Gauge({
    name: 'podglow_output_up',
    help: '1 while the output device is usable, else 0.',
    labelNames: ['output'],
    registers: [this.registry],
  });
  /** Where podglow_data_age_seconds reads the current age (ms) from; null before it is known. */
  private dataAgeOf: () => number | null = () => null;
  /** With clusters: each cluster's data age (s) at the last good poll, and when that was (monotonic ms). */
  private clusterAges: { ages: Map<string, number | null>; at: number } | null = null;
  readonly dataAge: Gauge = new Gauge({
    name: 'podglow_data_age_seconds',
    help: 'Age of the data shown: query evaluation time minus the newest kube-state-metrics sample, on the server clock, plus the time since (NaN until known); per cluster with clusters:.',
    labelNames: ['cluster'],
    registers: [this.registry],
    collect: () => {
      if (this.clusterAges) {
        const since = (performance.now() - this.clusterAges.at) / 1000;
        for (const [cluster, age] of this.clusterAges.ages) this.dataAge.set({ cluster }, age === null ? NaN : age + since);
        return;
      }
      const ms = this.dataAgeOf();
      this.dataAge.set(ms === null ? NaN : ms / 1000);
    },
  });
  readonly brightness = new Gauge({
    name: 'podglow_brightness',
    help: 'Current brightness of each output (0..1, after caps and schedules).',
    labelNames: ['output'],
    registers: [this.registry],
  });
  readonly httpConnections = new Gauge({
    name: 'podglow_http_connections',
    help: 'Open connections to the HTTP server.',
    registers: [this.registry],
  });
  readonly httpConnectionsRefused = new Counter({
    name: 'podglow_http_connections_refused_total',
    help: 'Connections closed at accept because the server had its most open connections.',
    registers: [this.registry],
  });
  readonly sseClients = new Gauge({
    name: 'podglow_sse_clients',
    help: 'Connected /api/events clients.',
    registers: [this.registry],
  });
  readonly sseClientsDropped = new Counter({
    name: 'podglow_sse_clients_dropped_total',
    help: '/api/events clients dropped because they stopped reading (unsent bytes past the bound).',
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    this.buildInfo.set({ version: VERSION }, 1);
    this.stale.set(1);
    this.lastSuccess.set(0);
    for (const r of ['success', 'failure']) this.polls.inc({ result: r }, 0);
    for (const r of POLL_ERROR_REASONS) this.pollErrors.inc({ reason: r }, 0);
    if (opts.defaultMetrics !== false) {
      // The event-loop lag sampler wakes the process every 10 ms by default; 100 ms keeps idle CPU near zero.
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
      // Gauges named *_total fail `promtool check metrics`; the per-type gauges beside them carry the same numbers.
      for (const name of LINT_FAILING_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
    }
  }

  /** Sets where podglow_data_age_seconds reads the age of the data (ms, null while unknown) at each scrape. */
  watchDataAge(ageMs: () => number | null): void {
    this.dataAgeOf = ageMs;
  }

  /** Makes the per-output series exist from start-up. */
  registerOutput(name: string, brightness: number): void {
    this.frames.inc({ output: name }, 0);
    this.outputErrors.inc({ output: name }, 0);
    this.outputUp.set({ output: name }, 1);
    this.brightness.set({ output: name }, brightness);
  }

  /** Replaces the podglow_pods series with what a good snapshot shows. */
  recordSnapshot(s: Snapshot): void {
    if (s.clusters) return this.recordClusters(s);
    this.pods.reset();
    for (const n of s.nodes) for (const st of POD_STATES) this.pods.set({ node: n.name, state: st }, n.pods[st]);
    for (const st of POD_STATES) this.pods.set({ node: '', state: st }, s.unscheduled[st]);
    this.nodes.set(s.nodes.length);
    this.alerts.reset();
    this.nodeConditions.reset();
    for (const sev of ALERT_SEVERITIES) {
      this.alerts.set({ severity: sev, node: '' }, s.alerts[sev]);
      for (const n of s.nodes) this.alerts.set({ severity: sev, node: n.name }, n.alerts[sev]);
    }
    for (const n of s.nodes) for (const c of n.conditions) this.nodeConditions.set({ node: n.name, condition: c }, 1);
  }

  /** recordSnapshot with clusters: every series carries its cluster; alerts without a cluster label have cluster="". */
  private recordClusters(s: Snapshot): void {
    for (const g of [this.pods, this.alerts, this.nodeConditions, this.nodes, this.dataAge, this.clusterStale]) g.reset();
    this.clusterAges = { ages: new Map((s.clusters ?? []).map((c) => [c.name, c.dataAgeSeconds])), at: performance.now() };
    for (const sev of ALERT_SEVERITIES) this.alerts.set({ severity: sev, node: '', cluster: '' }, s.alerts[sev]);
    for (const c of s.clusters ?? []) {
      const cluster = c.name;
      for (const n of c.nodes) {
        for (const st of POD_STATES) this.pods.set({ node: n.name, state: st, cluster }, n.pods[st]);
        for (const sev of ALERT_SEVERITIES) this.alerts.set({ severity: sev, node: n.name, cluster }, n.alerts[sev]);
        for (const cond of n.conditions) this.nodeConditions.set({ node: n.name, condition: cond, cluster }, 1);
      }
      for (const st of POD_STATES) this.pods.set({ node: '', state: st, cluster }, c.unscheduled[st]);
      for (const sev of ALERT_SEVERITIES) this.alerts.set({ severity: sev, node: '', cluster }, c.alerts[sev]);
      this.nodes.set({ cluster }, c.nodes.length);
      this.clusterStale.set({ cluster }, c.stale ? 1 : 0);
    }
  }
}
