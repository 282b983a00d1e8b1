// The rest of what a kube-state-metrics serves besides the families podglow reads, so that
// a scrape of the fixture costs about what a scrape of a real one does and a `keep` rule has
// something to drop. Family names are kube-state-metrics' own (kubernetes/kube-state-metrics
// @ c92fe0c, internal/store/{pod,node,deployment,replicaset,service,endpoint,configmap,secret,
// namespace}.go); the shape is a model, not a copy: one container per pod, default flags (no
// label or annotation allowlist), one Deployment per three pods with two ReplicaSets (the
// current one and one old), a Service, Endpoints, a ConfigMap and a Secret each. That gives
// about 60 series per pod, of which podglow keeps 6 (kube_pod_info and 5 phase rows).
import type { KsmCluster } from './ksmFixture.js';

/** Resource of each family prefix, as kube-state-metrics names its stores (`--resources`, `?resources=`). */
const RESOURCE_OF_PREFIX: [string, string][] = [
  ['kube_pod_', 'pods'],
  ['kube_node_', 'nodes'],
  ['kube_deployment_', 'deployments'],
  ['kube_replicaset_', 'replicasets'],
  ['kube_service_', 'services'],
  ['kube_endpoint_', 'endpoints'],
  ['kube_configmap_', 'configmaps'],
  ['kube_secret_', 'secrets'],
  ['kube_namespace_', 'namespaces'],
];

/** The kube-state-metrics resource (store) a family belongs to, or null for anything else (the fixture's own gauge). */
export function resourceOf(family: string): string | null {
  for (const [prefix, resource] of RESOURCE_OF_PREFIX) if (family.startsWith(prefix)) return resource;
  return null;
}

/**
 * What kube-state-metrics v2.18.0 and later serve for `/metrics?resources=a,b`: only the
 * families of those resources (pkg/metricshandler/metrics_handler.go, parseResources: a
 * comma-separated list, repeatable; empty entries ignored). Lines of no resource stay.
 */
export function filterResources(text: string, resources: ReadonlySet<string>): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const name = line.startsWith('# ') ? (line.split(' ')[2] ?? '') : /^[^{ ]*/.exec(line)![0];
    const r = resourceOf(name);
    if (r === null || resources.has(r)) out.push(line);
  }
  return out.join('\n');
}

/** The `resources` query parameters of a request URL as a set, or null when there are none (serve everything). */
export function requestedResources(url: string): Set<string> | null {
  const params = new URL(url, 'http://fixture').searchParams.getAll('resources');
  if (!params.length) return null;
  return new Set(params.flatMap((p) => p.split(',').map((s) => s.trim())).filter((s) => s !== ''));
}

/** Renders the families podglow does not read for `cluster` (exposition text, one family block each). */
export function renderOtherFamilies(cluster: KsmCluster, metadata = true): string {
  const blocks = new Map<string, string[]>();
  const add = (family: string, labels: string, value: number | string = 1) => {
    let b = blocks.get(family);
    if (!b) blocks.set(family, (b = []));
    b.push(`${family}{${labels}} ${value}`);
  };
  const created = 1_763_200_000;
  for (const n of cluster.nodes) {
    const node = `node="${n.name}"`;
    add('kube_node_created', node, created);
    add('kube_node_labels', node);
    add('kube_node_annotations', node);
    add('kube_node_role', `${node},role="worker"`);
    add(
      'kube_node_spec_taint',
      `${node},key="node.kubernetes.io/unschedulable",value="",effect="NoSchedule"`,
      n.unschedulable ? 1 : 0,
    );
    for (const t of ['InternalIP', 'Hostname'])
      add('kube_node_status_addresses', `${node},type="${t}",address="${t === 'Hostname' ? n.name : '10.0.0.1'}"`);
    for (const [res, unit, v] of [
      ['cpu', 'core', 4],
      ['memory', 'byte', 8e9],
      ['pods', 'integer', 110],
      ['ephemeral_storage', 'byte', 6e10],
      ['hugepages_2Mi', 'byte', 0],
    ] as const) {
      add('kube_node_status_capacity', `${node},resource="${res}",unit="${unit}"`, v);
      add('kube_node_status_allocatable', `${node},resource="${res}",unit="${unit}"`, v);
    }
  }
  let i = 0;
  for (const p of cluster.pods) {
    const ns = p.namespace ?? 'default';
    const pod = `namespace="${ns}",pod="${p.name}",uid="${p.uid ?? `uid-${i}`}"`;
    const c = `${pod},container="${p.name}-c0"`;
    const running = p.phase === 'Running' && !(p.waiting ?? []).length;
    add('kube_pod_created', pod, created);
    add('kube_pod_start_time', pod, created + 2);
    add('kube_pod_owner', `${pod},owner_kind="ReplicaSet",owner_name="${p.name}-rs",owner_is_controller="true"`);
    add('kube_pod_labels', pod);
    add('kube_pod_annotations', pod);
    add('kube_pod_restart_policy', `${pod},type="Always"`);
    add('kube_pod_ips', `${pod},ip="10.42.0.9",ip_family="4"`);
    add('kube_pod_scheduler', `${pod},name="default-scheduler"`);
    add('kube_pod_service_account', `${pod},service_account="default"`);
    add('kube_pod_status_scheduled_time', pod, created + 1);
    add('kube_pod_status_initialized_time', pod, created + 2);
    add('kube_pod_status_ready_time', pod, created + 5);
    add('kube_pod_status_container_ready_time', pod, created + 5);
    for (const st of ['true', 'false', 'unknown']) {
      add('kube_pod_status_ready', `${pod},condition="${st}"`, (st === 'true') === running && st !== 'unknown' ? 1 : 0);
      add('kube_pod_status_scheduled', `${pod},condition="${st}"`, st === 'true' ? 1 : 0);
    }
    for (const q of ['BestEffort', 'Burstable', 'Guaranteed'])
      add('kube_pod_status_qos_class', `${pod},qos_class="${q}"`, q === 'Burstable' ? 1 : 0);
    for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
      add('kube_pod_tolerations', `${pod},key="${key}",operator="Exists",effect="NoExecute",toleration_seconds="300"`);
    }
    add(
      'kube_pod_container_info',
      `${c},image_spec="registry.example/app:1.0",image="registry.example/app:1.0",image_id="registry.example/app@sha256:0",container_id="containerd://0"`,
    );
    add('kube_pod_container_status_waiting', c, (p.waiting ?? []).length ? 1 : 0);
    add('kube_pod_container_status_running', c, running ? 1 : 0);
    add('kube_pod_container_status_terminated', c, 0);
    add('kube_pod_container_status_ready', c, running ? 1 : 0);
    add('kube_pod_container_status_restarts_total', c, 0);
    add('kube_pod_container_state_started', c, created + 3);
    add('kube_pod_container_resource_requests', `${c},node="${p.node ?? ''}",resource="cpu",unit="core"`, 0.1);
    add('kube_pod_container_resource_requests', `${c},node="${p.node ?? ''}",resource="memory",unit="byte"`, 134217728);
    add('kube_pod_container_resource_limits', `${c},node="${p.node ?? ''}",resource="memory",unit="byte"`, 268435456);
    i++;
  }
  const namespaces = new Set(cluster.pods.map((p) => p.namespace ?? 'default'));
  for (const ns of namespaces) {
    const n = `namespace="${ns}"`;
    add('kube_namespace_created', n, created);
    add('kube_namespace_labels', n);
    add('kube_namespace_annotations', n);
    for (const ph of ['Active', 'Terminating']) add('kube_namespace_status_phase', `${n},phase="${ph}"`, ph === 'Active' ? 1 : 0);
  }
  const apps = Math.ceil(cluster.pods.length / 3);
  for (let a = 0; a < apps; a++) {
    const ns = cluster.pods[a * 3]?.namespace ?? 'default';
    const d = `namespace="${ns}",deployment="app-${a}"`;
    for (const f of ['created', 'labels', 'annotations', 'metadata_generation', 'status_observed_generation', 'spec_paused'])
      add(`kube_deployment_${f}`, d, f === 'created' ? created : f === 'spec_paused' ? 0 : 1);
    for (const f of [
      'spec_replicas',
      'status_replicas',
      'status_replicas_available',
      'status_replicas_ready',
      'status_replicas_updated',
    ])
      add(`kube_deployment_${f}`, d, 3);
    for (const f of ['status_replicas_unavailable', 'status_terminating_replicas']) add(`kube_deployment_${f}`, d, 0);
    add('kube_deployment_spec_strategy_rollingupdate_max_surge', d);
    add('kube_deployment_spec_strategy_rollingupdate_max_unavailable', d);
    for (const cond of ['Available', 'Progressing']) {
      for (const st of ['true', 'false', 'unknown'])
        add('kube_deployment_status_condition', `${d},condition="${cond}",status="${st}"`, st === 'true' ? 1 : 0);
    }
    for (const rev of ['a', 'b']) {
      const rs = `namespace="${ns}",replicaset="app-${a}-${rev}"`;
      for (const f of ['created', 'labels', 'annotations', 'metadata_generation', 'status_observed_generation'])
        add(`kube_replicaset_${f}`, rs, f === 'created' ? created : 1);
      add('kube_replicaset_owner', `${rs},owner_kind="Deployment",owner_name="app-${a}",owner_is_controller="true"`);
      for (const f of ['spec_replicas', 'status_replicas', 'status_ready_replicas', 'status_fully_labeled_replicas'])
        add(`kube_replicaset_${f}`, rs, rev === 'a' ? 3 : 0);
    }
    const svc = `namespace="${ns}",service="app-${a}"`;
    add('kube_service_created', svc, created);
    add('kube_service_info', `${svc},cluster_ip="10.43.0.${a % 250}",external_name="",load_balancer_ip=""`);
    add('kube_service_labels', svc);
    add('kube_service_annotations', svc);
    add('kube_service_spec_type', `${svc},type="ClusterIP"`);
    const ep = `namespace="${ns}",endpoint="app-${a}"`;
    for (const f of ['created', 'info', 'labels', 'annotations']) add(`kube_endpoint_${f}`, ep, f === 'created' ? created : 1);
    add('kube_endpoint_ports', `${ep},port_name="http",port_protocol="TCP",port_number="8080"`);
    for (let k = 0; k < 3; k++) add('kube_endpoint_address', `${ep},ip="10.42.${a % 250}.${k}",ready="true"`);
    const cm = `namespace="${ns}",configmap="app-${a}"`;
    for (const f of ['created', 'info', 'labels', 'annotations', 'metadata_resource_version'])
      add(`kube_configmap_${f}`, cm, f === 'created' ? created : 1);
    const sec = `namespace="${ns}",secret="app-${a}"`;
    for (const f of ['created', 'info', 'labels', 'annotations', 'metadata_resource_version'])
      add(`kube_secret_${f}`, sec, f === 'created' ? created : 1);
    add('kube_secret_type', `${sec},type="Opaque"`);
    add('kube_secret_owner', `${sec},owner_kind="<none>",owner_name="<none>",owner_is_controller="<none>"`);
  }
  const out: string[] = [];
  for (const [family, lines] of blocks) {
    if (metadata) out.push(`# HELP ${family} kube-state-metrics family (podglow fixture model).`, `# TYPE ${family} gauge`);
    out.push(...lines);
  }
  return out.join('\n') + '\n';
}
