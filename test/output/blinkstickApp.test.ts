import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startPodglow } from '../../src/app.js';
import type { OutputConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { createBlinkStickDriver, type BlinkStickConfig } from '../../src/output/blinkstick.js';
import type { DriverContext } from '../../src/output/driver.js';
import { FakeHid } from '../fakes/fakeHid.js';
import { ScriptedSource, snap, testConfig } from '../loop/helpers.js';

const blank = [6, 0, ...new Array<number>(24).fill(0)];

async function upMetric(metrics: Metrics): Promise<number | undefined> {
  return (await metrics.outputUp.get()).values.find((v) => v.labels.output === 'stick')?.value;
}

describe('a BlinkStick Nano under podglow run (fake USB, real controller)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup() {
    const hid = new FakeHid();
    const metrics = new Metrics({ defaultMetrics: false });
    const source = new ScriptedSource(() => snap({ n1: { running: 3 } }));
    const config = testConfig({
      outputs: [{ type: 'blinkstick', name: 'stick', brightness: 1, layout: { type: 'summary', node: '*' } }],
    });
    const createDriver = (o: OutputConfig, ctx: DriverContext) => createBlinkStickDriver(o as BlinkStickConfig, ctx, hid.loaders());
    return { hid, metrics, source, config, createDriver };
  }

  it('shows frames, goes down when pulled out, and comes back with the current frame when replugged', async () => {
    const { hid, metrics, source, config, createDriver } = setup();
    const nano = hid.add('BS000001-3.0', 0x202);
    const app = await startPodglow(config, { log: silentLogger, source, createDriver, metrics });
    await vi.advanceTimersByTimeAsync(2000);
    const running = nano.lastFrame!;
    expect(running).not.toEqual(blank);
    expect(await upMetric(metrics)).toBe(1);

    hid.unplug(nano);
    source.next = () => snap({ n1: { failed: 1 } });
    await vi.advanceTimersByTimeAsync(12_000);
    expect(await upMetric(metrics)).toBe(0);
    expect((await metrics.outputErrors.get()).values.find((v) => v.labels.output === 'stick')?.value).toBeGreaterThanOrEqual(1);

    hid.replug(nano);
    await vi.advanceTimersByTimeAsync(11_000);
    expect(await upMetric(metrics)).toBe(1);
    const failed = nano.lastFrame!;
    expect(failed).not.toEqual(blank);
    expect(failed).not.toEqual(running);

    await app.stop();
    expect(nano.lastFrame).toEqual(blank);
  });

  it('reports the output down from start-up when the stick is not plugged in yet', async () => {
    const { hid, metrics, source, config, createDriver } = setup();
    const app = await startPodglow(config, { log: silentLogger, source, createDriver, metrics });
    await vi.advanceTimersByTimeAsync(1000);
    expect(await upMetric(metrics)).toBe(0);
    const nano = hid.add('BS000001-3.0', 0x202);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await upMetric(metrics)).toBe(1);
    expect(nano.lastFrame).not.toEqual(blank);
    await app.stop();
  });
});
