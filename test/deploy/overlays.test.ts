import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { IContainer, IPodSpec, IProbe } from 'kubernetes-models/v1';
import { parseConfig, ConfigError } from '../../src/config/load.js';
import { kustomize, validateObject, only, ROOT, type K8sObject } from './render.js';

/** What the server listens on and answers (SPEC §9; server.port default). */
const SERVER = { port: 9810, liveness: '/healthz', readiness: '/readyz', metrics: '/metrics' };
const EXAMPLE_URL = 'http://prometheus-k8s.monitoring.svc:9090';
const RBAC_KINDS = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'];

const OVERLAYS = {
  unicornhat: { kind: 'Deployment', outputs: ['unicornhat', 'web'], podSecurity: 'privileged' },
  blinkstick: { kind: 'DaemonSet', outputs: ['blinkstick', 'web'], podSecurity: 'privileged' },
  preview: { kind: 'Deployment', outputs: ['web'], podSecurity: 'restricted' },
  'unicornhat-pi5': { kind: 'Deployment', outputs: ['unicornhat', 'web'], podSecurity: 'privileged' },
  wled: { kind: 'Deployment', outputs: ['wled', 'web'], podSecurity: 'restricted' },
} as const;
type Overlay = keyof typeof OVERLAYS;

const rendered = {} as Record<Overlay, K8sObject[]>;

beforeAll(() => {
  for (const name of Object.keys(OVERLAYS) as Overlay[]) rendered[name] = kustomize(`deploy/overlays/${name}`);
});

type Workload = K8sObject & {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: IPodSpec };
  };
};

function workload(objs: K8sObject[]): Workload {
  const w = objs.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet');
  expect(w, 'exactly one workload').toHaveLength(1);
  return w[0] as Workload;
}

function podglowContainer(objs: K8sObject[]): IContainer {
  const c = workload(objs).spec.template.spec.containers.find((x) => x.name === 'podglow');
  if (!c) throw new Error('no container named podglow');
  return c;
}

/**
 * The environment the container would see: literal env, ConfigMaps named by envFrom,
 * and a stand-in value for downward-API fields (the node name is only known in the cluster).
 */
function containerEnv(objs: K8sObject[]): Record<string, string> {
  const c = podglowContainer(objs);
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const cm = only(objs, 'ConfigMap', from.configMapRef!.name) as K8sObject & { data: Record<string, string> };
    Object.assign(env, cm.data);
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName') env[e.name] = 'pi-2';
  }
  return env;
}

/** The config file the container reads: the ConfigMap mounted at the directory --config points into. */
function mountedConfig(objs: K8sObject[]): unknown {
  const w = workload(objs);
  const c = podglowContainer(objs);
  const args = c.args ?? [];
  const path = args[args.indexOf('--config') + 1];
  expect(args[0]).toBe('run');
  expect(path, '--config argument').toMatch(/^\/.+\/[^/]+$/);
  const dir = path!.slice(0, path!.lastIndexOf('/'));
  const file = path!.slice(path!.lastIndexOf('/') + 1);
  const mount = c.volumeMounts?.find((m) => m.mountPath === dir);
  expect(mount, `a volume mounted at ${dir}`).toBeDefined();
  const volume = w.spec.template.spec.volumes?.find((v) => v.name === mount!.name);
  const cmName = volume?.configMap?.name;
  expect(cmName, `volume ${mount!.name} is a ConfigMap`).toBeDefined();
  const cm = only(objs, 'ConfigMap', cmName) as K8sObject & { data: Record<string, string> };
  expect(cm.data[file], `ConfigMap ${cmName} has key ${file}`).toBeDefined();
  return parseYaml(cm.data[file]!);
}

function probePort(c: IContainer, p: IProbe | undefined): number | undefined {
  const port = p?.httpGet?.port;
  if (typeof port === 'number') return port;
  return c.ports?.find((x) => x.name === port)?.containerPort;
}

describe.each(Object.keys(OVERLAYS) as Overlay[])('deploy/overlays/%s', (name) => {
  const objs = (): K8sObject[] => rendered[name];

  it('renders, and every object validates against its Kubernetes schema', () => {
    expect(objs().length).toBeGreaterThanOrEqual(5);
    for (const o of objs()) validateObject(o);
    expect(
      objs()
        .map((o) => o.kind)
        .sort(),
    ).toEqual(['ConfigMap', 'ConfigMap', OVERLAYS[name].kind, 'Namespace', 'Service'].sort());
  });

  it('puts everything in namespace podglow with the recommended labels', () => {
    only(objs(), 'Namespace', 'podglow');
    for (const o of objs().filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace, o.kind).toBe('podglow');
    for (const o of objs()) {
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'podglow',
        'app.kubernetes.io/instance': 'podglow',
        'app.kubernetes.io/part-of': 'podglow',
        'app.kubernetes.io/managed-by': 'kustomize',
      });
    }
  });

  it('labels the namespace with the Pod Security level its pod needs', () => {
    const level = OVERLAYS[name].podSecurity;
    expect(only(objs(), 'Namespace', 'podglow').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': level,
      'pod-security.kubernetes.io/warn': level,
      'pod-security.kubernetes.io/audit': level,
    });
    expect(podglowContainer(objs()).securityContext?.privileged ?? false).toBe(level === 'privileged');
  });

  it('has no RBAC and mounts no ServiceAccount token', () => {
    expect(objs().filter((o) => RBAC_KINDS.includes(o.kind) || o.kind === 'ServiceAccount')).toEqual([]);
    const pod = workload(objs()).spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName ?? 'default').toBe('default');
    expect(pod.volumes?.some((v) => v.projected?.sources?.some((s) => s.serviceAccountToken))).toBeFalsy();
  });

  it('turns off service links, which would set PODGLOW_PORT=tcp://… and break the config', () => {
    expect(workload(objs()).spec.template.spec.enableServiceLinks).toBe(false);
    // What the kubelet would inject for the Service named podglow, were links on.
    const env = { ...containerEnv(objs()), PODGLOW_PORT: 'tcp://10.43.0.17:9810' };
    expect(() => parseConfig(mountedConfig(objs()), { env })).toThrow(/PODGLOW_PORT/);
  });

  it("mounts a config that passes podglow's own validation with the container's environment", () => {
    const env = containerEnv(objs());
    const config = parseConfig(mountedConfig(objs()), { env, source: `overlay ${name}` });
    expect(config.source).toBe('prometheus');
    expect(config.outputs.map((o) => o.type)).toEqual(OVERLAYS[name].outputs);
    expect(config.server).toMatchObject({ enabled: true, address: '0.0.0.0', port: SERVER.port });
  });

  it('sets the Prometheus URL in one place: PODGLOW_PROMETHEUS_URL in the overlay', () => {
    const env = containerEnv(objs());
    expect(env.PODGLOW_PROMETHEUS_URL).toBe(EXAMPLE_URL);
    const raw = mountedConfig(objs()) as { prometheus?: { url?: string } };
    expect(raw.prometheus?.url, 'the config file leaves the URL to the overlay').toBeUndefined();
    const { PODGLOW_PROMETHEUS_URL: _, ...withoutUrl } = env;
    expect(() => parseConfig(raw, { env: withoutUrl })).toThrow(ConfigError);
    expect(parseConfig(raw, { env }).prometheus.url).toBe(EXAMPLE_URL);
  });

  it("probes the server's health endpoints on its port", () => {
    const c = podglowContainer(objs());
    expect(c.ports).toEqual([{ name: 'http-metrics', containerPort: SERVER.port, protocol: 'TCP' }]);
    expect(c.livenessProbe?.httpGet?.path).toBe(SERVER.liveness);
    expect(c.startupProbe?.httpGet?.path).toBe(SERVER.liveness);
    expect(c.readinessProbe?.httpGet?.path).toBe(SERVER.readiness);
    for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe]) expect(probePort(c, p)).toBe(SERVER.port);
  });

  it('exposes the metrics port on the Service, with scrape annotations, even while not ready', () => {
    const svc = only(objs(), 'Service', 'podglow') as K8sObject & {
      spec: {
        ports: { name: string; port: number; targetPort: string | number }[];
        selector: Record<string, string>;
        publishNotReadyAddresses?: boolean;
      };
    };
    expect(svc.spec.ports).toEqual([{ name: 'http-metrics', port: SERVER.port, targetPort: 'http-metrics', protocol: 'TCP' }]);
    expect(svc.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(SERVER.port),
      'prometheus.io/path': SERVER.metrics,
    });
    // /readyz is 503 while stale: the pod must stay behind the Service to be scraped.
    expect(svc.spec.publishNotReadyAddresses).toBe(true);
    const w = workload(objs());
    expect(w.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
    expect(w.spec.selector.matchLabels).toEqual(svc.spec.selector);
  });

  it('sets resources and a grace period that fits the 5 s shutdown', () => {
    const c = podglowContainer(objs());
    expect(c.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.resources?.limits).toMatchObject({ memory: expect.any(String) });
    const grace = workload(objs()).spec.template.spec.terminationGracePeriodSeconds!;
    expect(grace).toBeGreaterThan(5);
    expect(grace).toBeLessThanOrEqual(30);
  });

  it('uses a real image reference, and seccomp RuntimeDefault', () => {
    expect(podglowContainer(objs()).image).toMatch(/^[a-z0-9.-]+(\/[a-z0-9._-]+)+:[\w.-]+$/);
    expect(workload(objs()).spec.template.spec.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
  });
});

describe('deploy/overlays/unicornhat', () => {
  const objs = (): K8sObject[] => rendered.unicornhat;

  it('runs one pod, pinned to the labelled Pi, replaced with Recreate', () => {
    const d = only(objs(), 'Deployment', 'podglow') as K8sObject & {
      spec: { replicas: number; strategy: { type: string; rollingUpdate?: unknown }; template: { spec: IPodSpec } };
    };
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(d.spec.template.spec.nodeSelector).toEqual({ 'podglow.io/unicornhat': 'true' });
  });

  it('is privileged and root, with /dev/mem named, because ws281x drives DMA through /dev/mem', () => {
    const pod = workload(objs()).spec.template.spec;
    const c = podglowContainer(objs());
    expect(c.securityContext?.privileged).toBe(true);
    expect(pod.securityContext?.runAsUser).toBe(0);
    expect(pod.securityContext?.runAsNonRoot).toBe(false);
    const mount = c.volumeMounts?.find((m) => m.mountPath === '/dev/mem');
    const vol = pod.volumes?.find((v) => v.name === mount?.name);
    expect(vol?.hostPath).toEqual({ path: '/dev/mem', type: 'CharDevice' });
  });
});

describe('deploy/overlays/blinkstick', () => {
  const objs = (): K8sObject[] => rendered.blinkstick;

  it('is a DaemonSet on labelled nodes with no Deployment-only fields left over', () => {
    const ds = only(objs(), 'DaemonSet', 'podglow') as K8sObject & {
      spec: Record<string, unknown> & { template: { spec: IPodSpec } };
    };
    // kubernetes-models ignores unknown fields, so check the kind change left none.
    expect(ds.spec).not.toHaveProperty('replicas');
    expect(ds.spec).not.toHaveProperty('strategy');
    expect(ds.spec.updateStrategy).toMatchObject({ type: 'RollingUpdate' });
    expect(ds.spec.template.spec.nodeSelector).toEqual({ 'podglow.io/blinkstick': 'true' });
  });

  it('gets NODE_NAME from the downward API, and the summary layout uses it', () => {
    const c = podglowContainer(objs());
    expect(c.env?.find((e) => e.name === 'NODE_NAME')).toEqual({
      name: 'NODE_NAME',
      valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } },
    });
    const config = parseConfig(mountedConfig(objs()), { env: containerEnv(objs()) });
    const stick = config.outputs.find((o) => o.type === 'blinkstick');
    // No fixed node in the file: the layout falls back to NODE_NAME (SPEC §5).
    expect(stick?.layout).toMatchObject({ type: 'summary' });
    expect(stick?.layout?.type === 'summary' && stick.layout.node).toBeUndefined();
  });

  it('reaches the hidraw device through the host /dev in a privileged container', () => {
    const pod = workload(objs()).spec.template.spec;
    const c = podglowContainer(objs());
    expect(c.securityContext?.privileged).toBe(true);
    const mount = c.volumeMounts?.find((m) => m.mountPath === '/dev');
    const vol = pod.volumes?.find((v) => v.name === mount?.name);
    expect(vol?.hostPath).toEqual({ path: '/dev', type: 'Directory' });
  });
});

describe.each(['preview', 'wled'] as const)('deploy/overlays/%s', (name) => {
  const objs = (): K8sObject[] => rendered[name];

  it('is hardened: non-root, read-only root, no capabilities, no privilege escalation, seccomp', () => {
    const pod = workload(objs()).spec.template.spec;
    const c = podglowContainer(objs());
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext?.runAsUser).not.toBe(0);
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    // The volume types the restricted Pod Security Standard allows.
    const allowed = ['configMap', 'emptyDir', 'secret', 'projected', 'downwardAPI', 'persistentVolumeClaim', 'ephemeral', 'csi'];
    for (const v of pod.volumes ?? [])
      expect(
        Object.keys(v)
          .filter((k) => k !== 'name')
          .every((k) => allowed.includes(k)),
        v.name,
      ).toBe(true);
    expect(pod.hostNetwork ?? false).toBe(false);
    expect(pod.nodeSelector).toBeUndefined();
  });
});

describe('deploy/overlays/unicornhat-pi5', () => {
  const objs = (): K8sObject[] => rendered['unicornhat-pi5'];

  it('mounts only /dev/leds0 (no /dev/mem), as the non-root user, pinned and replaced with Recreate', () => {
    const d = only(objs(), 'Deployment', 'podglow') as K8sObject & {
      spec: { replicas: number; strategy: { type: string }; template: { spec: IPodSpec } };
    };
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    const pod = d.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ 'podglow.io/unicornhat': 'true' });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    const c = podglowContainer(objs());
    // Privileged only for the device cgroup (see the overlay's text), never root.
    expect(c.securityContext?.privileged).toBe(true);
    const hostPaths = (pod.volumes ?? []).filter((v) => v.hostPath).map((v) => v.hostPath);
    expect(hostPaths).toEqual([{ path: '/dev/leds0', type: 'CharDevice' }]);
    expect(c.volumeMounts?.map((m) => m.mountPath)).toContain('/dev/leds0');
    expect(c.volumeMounts?.map((m) => m.mountPath)).not.toContain('/dev/mem');
  });

  it('configures the HAT for the pio backend on the device it mounts', () => {
    const config = parseConfig(mountedConfig(objs()), { env: containerEnv(objs()) });
    const hat = config.outputs.find((o) => o.type === 'unicornhat');
    expect(hat).toMatchObject({ backend: 'pio', device: '/dev/leds0', gpio: 18 });
  });
});

describe('deploy/overlays/wled', () => {
  it('needs no device, no host path and no node label; the WLED output has a size so it starts while the device is off', () => {
    const objs = rendered.wled;
    const pod = workload(objs).spec.template.spec;
    expect(pod.volumes?.some((v) => v.hostPath)).toBeFalsy();
    expect(pod.nodeSelector).toBeUndefined();
    const config = parseConfig(mountedConfig(objs), { env: containerEnv(objs) });
    const w = config.outputs.find((o) => o.type === 'wled');
    expect(w).toMatchObject({ port: 4048, width: 16, height: 16 });
  });
});

describe('deploy/udev', () => {
  it('ships a rule for the ws2812-pio device class the pio backend names', () => {
    const rule = readFileSync(join(ROOT, 'deploy/udev/99-ws2812-pio.rules'), 'utf8');
    // raspberrypi/linux drivers/misc/ws2812-pio-rp1.c: class_create(DRIVER_NAME "ws2812-pio-rp1"), nodes "leds%d".
    expect(rule).toMatch(/^SUBSYSTEM=="ws2812-pio-rp1", KERNEL=="leds\[0-9\]\*", MODE="0666"$/m);
  });
});

describe('deploy/components', () => {
  it('servicemonitor adds a valid ServiceMonitor that selects the Service and its named port', () => {
    const objs = kustomize('deploy/components/servicemonitor');
    const sm = only(objs, 'ServiceMonitor', 'podglow') as K8sObject & {
      spec: {
        selector: { matchLabels: Record<string, string> };
        namespaceSelector: { matchNames: string[] };
        endpoints: { port: string; path: string }[];
      };
    };
    validateObject(sm);
    const svc = only(rendered.preview, 'Service', 'podglow');
    expect(svc.metadata.labels).toMatchObject(sm.spec.selector.matchLabels);
    expect(sm.metadata.namespace).toBe('podglow');
    expect(sm.spec.namespaceSelector.matchNames).toEqual(['podglow']);
    expect(sm.spec.endpoints).toEqual([expect.objectContaining({ port: 'http-metrics', path: SERVER.metrics })]);
  });

  it('kube-prometheus-access only lets Prometheus read targets in podglow; podglow gets nothing', () => {
    const objs = kustomize('deploy/components/kube-prometheus-access');
    for (const o of objs) validateObject(o);
    const role = only(objs, 'Role') as K8sObject & { rules: { verbs: string[] }[] };
    const binding = only(objs, 'RoleBinding') as K8sObject & { subjects: { kind: string; name: string; namespace: string }[] };
    expect(role.metadata.namespace).toBe('podglow');
    for (const r of role.rules) expect(r.verbs.sort()).toEqual(['get', 'list', 'watch']);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'prometheus-k8s', namespace: 'monitoring' }]);
    expect(objs.map((o) => o.kind).sort()).toEqual(['Role', 'RoleBinding']);
  });

  it('both components render into an overlay that lists them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podglow-overlay-'));
    try {
      // kustomize refuses absolute paths to other kustomizations.
      const deploy = relative(dir, join(ROOT, 'deploy'));
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        `resources: [${deploy}/overlays/preview]\ncomponents: [${deploy}/components/servicemonitor, ${deploy}/components/kube-prometheus-access]\n`,
      );
      const objs = kustomize(dir);
      for (const o of objs) validateObject(o);
      expect(objs.map((o) => o.kind)).toEqual(expect.arrayContaining(['ServiceMonitor', 'Role', 'RoleBinding', 'Deployment']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
