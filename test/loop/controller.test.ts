import { describe, expect, it, vi } from 'vitest';
import type { Counter, Gauge } from 'prom-client';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { Controller } from '../../src/loop/controller.js';
import { PollError } from '../../src/source/errors.js';
import type { Config } from '../../src/config/schema.js';
import { BLINK_HALF_PERIOD_MS } from '../../src/effects/pipeline.js';
import { RecordingDriver } from '../fakes/recordingDriver.js';
import { pagedMatrixOutput, ScriptedSource, snap, testConfig, useLoopClock } from './helpers.js';

const GREEN = [0, 255, 0];
const AMBER = [255, 153, 0];
const OFF = [0, 0, 0];

let controller: Controller | undefined;

useLoopClock(async () => {
  await controller?.stop();
  controller = undefined;
});

function nodesOutput(name: string, extra: Record<string, unknown> = {}) {
  return { type: 'terminal' as const, name, width: 4, height: 1, brightness: 1, layout: { type: 'nodes' as const }, ...extra };
}

function setup(config: Config, source: ScriptedSource, drivers?: RecordingDriver[]) {
  const metrics = new Metrics({ defaultMetrics: false });
  const ds = drivers ?? config.outputs.map((o) => new RecordingDriver({ name: o.name! }));
  controller = new Controller({
    config,
    source,
    outputs: config.outputs.map((o, i) => ({ name: o.name!, config: o, driver: ds[i]! })),
    metrics,
    log: silentLogger,
  });
  return { c: controller, metrics, drivers: ds };
}

async function gauge(g: Gauge | Counter, labels: Record<string, string> = {}) {
  const v = (await g.get()).values.find((x) =>
    Object.entries(labels).every(([k, val]) => (x.labels as Record<string, unknown>)[k] === val),
  );
  return v?.value;
}

describe('Controller', () => {
  it('polls at once, then on the interval, and shows each good snapshot', async () => {
    const source = new ScriptedSource(() => snap({ a: { running: 3 }, b: { running: 1 } }));
    const { c, drivers, metrics } = setup(testConfig({ interval: '10s', outputs: [nodesOutput('strip')] }), source);
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(source.polls).toHaveLength(1);
    expect(drivers[0]!.last).toEqual([GREEN, GREEN, OFF, OFF]);
    expect(c.readiness()).toEqual({ ready: true });
    expect(c.snapshot()?.nodes).toHaveLength(2);
    expect(c.outputs()[0]).toMatchObject({
      name: 'strip',
      type: 'terminal',
      width: 4,
      height: 1,
      base: ['#00ff00', '#00ff00', '#000000', '#000000'],
      brightness: 1,
      up: true,
      page: 0,
      pages: 1,
    });
    await vi.advanceTimersByTimeAsync(30_001);
    expect(source.polls).toHaveLength(4);
    expect(await gauge(metrics.polls, { result: 'success' })).toBe(4);
    expect(await gauge(metrics.nodes)).toBe(2);
    expect(await gauge(metrics.pods, { node: 'a', state: 'running' })).toBe(3);
    expect(await gauge(metrics.stale)).toBe(0);
    expect(await gauge(metrics.lastSuccess)).toBe(Date.now() / 1000);
    expect((await metrics.pollDuration.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(4);
  });

  it('walks the status LED until the first good poll', async () => {
    const source = new ScriptedSource(() => snap({ a: { running: 1 } }));
    source.delayMs = 5000;
    const { c, drivers } = setup(testConfig({ outputs: [nodesOutput('strip')] }), source);
    c.start();
    await vi.advanceTimersByTimeAsync(4000);
    const walker = drivers[0]!.shows;
    expect(walker.length).toBeGreaterThan(4);
    for (const leds of walker) expect(leds.filter((l) => l[0] || l[1] || l[2])).toEqual([AMBER]);
    expect(c.readiness()).toEqual({ ready: false, reason: 'waiting for the first successful poll' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(drivers[0]!.last).toEqual([GREEN, OFF, OFF, OFF]);
  });

  it('never overlaps polls when a poll is slower than the interval', async () => {
    const source = new ScriptedSource(() => snap({ a: { running: 1 } }));
    source.delayMs = 25_000;
    // The poll deadline is prometheus.timeout (+1 s): give the 25 s polls room to answer.
    const { c, metrics } = setup(
      testConfig({ interval: '10s', staleAfter: '5m', prometheus: { timeout: '30s' }, outputs: [nodesOutput('strip')] }),
      source,
    );
    c.start();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(source.maxActive).toBe(1);
    for (let i = 1; i < source.polls.length; i++)
      expect(source.polls[i]!.start).toBeGreaterThanOrEqual(source.polls[i - 1]!.end!);
    // 25 s polls, next slot on the 10 s grid: one poll every 30 s.
    expect(source.polls.length).toBeGreaterThanOrEqual(4);
    expect(source.polls.length).toBeLessThanOrEqual(5);
    expect(await gauge(metrics.polls, { result: 'success' })).toBe(source.polls.filter((p) => p.end).length);
  });

  it('also never overlaps on a fixed-rate interval that is no cron expression (7s)', async () => {
    const source = new ScriptedSource(() => snap({ a: { running: 1 } }));
    source.delayMs = 10_000;
    const { c } = setup(testConfig({ interval: '7s', outputs: [nodesOutput('strip')] }), source);
    c.start();
    await vi.advanceTimersByTimeAsync(70_000);
    expect(source.maxActive).toBe(1);
    expect(source.polls.length).toBeGreaterThanOrEqual(5);
  });

  it('goes stale after staleAfter (default 3 × interval) and recovers on the next good poll', async () => {
    let fail = false;
    const source = new ScriptedSource(() =>
      fail ? new PollError('connection', 'connect ECONNREFUSED 127.0.0.1:9090') : snap({ a: { running: 1 }, b: { running: 2 } }),
    );
    const { c, drivers, metrics } = setup(testConfig({ interval: '10s', outputs: [nodesOutput('strip')] }), source);
    expect(c.staleAfterMs).toBe(30_000);
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    fail = true;
    await vi.advanceTimersByTimeAsync(29_000);
    expect(c.stale()).toBe(false);
    expect(c.lastError()).toBe('connect ECONNREFUSED 127.0.0.1:9090');
    expect(await gauge(metrics.pollErrors, { reason: 'connection' })).toBe(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(c.stale()).toBe(true);
    expect(await gauge(metrics.stale)).toBe(1);
    expect(c.readiness()).toEqual({
      ready: false,
      reason: 'stale: no good poll for 30s (last error: connect ECONNREFUSED 127.0.0.1:9090)',
    });
    const view = c.outputs()[0]!;
    expect(view.blink).toEqual([false, false, false, true]);
    expect(view.base).toEqual(['#00ff00', '#00ff00', '#000000', '#000000']);
    // Dimmed frame plus the amber status LED, blinking on the last LED.
    const on = drivers[0]!.last!;
    expect(on.slice(0, 2)).toEqual([
      [0, 77, 0],
      [0, 77, 0],
    ]);
    expect([AMBER, OFF]).toContainEqual(on[3]);
    await vi.advanceTimersByTimeAsync(BLINK_HALF_PERIOD_MS);
    expect(drivers[0]!.last![3]).toEqual(on[3]![0] ? OFF : AMBER);

    fail = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(c.stale()).toBe(false);
    expect(c.lastError()).toBeNull();
    expect(await gauge(metrics.stale)).toBe(0);
    expect(drivers[0]!.last).toEqual([GREEN, GREEN, OFF, OFF]);
    expect(c.outputs()[0]!.blink).toEqual([false, false, false, false]);
    expect(c.readiness().ready).toBe(true);
  });

  it('treats "no kube-state-metrics data" as stale at once', async () => {
    let empty = false;
    const source = new ScriptedSource(() =>
      empty ? new PollError('no_ksm_data', 'no kube-state-metrics data') : snap({ a: { running: 1 } }),
    );
    const { c, metrics } = setup(testConfig({ interval: '10s', outputs: [nodesOutput('strip')] }), source);
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    empty = true;
    await vi.advanceTimersByTimeAsync(10_001);
    expect(c.stale()).toBe(true);
    expect(await gauge(metrics.pollErrors, { reason: 'no_ksm_data' })).toBe(1);
    expect(c.readiness().reason).toContain('no kube-state-metrics data');
  });

  it('applies the most recent schedule entry at start-up and follows the schedule', async () => {
    vi.setSystemTime(new Date(2026, 10, 21, 23, 0, 0, 0));
    const source = new ScriptedSource(() => snap({ a: { running: 1 } }));
    const schedule = [
      { cron: '0 22 * * *', brightness: 0.1 },
      { cron: '0 7 * * *', brightness: 0.8 },
    ];
    const { c, metrics, drivers } = setup(testConfig({ interval: '1h', outputs: [nodesOutput('strip', { schedule })] }), source);
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(c.outputs()[0]!.brightness).toBe(0.1);
    expect(await gauge(metrics.brightness, { output: 'strip' })).toBe(0.1);
    expect(drivers[0]!.last![0]).toEqual([0, 26, 0]);
    await vi.advanceTimersByTimeAsync(8 * 3600_000 - 1000);
    expect(c.outputs()[0]!.brightness).toBe(0.1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(c.outputs()[0]!.brightness).toBe(0.8);
    expect(await gauge(metrics.brightness, { output: 'strip' })).toBe(0.8);
    expect(drivers[0]!.last![0]).toEqual([0, 204, 0]);
  });

  it('keeps the other outputs working when one throws, and counts the errors', async () => {
    const source = new ScriptedSource(() => snap({ a: { running: 1 } }));
    const bad = new RecordingDriver({ name: 'bad', failShow: new Error('device gone') });
    const good = new RecordingDriver({ name: 'good' });
    const { c, metrics } = setup(testConfig({ outputs: [nodesOutput('bad'), nodesOutput('good')] }), source, [bad, good]);
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(good.last).toEqual([GREEN, OFF, OFF, OFF]);
    expect(bad.calls).toHaveLength(0);
    expect(await gauge(metrics.outputErrors, { output: 'bad' })).toBeGreaterThanOrEqual(2);
    expect(await gauge(metrics.outputErrors, { output: 'good' })).toBe(0);
    expect(await gauge(metrics.outputUp, { output: 'bad' })).toBe(0);
    expect(await gauge(metrics.outputUp, { output: 'good' })).toBe(1);
    expect(await gauge(metrics.frames, { output: 'good' })).toBe(2);
    expect(c.outputs().map((o) => o.up)).toEqual([false, true]);
    // The device comes back: the driver reports it and the current frame is written again.
    bad.failShow = undefined;
    c.outputStatus('bad', true);
    await vi.advanceTimersByTimeAsync(0);
    expect(bad.last).toEqual([GREEN, OFF, OFF, OFF]);
    expect(await gauge(metrics.outputUp, { output: 'bad' })).toBe(1);
  });

  it('pages through nodes every pageSeconds when they do not fit', async () => {
    const source = new ScriptedSource(() => snap({ a: { running: 1 }, b: { pending: 1 }, c: { running: 1 } }));
    const { c } = setup(testConfig({ interval: '1m', outputs: [pagedMatrixOutput] }), source);
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(c.outputs()[0]).toMatchObject({ page: 0, pages: 2 });
    const first = c.outputs()[0]!.base;
    await vi.advanceTimersByTimeAsync(5000);
    expect(c.outputs()[0]).toMatchObject({ page: 1, pages: 2 });
    expect(c.outputs()[0]!.base).not.toEqual(first);
    await vi.advanceTimersByTimeAsync(5000);
    expect(c.outputs()[0]!.page).toBe(0);
    expect(c.outputs()[0]!.base).toEqual(first);
  });

  it('notifies frame listeners on every displayed change', async () => {
    const source = new ScriptedSource(() => snap({ a: { running: 1 } }));
    const { c } = setup(testConfig({ outputs: [nodesOutput('strip')] }), source);
    const seen: string[][] = [];
    const off = c.onFrame((v) => seen.push(v.leds));
    c.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.at(-1)).toEqual(['#00ff00', '#000000', '#000000', '#000000']);
    off();
    const n = seen.length;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(seen).toHaveLength(n);
  });

  it('is idle between polls when nothing changes: no effect timers, no writes', async () => {
    const source = new ScriptedSource(() => snap({ a: { running: 1 } }));
    const { c, drivers } = setup(
      testConfig({ interval: '10s', effects: { transitionMs: 400, fps: 30 }, outputs: [nodesOutput('strip')] }),
      source,
    );
    c.start();
    await vi.advanceTimersByTimeAsync(1000);
    const n = drivers[0]!.calls.length;
    // Left: the poll schedule (one monotonic timer) and the stale timer.
    expect(vi.getTimerCount()).toBe(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(drivers[0]!.calls.length).toBe(n);
    expect(vi.getTimerCount()).toBe(2);
  });

  it('aborts the poll in flight on stop and then stops polling', async () => {
    const source = new ScriptedSource(() => snap({ a: { running: 1 } }));
    source.hang = true;
    const { c, metrics, drivers } = setup(testConfig({ outputs: [nodesOutput('strip')] }), source);
    c.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(source.active).toBe(1);
    const signal = source.polls[0]!.signal;
    expect(signal.aborted).toBe(false);
    await c.stop();
    expect(signal.aborted).toBe(true);
    expect(source.active).toBe(0);
    expect(await gauge(metrics.polls, { result: 'failure' })).toBe(0);
    const n = drivers[0]!.calls.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(source.polls).toHaveLength(1);
    expect(drivers[0]!.calls.length).toBe(n);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives up on a poll that hangs past its deadline, prometheus.timeout + 1 s (reason timeout)', async () => {
    const source = new ScriptedSource(() => snap({ a: { running: 1 } }));
    source.hang = true;
    const { c, metrics } = setup(testConfig({ interval: '10s', outputs: [nodesOutput('strip')] }), source);
    c.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(source.polls[0]!.signal.aborted).toBe(true);
    expect(await gauge(metrics.pollErrors, { reason: 'timeout' })).toBe(1);
    expect(source.polls.length).toBe(2);
  });
});
