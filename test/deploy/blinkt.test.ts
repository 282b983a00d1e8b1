import { beforeAll, describe, expect, it } from 'vitest';
import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import { parse as parseYaml } from 'yaml';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outputFrames } from '../../src/cli/frame.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { art, blinkArt, DEFAULT_LEGEND, node, snapshot } from '../layout/helpers.js';
import { kustomize, only, ROOT, validateObject, type K8sObject } from './render.js';

// deploy/overlays/blinkt: a DaemonSet on every ARM node, each pod driving its own node's
// Blinkt! and showing that node's pods, one LED per pod, with an overflow LED.

let objs: K8sObject[];
beforeAll(() => {
  objs = kustomize('deploy/overlays/blinkt');
});

type Workload = K8sObject & { spec: Record<string, unknown> & { template: { spec: IPodSpec } } };
const pod = (): IPodSpec => (only(objs, 'DaemonSet', 'podglow') as Workload).spec.template.spec;
const container = (): IContainer => pod().containers.find((c) => c.name === 'podglow')!;

function overlayConfig(file = 'podglow.yaml', nodeName = 'pi-2'): Config {
  const raw = parseYaml(readFileSync(join(ROOT, 'deploy/overlays/blinkt', file), 'utf8')) as unknown;
  return parseConfig(raw, { env: { PODGLOW_PROMETHEUS_URL: 'http://prometheus-k8s.monitoring.svc:9090', NODE_NAME: nodeName } });
}

describe('deploy/overlays/blinkt', () => {
  it('renders a DaemonSet and the base objects, each valid against its Kubernetes schema, no RBAC', () => {
    for (const o of objs) validateObject(o);
    expect(objs.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'ConfigMap', 'DaemonSet', 'Namespace', 'Service']);
    const ds = only(objs, 'DaemonSet', 'podglow') as Workload;
    expect(ds.spec).not.toHaveProperty('replicas');
    expect(ds.spec).not.toHaveProperty('strategy');
    expect(pod().automountServiceAccountToken).toBe(false);
    expect(pod().enableServiceLinks).toBe(false);
  });

  it('needs no node label: every ARM node, control plane included', () => {
    expect(pod().nodeSelector).toBeUndefined();
    expect(pod().affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64', 'arm'] }] },
    ]);
    expect(pod().tolerations).toContainEqual({
      key: 'node-role.kubernetes.io/control-plane',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
    expect(container().env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
  });

  it('least privilege: not privileged, no capabilities, no device; only the host /sys writable and AppArmor lifted', () => {
    const sc = container().securityContext!;
    expect(sc.privileged).toBe(false);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    expect(sc.capabilities).toEqual({ drop: ['ALL'] });
    const hostPaths = (pod().volumes ?? []).filter((v) => v.hostPath).map((v) => v.hostPath);
    expect(hostPaths).toEqual([{ path: '/sys', type: 'Directory' }]);
    const mount = container().volumeMounts!.find((m) => m.mountPath === '/sys');
    expect(mount?.readOnly ?? false).toBe(false);
    expect(container().volumeMounts!.some((m) => m.mountPath.startsWith('/dev'))).toBe(false);
    // Root owns the sysfs GPIO files; the namespace admits the hostPath volume.
    expect(pod().securityContext).toMatchObject({ runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } });
    expect(only(objs, 'Namespace', 'podglow').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'privileged',
    });
  });

  it('mounts the overlay config, which podglow accepts: a blinkt output and an 8 × 1 preview on this node', () => {
    const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('podglow-config')) as K8sObject & {
      data: Record<string, string>;
    };
    expect(parseYaml(cm.data['podglow.yaml']!)).toEqual(
      parseYaml(readFileSync(join(ROOT, 'deploy/overlays/blinkt/podglow.yaml'), 'utf8')),
    );
    const config = overlayConfig();
    expect(config.outputs.map((o) => o.type)).toEqual(['blinkt', 'web']);
    expect(config.outputs[0]).toMatchObject({
      type: 'blinkt',
      reverse: false,
      gamma: true,
      layout: { type: 'matrix', node: '$NODE_NAME' },
    });
    expect(overlayConfig('podglow-nodes.yaml').outputs.map((o) => [o.type, o.layout?.type])).toEqual([
      ['blinkt', 'nodes'],
      ['web', 'nodes'],
    ]);
  });
});

describe('golden frames of the overlay config on node pi-2 (this node; the others are not shown)', () => {
  const others = [node('pi-1', { running: 6, failed: 2 }), node('pi-3', { pending: 4 })];
  const frame = (pods: Parameters<typeof node>[1], extra: Parameters<typeof node>[2] = {}) => {
    const [blinkt, preview] = outputFrames(overlayConfig(), snapshot([others[0]!, node('pi-2', pods, extra), others[1]!]), {
      nodeName: 'pi-2',
    });
    expect(preview!.frame.leds).toEqual(blinkt!.frame.leds);
    return blinkt!.frame;
  };

  it('3 pods: one LED each in fill order, the rest off', () => {
    expect(art(frame({ running: 2, pending: 1 }), DEFAULT_LEGEND)).toEqual(['GGA.....']);
  });

  it('8 pods: every LED a pod, the crash-looping one blinking', () => {
    const f = frame({ running: 5, pending: 1, terminating: 1, crashing: 1 });
    expect(art(f, DEFAULT_LEGEND)).toEqual(['GGGGGABX']);
    expect(blinkArt(f)).toEqual(['.......*']);
  });

  it('12 pods: seven LEDs by severity (the failed and crashing pods kept), the eighth the overflow marker', () => {
    expect(art(frame({ running: 9, pending: 1, crashing: 1, failed: 1 }), DEFAULT_LEGEND)).toEqual(['GGGGAXXO']);
  });

  it('a NotReady node: its pods, then its background on the unlit LEDs', () => {
    expect(art(frame({ running: 3 }, { ready: false }), DEFAULT_LEGEND)).toEqual(['GGGNNNNN']);
  });

  it('one LED per node (podglow-nodes.yaml): up to eight nodes, each its worst state', () => {
    const [blinkt] = outputFrames(
      overlayConfig('podglow-nodes.yaml'),
      snapshot([
        node('pi-1', { running: 3 }),
        node('pi-2', { running: 2, crashing: 1 }),
        node('pi-3', { running: 1 }, { ready: false }),
        node('pi-4'),
      ]),
    );
    expect(art(blinkt!.frame, DEFAULT_LEGEND)).toEqual(['GXN.....']);
  });
});

describe('deploy/systemd/blinkt.conf (a Pi outside the cluster)', () => {
  /** systemd-analyze on the unit with the drop-in appended (a repeated [Service] section merges like a drop-in). */
  function analyze(args: string[]): { ok: boolean; output: string } {
    const dir = mkdtempSync(join(tmpdir(), 'podglow-unit-'));
    try {
      const unit = readFileSync(join(ROOT, 'deploy/systemd/podglow.service'), 'utf8').replace(
        'ExecStart=podglow ',
        `ExecStart=${process.execPath} `,
      );
      const file = join(dir, 'podglow.service');
      writeFileSync(file, `${unit}\n${readFileSync(join(ROOT, 'deploy/systemd/blinkt.conf'), 'utf8')}`);
      const r = spawnSync('systemd-analyze', [...args, file], { encoding: 'utf8', timeout: 30_000 });
      return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('with the unit: verifies, runs as a dynamic user in the gpio group, no capability, no device, /sys writable', () => {
    const text = readFileSync(join(ROOT, 'deploy/systemd/blinkt.conf'), 'utf8');
    const set = (k: string) => [...text.matchAll(new RegExp(`^${k}=(.*)$`, 'gm'))].map((m) => m[1]);
    expect(set('DynamicUser')).toEqual(['yes']);
    expect(set('SupplementaryGroups')).toEqual(['gpio']);
    expect(set('CapabilityBoundingSet')).toEqual(['']);
    expect(set('DeviceAllow')).toEqual(['']);
    expect(set('ProtectKernelTunables')).toEqual(['no']);
    const r = analyze(['verify']);
    expect(r.ok, r.output).toBe(true);
    const level = Number(
      /Overall exposure level for podglow\.service: ([\d.]+)/.exec(analyze(['security', '--offline=yes']).output)?.[1],
    );
    expect(level).toBeLessThanOrEqual(3);
  });

  it('the udev rule gives the gpio group the export files and each exported line', () => {
    const rule = readFileSync(join(ROOT, 'deploy/udev/99-gpio-sysfs.rules'), 'utf8');
    expect(rule).toMatch(
      /^SUBSYSTEM=="gpio", KERNEL=="gpiochip\*", ACTION=="add", PROGRAM=".*chgrp -R gpio \/sys\/class\/gpio.*"$/m,
    );
    expect(rule).toMatch(/^SUBSYSTEM=="gpio", ACTION=="add", PROGRAM=".*chgrp -R gpio \/sys%p && chmod -R g=u \/sys%p.*"$/m);
  });
});
