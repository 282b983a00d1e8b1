// The poll loop with clusters: (SPEC §3c): a stale cluster dims and marks only its own LEDs,
// /readyz names it, metrics carry the cluster label, and it comes back by itself.
import { describe, expect, it, vi } from 'vitest';
import { Controller } from '../../src/loop/controller.js';
import { Metrics } from '../../src/metrics.js';
import { emptyAlerts, withClusters, type ClusterSnapshot, type Snapshot } from '../../src/snapshot.js';
import { emptyCounts } from '../../src/states.js';
import { node as readyNode } from '../layout/helpers.js';
import { ScriptedSource, stripController, stripOutput, testConfig, useLoopClock } from './helpers.js';

let controller: Controller | undefined;
useLoopClock(async () => {
  await controller?.stop();
  controller = undefined;
});

const node = (name: string) => readyNode(name, { running: 1 });
const block = (name: string, stale: boolean, age: number | null): ClusterSnapshot => ({
  name,
  nodes: [node(`${name}-1`), node(`${name}-2`)],
  unscheduled: emptyCounts(),
  alerts: emptyAlerts(),
  dataAgeSeconds: age,
  stale,
});
const multi = (cloudStale: boolean): Snapshot =>
  withClusters({ time: new Date().toISOString(), alerts: emptyAlerts(), queries: {} }, [
    block('home', false, 3),
    block('cloud', cloudStale, cloudStale ? 125 : 4),
  ]);

describe('Controller with clusters', () => {
  it('shows a stale cluster dimmed and marked on its own LEDs, names it in /readyz and the metrics, and recovers', async () => {
    let cloudStale = false;
    const source = new ScriptedSource(() => multi(cloudStale));
    const config = testConfig({
      interval: '10s',
      clusters: ['home', 'cloud'],
      outputs: [stripOutput],
    });
    const { c, driver, metrics } = stripController(config, source);
    controller = c;
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(controller.readiness()).toEqual({ ready: true });
    expect(driver.last).toEqual([
      [0, 255, 0],
      [0, 255, 0],
      [0, 255, 0],
      [0, 255, 0],
    ]);

    cloudStale = true;
    await vi.advanceTimersByTimeAsync(10_001);
    expect(controller.readiness()).toEqual({ ready: false, reason: 'stale cluster: cloud (newest data 2m5s old)' });
    // The whole output is not stale: only cloud's two LEDs; its first dims (0.3 of 255 → 77), its last is the status mark.
    expect(controller.stale()).toBe(false);
    expect(controller.outputs()[0]!.staleLeds).toEqual([false, false, true, false]);
    expect(driver.last!.slice(0, 3)).toEqual([
      [0, 255, 0],
      [0, 255, 0],
      [0, 77, 0],
    ]);
    expect(controller.outputs()[0]!.base[3]).toBe('#ff9900');
    expect(controller.outputs()[0]!.blink).toEqual([false, false, false, true]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('podglow_cluster_stale{cluster="cloud"} 1');
    expect(text).toContain('podglow_cluster_stale{cluster="home"} 0');
    expect(text).toContain('podglow_pods{node="cloud-1",state="running",cluster="cloud"} 1');
    expect(text).toMatch(/podglow_data_age_seconds\{cluster="cloud"\} 125/);
    expect(text).toContain('podglow_nodes{cluster="home"} 2');

    cloudStale = false;
    await vi.advanceTimersByTimeAsync(10_001);
    expect(controller.readiness()).toEqual({ ready: true });
    expect(controller.outputs()[0]!.staleLeds).toBeUndefined();
  });

  it('without clusters the metrics carry no cluster label', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.recordSnapshot({ time: 't', nodes: [node('a')], unscheduled: emptyCounts(), alerts: emptyAlerts(), queries: {} });
    const text = await metrics.registry.metrics();
    expect(text).toContain('podglow_pods{node="a",state="running"} 1');
    expect(text).toContain('podglow_nodes 1');
    expect(text).not.toContain('cluster=');
  });
});
