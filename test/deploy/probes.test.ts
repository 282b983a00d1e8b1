import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import { kustomize, only, ROOT, type K8sObject } from './render.js';
import { freePort } from '../helpers/prometheus.js';

/**
 * Runs podglow as the preview overlay's pod would (its ConfigMap, its environment, its
 * args) with Prometheus unreachable, and asks the server what the kubelet would ask.
 */
describe('deploy/overlays/preview against the real server', () => {
  let objs: K8sObject[];
  let pod: IPodSpec;
  let container: IContainer;
  let child: ChildProcess;
  let dir: string;
  let base: string;
  let stderr = '';

  beforeAll(async () => {
    objs = kustomize('deploy/overlays/preview');
    pod = (only(objs, 'Deployment', 'podglow') as unknown as { spec: { template: { spec: IPodSpec } } }).spec.template.spec;
    container = pod.containers.find((c) => c.name === 'podglow')!;
    const configVolume = pod.volumes!.find((v) => v.configMap)!;
    const mountPath = container.volumeMounts!.find((m) => m.name === configVolume.name)!.mountPath;
    const cm = only(objs, 'ConfigMap', configVolume.configMap!.name) as K8sObject & { data: Record<string, string> };
    const envCm = only(objs, 'ConfigMap', container.envFrom![0]!.configMapRef!.name) as K8sObject & {
      data: Record<string, string>;
    };

    dir = mkdtempSync(join(tmpdir(), 'podglow-pod-'));
    for (const [file, text] of Object.entries(cm.data)) writeFileSync(join(dir, file), text);
    // The pod's args, with the ConfigMap's mount point moved to the scratch directory.
    const args = container.args!.map((a) => a.replace(mountPath, dir));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('PODGLOW_') && k !== 'NODE_NAME'),
    );
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: ROOT,
      env: {
        ...inherited,
        ...envCm.data,
        // Nothing listens on port 1: every poll fails, as when Prometheus is down.
        PODGLOW_PROMETHEUS_URL: 'http://127.0.0.1:1',
        PODGLOW_PORT: String(port),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 40_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`podglow exited with ${child.exitCode}: ${stderr}`);
      const up = await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      if (Date.now() > deadline) throw new Error(`podglow did not answer /healthz within 40 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 60_000);

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stays alive (liveness and startup probes pass) while Prometheus is down', async () => {
    for (const probe of [container.livenessProbe, container.startupProbe]) {
      const r = await fetch(`${base}${probe!.httpGet!.path}`);
      expect(r.status, probe!.httpGet!.path).toBe(200);
    }
  });

  it('is not ready, with the reason, before the first good poll', async () => {
    const r = await fetch(`${base}${container.readinessProbe!.httpGet!.path}`);
    expect(r.status).toBe(503);
    expect(await r.text()).toMatch(/poll|stale|prometheus|connection/i);
  });

  it("serves its metrics on the Service's annotated path, showing the failed polls", async () => {
    const svc = only(objs, 'Service', 'podglow');
    const failedPoll = /^podglow_poll_errors_total\{reason="[a-z_]+"\} [1-9]/m;
    // The first poll may still be in flight when /healthz first answers.
    let text = '';
    for (let i = 0; i < 50 && !failedPoll.test(text); i++) {
      if (i) await new Promise((r) => setTimeout(r, 200));
      const r = await fetch(`${base}${svc.metadata.annotations!['prometheus.io/path']}`);
      expect(r.status).toBe(200);
      text = await r.text();
    }
    expect(text).toMatch(failedPoll);
  });

  it('exits 0 on SIGTERM well within terminationGracePeriodSeconds', async () => {
    const grace = pod.terminationGracePeriodSeconds!;
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const code = await exited;
    const seconds = (Date.now() - started) / 1000;
    expect(code, stderr).toBe(0);
    // SPEC §6: within 5 s; the grace period leaves room beyond that.
    expect(seconds).toBeLessThan(5);
    expect(grace).toBeGreaterThan(5);
  }, 15_000);
});
