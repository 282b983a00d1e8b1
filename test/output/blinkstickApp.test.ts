import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startPodglow } from '../../src/app.js';
import type { OutputConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { createBlinkStickDriver, type BlinkStickConfig } from '../../src/output/blinkstick.js';
import type { DriverContext } from '../../src/output/driver.js';
import { FakeHid } from '../fakes/fakeHid.js';
import { ScriptedSource, snap, testConfig } from '../loop/helpers.js';
import { outputFrames } from '../../src/cli/frame.js';
import { driverContext, outputConfig } from './helpers.js';

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
    const createDriver = (o: OutputConfig, ctx: DriverContext) =>
      createBlinkStickDriver(o as BlinkStickConfig, ctx, hid.loaders());
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

describe('BlinkStick models without leds: (fake USB, real controller)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  // SPEC §7: serial BSnnnnnn-M.m, major 1 original, 2 Pro, 3 by USB release 0x200..0x203
  // (arvydas/blinkstick-python blinkstick/blinkstick.py get_variant).
  it.each([
    ['original', 'BS000001-1.0', 0x100, 1],
    ['Nano', 'BS000001-3.0', 0x202, 2],
    ['Square', 'BS000001-3.0', 0x200, 8],
    ['Strip', 'BS000001-3.0', 0x201, 8],
    ['Flex', 'BS000001-3.0', 0x203, 32],
    ['Pro', 'BS000001-2.1', 0x100, 64],
  ] as const)(
    '%s (%s, release %i): a matrix layout lights all %i LEDs, and the preview view has that width',
    async (_name, serial, release, count) => {
      const hid = new FakeHid();
      const s = hid.add(serial, release, 2);
      const metrics = new Metrics({ defaultMetrics: false });
      const source = new ScriptedSource(() => snap({ n1: { running: 64 } }));
      const config = testConfig({ outputs: [{ type: 'blinkstick', name: 'stick', brightness: 1, layout: { type: 'matrix' } }] });
      const createDriver = (o: OutputConfig, ctx: DriverContext) =>
        createBlinkStickDriver(o as BlinkStickConfig, ctx, hid.loaders());
      const app = await startPodglow(config, { log: silentLogger, source, createDriver, metrics });
      await vi.advanceTimersByTimeAsync(2000);
      expect(app.controller.outputs()[0]!.width).toBe(count);
      const bytes = s.lastFrame!;
      // Decoded from the SPEC §7 table: report 1 is [1, R, G, B], reports 6..9 are [id, channel, G, R, B, …]
      // (blinkstick/blinkstick.py set_color, set_led_data).
      const leds =
        bytes[0] === 1
          ? [bytes.slice(1, 4)]
          : Array.from({ length: (bytes.length - 2) / 3 }, (_, i) => bytes.slice(2 + 3 * i, 5 + 3 * i));
      const lit = leds.filter((c) => c.some((v) => v > 0)).length;
      expect(lit).toBe(count);
      await app.stop();
    },
  );

  it('gamma: on for WS2812 models, off on the original; the gamma key overrides', async () => {
    const hid = new FakeHid();
    hid.add('BS000001-1.0', 0x100);
    hid.add('BS000002-3.0', 0x201);
    const mk = async (raw: Record<string, unknown>) => {
      const config = outputConfig({ type: 'blinkstick', ...raw });
      const d = await createBlinkStickDriver(config, driverContext(config, String(raw.serial)).ctx, hid.loaders());
      await d.start();
      return d;
    };
    const original = await mk({ serial: 'BS000001-1.0' });
    const strip = await mk({ serial: 'BS000002-3.0' });
    expect([original.gamma, strip.gamma]).toEqual([false, true]);
    await original.stop(false);
    await strip.stop(false);
    const forced = await mk({ serial: 'BS000001-1.0', gamma: true });
    expect(forced.gamma).toBe(true);
    await forced.stop(false);
  });

  it('podglow frame knows the count from variant: or the serial, before any stick is opened', () => {
    const frames = (raw: Record<string, unknown>) =>
      outputFrames(
        testConfig({ outputs: [{ type: 'blinkstick', layout: { type: 'matrix' }, ...raw }] }),
        snap({ n1: { running: 70 } }),
      )[0]!.frame;
    expect(frames({ variant: 'strip' }).width).toBe(8);
    expect(frames({ variant: 'flex' }).width).toBe(32);
    expect(frames({ serial: 'BS000001-2.1' }).width).toBe(64);
    expect(frames({ serial: 'BS000001-1.0' }).width).toBe(1);
    expect(frames({ variant: 'pro', leds: 5 }).width).toBe(5);
    // A Nano's two, until the stick itself says otherwise.
    expect(frames({}).width).toBe(2);
  });
});

describe('idle device checks (SPEC §6)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('an idle unplug drops podglow_output_up within 5 s; a replug shows the current frame within 5 s; the EEPROM mode is never written', async () => {
    const hid = new FakeHid();
    const nano = hid.add('BS000001-3.0', 0x202);
    const metrics = new Metrics({ defaultMetrics: false });
    const source = new ScriptedSource(() => snap({ n1: { running: 3, failed: 1 } }));
    const config = testConfig({
      interval: '1m',
      outputs: [{ type: 'blinkstick', name: 'stick', brightness: 1, layout: { type: 'summary', node: '*' } }],
    });
    const createDriver = (o: OutputConfig, ctx: DriverContext) =>
      createBlinkStickDriver(o as BlinkStickConfig, ctx, hid.loaders());
    const app = await startPodglow(config, { log: silentLogger, source, createDriver, metrics });
    await vi.advanceTimersByTimeAsync(3000);
    const current = nano.lastFrame!;
    expect(current).not.toEqual(blank);
    const writes = nano.reports.length;
    // Idle: nothing changes, so nothing is written; only probes read.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(nano.reports.length).toBe(writes);
    expect(nano.reads.filter((r) => r.id === 1).length).toBeGreaterThanOrEqual(4);
    expect(await upMetric(metrics)).toBe(1);

    hid.unplug(nano);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await upMetric(metrics)).toBe(0);
    expect(app.controller.outputs()[0]!.up).toBe(false);

    hid.replug(nano);
    const before = nano.reports.length;
    await vi.advanceTimersByTimeAsync(5000);
    expect(await upMetric(metrics)).toBe(1);
    expect(nano.reports.length).toBeGreaterThan(before);
    expect(nano.lastFrame).toEqual(current);
    expect(nano.modeWrites).toEqual([]);
    expect(nano.reads.every((r) => r.id === 1 || r.id === 4)).toBe(true);
    await app.stop();
  });
});
