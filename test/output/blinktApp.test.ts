import { afterEach, describe, expect, it } from 'vitest';
import { startPodglow, type Podglow } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import type { OutputConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { BlinktDriver, type BlinktConfig } from '../../src/output/blinkt.js';
import type { DriverContext } from '../../src/output/driver.js';
import { SysfsGpio } from '../../src/output/sysfsGpio.js';
import { FakeSysfsGpio, PI_CHIPS } from '../fakes/fakeSysfsGpio.js';
import { RecordingDriver } from '../fakes/recordingDriver.js';
import { decodeFrames, sampleRisingEdges } from './blinktWire.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const until = async (ok: () => Promise<boolean> | boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await ok()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
};

async function start(fake: FakeSysfsGpio) {
  const config = parseConfig(
    {
      source: 'demo',
      interval: '1s',
      server: { enabled: false },
      outputs: [
        { name: 'blinkt', type: 'blinkt', brightness: 0.5 },
        { name: 'other', type: 'web', width: 8, height: 1 },
      ],
    },
    { env: {} },
  );
  const metrics = new Metrics({ defaultMetrics: false });
  const other = new RecordingDriver({ name: 'other' });
  const gpio = new SysfsGpio({ root: fake.root, io: fake.io });
  const app: Podglow = await startPodglow(config, {
    log: silentLogger,
    metrics,
    server: false,
    createDriver: async (o: OutputConfig, ctx: DriverContext) =>
      o.type === 'blinkt' ? new BlinktDriver(o as BlinktConfig, ctx, { gpio, retryMinMs: 100, retryMaxMs: 400 }) : other,
  });
  cleanups.push(() => app.stop());
  const up = async () => Object.fromEntries((await metrics.outputUp.get()).values.map((v) => [v.labels.output, v.value]));
  return { app, metrics, other, up };
}

describe('a Blinkt! in podglow: faults leave podglow running with podglow_output_up 0', () => {
  it.each([
    ['no /sys/class/gpio', () => new FakeSysfsGpio(PI_CHIPS.pi4, { noGpioDir: true })],
    ['no chip with a header label', () => new FakeSysfsGpio([{ base: 0, label: 'gpio-mockup-A', ngpio: 32 }])],
    [
      'permission denied on export',
      () => {
        const f = new FakeSysfsGpio(PI_CHIPS.pi5);
        f.exportError = 'EACCES';
        return f;
      },
    ],
  ])('%s: output_up 0 for the blinkt, the other output unaffected', async (_name, make) => {
    const fake = make();
    cleanups.push(() => fake.cleanup());
    const { other, up } = await start(fake);
    await until(async () => (await up()).blinkt === 0);
    expect(await up()).toEqual({ blinkt: 0, other: 1 });
    const shown = other.calls.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(other.calls.length).toBeGreaterThan(shown);
    expect(fake.valueWrites).toEqual([]);
  });

  it('once export is allowed, it comes up (output_up 1) and shows the current frame; stop sends the all-off frame', async () => {
    const fake = new FakeSysfsGpio(PI_CHIPS.pi5);
    cleanups.push(() => fake.cleanup());
    fake.exportError = 'EACCES';
    const { app, up } = await start(fake);
    await until(async () => (await up()).blinkt === 0);
    fake.exportError = undefined;
    await until(async () => (await up()).blinkt === 1);
    expect(await up()).toEqual({ blinkt: 1, other: 1 });
    await until(() => fake.valueWrites.length > 0);
    await app.stop();
    // The Pi 5 header chip at 571 plus BCM 23 (DAT) and 24 (CLK), the pins of pimoroni/blinkt
    // library/blinkt.py; brightness 0.5 is int(31 × 0.5) = 15 as its set_brightness computes it.
    const frames = decodeFrames(sampleRisingEdges(fake.valueWrites, 594, 595).bits);
    expect(frames.some((f) => f.some((l) => l.r + l.g + l.b > 0 && l.field === 15))).toBe(true);
    expect(frames.at(-1)!.map((l) => [l.r, l.g, l.b])).toEqual(new Array(8).fill([0, 0, 0]));
  });
});
