import { afterEach, describe, expect, it } from 'vitest';
import type { Rgb } from '../../src/color.js';
import { BlinktDriver, createBlinktDriver, type BlinktConfig } from '../../src/output/blinkt.js';
import { createDriver } from '../../src/output/registry.js';
import { SysfsGpio, findHeaderChip } from '../../src/output/sysfsGpio.js';
import { FakeSysfsGpio, PI_CHIPS, type FakeChip } from '../fakes/fakeSysfsGpio.js';
import { decodeFrames, pimoroniSequence, sampleRisingEdges, type WireLed } from './blinktWire.js';
import { driverContext, outputConfig } from './helpers.js';

const fakes: FakeSysfsGpio[] = [];
const drivers: BlinktDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.stop(false);
  for (const f of fakes.splice(0)) f.cleanup();
});

function tree(chips: readonly FakeChip[], opts?: { noGpioDir?: boolean }): FakeSysfsGpio {
  const f = new FakeSysfsGpio(chips, opts);
  fakes.push(f);
  return f;
}

function blinkt(fake: FakeSysfsGpio, raw: Record<string, unknown> = {}, retry = { retryMinMs: 50, retryMaxMs: 200 }) {
  const config = outputConfig({ type: 'blinkt', ...raw }) as BlinktConfig;
  const { ctx, onStatus } = driverContext(config, 'blinkt');
  const driver = new BlinktDriver(config, ctx, {
    gpio: new SysfsGpio({ root: fake.root, io: fake.io, settleMs: 500 }),
    ...retry,
  });
  drivers.push(driver);
  return { driver, onStatus };
}

/** Decodes everything written so far, for the header chip at `base`. */
function wire(fake: FakeSysfsGpio, base: number): WireLed[][] {
  return decodeFrames(sampleRisingEdges(fake.valueWrites, base + 23, base + 24).bits);
}

const RAINBOW: Rgb[] = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [1, 2, 3],
  [128, 64, 32],
  [255, 255, 255],
  [0, 0, 0],
  [7, 200, 99],
];

const until = async (ok: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

// BCM 23 (DAT) and 24 (CLK): pimoroni/blinkt library/blinkt.py. Exporting base + BCM, `out`
// in gpioN/direction and the gpioN/value files: Documentation/ABI/obsolete/sysfs-gpio.
describe('Blinkt! GPIO through sysfs: the header chip by its label, its base read', () => {
  it.each([
    ['a Pi 3 before kernel 6.6 (base 0)', PI_CHIPS.pi3Old, 0, 'pinctrl-bcm2835'],
    ['a Pi 4 with 6.6+ (base 512), listed after another chip', PI_CHIPS.pi4, 512, 'pinctrl-bcm2711'],
    ['a Pi 5 with 6.6+ (base 571) among five chips', PI_CHIPS.pi5, 571, 'pinctrl-rp1'],
    ['a Pi 5 with 6.1 (base 399)', PI_CHIPS.pi5Old, 399, 'pinctrl-rp1'],
  ])('%s: exports base + 23 and base + 24, direction out, value files kept open', async (_name, chips, base, label) => {
    const fake = tree(chips);
    expect(findHeaderChip(fake.root, fake.io)).toMatchObject({ base, label });
    const { driver, onStatus } = blinkt(fake);
    await driver.start();
    expect(driver.up).toBe(true);
    expect(fake.exported).toEqual([base + 23, base + 24]);
    expect(fake.direction(base + 23)).toBe('out');
    expect(fake.direction(base + 24)).toBe('out');
    expect(onStatus).not.toHaveBeenCalled();
    await driver.show(RAINBOW, 1);
    await driver.show(
      RAINBOW.map((c) => [c[2], c[0], c[1]] as const),
      1,
    );
    const frames = wire(fake, base);
    expect(frames).toHaveLength(2);
    expect(frames[0]!.map((l) => [l.r, l.g, l.b])).toEqual(RAINBOW.map((c) => [...c]));
    // Lines this driver exported are handed back on stop.
    await driver.stop(false);
    expect(fake.unexported).toEqual([base + 23, base + 24]);
  });

  it('uses lines that are already exported without exporting them again, and leaves them exported', async () => {
    const fake = tree(PI_CHIPS.pi4);
    fake.createLine(512 + 23);
    fake.createLine(512 + 24);
    const { driver } = blinkt(fake);
    await driver.start();
    expect(driver.up).toBe(true);
    expect(fake.exported).toEqual([]);
    expect(fake.direction(535)).toBe('out');
    await driver.stop(false);
    expect(fake.unexported).toEqual([]);
  });

  it('waits for an exported line to appear (udev sets its group a moment after the export)', async () => {
    const fake = tree(PI_CHIPS.pi5);
    fake.exportDelayMs = 80;
    const { driver } = blinkt(fake);
    await driver.start();
    expect(driver.up).toBe(true);
    await driver.show(RAINBOW, 1);
    expect(wire(fake, 571)).toHaveLength(1);
  });
});

describe('Blinkt! wire: Pimoroni’s sequence (pimoroni/blinkt library/blinkt.py), decoded on rising clock edges', () => {
  it('start frame, 0b111 headers with the 5-bit field, blue-green-red, end frame; at brightness 1, 0.5 and 0.05', async () => {
    const fake = tree(PI_CHIPS.pi4);
    const { driver } = blinkt(fake);
    await driver.start();
    for (const b of [1, 0.5, 0.05]) await driver.show(RAINBOW, b);
    const frames = wire(fake, 512);
    expect(frames).toHaveLength(3);
    // int(31 × b) as in set_brightness: 31, 15, 1 (0.05 × 31 = 1.55).
    expect(frames.map((f) => f.map((l) => l.field))).toEqual([
      new Array(8).fill(31),
      new Array(8).fill(15),
      new Array(8).fill(1),
    ]);
    for (const f of frames) {
      expect(f.map((l) => l.top)).toEqual(new Array(8).fill(0b111));
      // The colour bytes keep their full 8 bits whatever the brightness.
      expect(f.map((l) => [l.r, l.g, l.b])).toEqual(RAINBOW.map((c) => [...c]));
    }
    // The first LED sent is pure red: its blue and green bytes came first on the wire.
    expect(frames[0]![0]).toEqual({ top: 7, field: 31, r: 255, g: 0, b: 0 });
    expect(frames[0]![2]).toEqual({ top: 7, field: 31, r: 0, g: 0, b: 255 });
  });

  it('makes the same wire as Pimoroni’s 906 writes, with every clock write and only the data writes that change the line', async () => {
    const fake = tree(PI_CHIPS.pi4);
    const { driver } = blinkt(fake);
    await driver.start();
    await driver.show(RAINBOW, 0.5);
    const ours = fake.valueWrites.map((w) => [w.gpio === 535 ? 'dat' : 'clk', Number(w.text)] as const);
    const theirs = pimoroniSequence(RAINBOW.map(([r, g, b]) => ({ r, g, b, field: 15 })));
    expect(theirs).toHaveLength(906);
    // Replaying Pimoroni's sequence through the same sampler gives the same bits.
    const asWrites = (seq: readonly (readonly ['dat' | 'clk', number])[]) =>
      seq.map(([l, v]) => ({ gpio: l === 'dat' ? 535 : 536, text: String(v), position: 0 }));
    expect(sampleRisingEdges(asWrites(ours), 535, 536).bits).toEqual(sampleRisingEdges(asWrites(theirs), 535, 536).bits);
    // Clock: the same 648 writes (324 pulses); data: only where the level changes.
    expect(ours.filter(([l]) => l === 'clk')).toEqual(theirs.filter(([l]) => l === 'clk'));
    let level = 0;
    const changing = theirs.filter(([l, v]) => l === 'dat' && v !== level && ((level = v), true));
    expect(ours.filter(([l]) => l === 'dat')).toEqual(changing);
    expect(ours.length).toBe(648 + changing.length);
    expect(driver.lastWrites).toBe(ours.length);
  });

  it('reverse: the board mounted the other way round gets the LEDs in the opposite order', async () => {
    const fake = tree(PI_CHIPS.pi4);
    const { driver } = blinkt(fake, { reverse: true });
    await driver.start();
    await driver.show(RAINBOW, 1);
    expect(wire(fake, 512)[0]!.map((l) => [l.r, l.g, l.b])).toEqual([...RAINBOW].reverse().map((c) => [...c]));
  });

  it('never sends a 0 field while a LED is lit, however low the brightness; brightness 0 sends field 0', async () => {
    const fake = tree(PI_CHIPS.pi4);
    const { driver } = blinkt(fake);
    await driver.start();
    await driver.show(RAINBOW, 0.01);
    await driver.show(
      RAINBOW.map(() => [0, 0, 0] as const),
      0,
    );
    const [low, off] = wire(fake, 512);
    expect(low!.map((l) => l.field)).toEqual(new Array(8).fill(1));
    expect(off!.every((l) => l.field === 0 && l.r === 0 && l.g === 0 && l.b === 0)).toBe(true);
  });

  it('stop(true) sends the all-off frame (as Pimoroni’s clear-on-exit), stop(false) sends nothing', async () => {
    const fake = tree(PI_CHIPS.pi5);
    const { driver } = blinkt(fake);
    await driver.start();
    await driver.show(RAINBOW, 0.5);
    await driver.stop(true);
    const frames = wire(fake, 571);
    expect(frames).toHaveLength(2);
    expect(frames[1]!.map((l) => [l.top, l.r, l.g, l.b])).toEqual(new Array(8).fill([7, 0, 0, 0]));
    // The clock rests low after the last frame.
    expect(sampleRisingEdges(fake.valueWrites, 594, 595).clock).toBe(0);

    const fake2 = tree(PI_CHIPS.pi5);
    const b = blinkt(fake2);
    await b.driver.start();
    await b.driver.show(RAINBOW, 0.5);
    const n = fake2.valueWrites.length;
    await b.driver.stop(false);
    expect(fake2.valueWrites).toHaveLength(n);
  });

  it('is built by the registry for type blinkt: 8 × 1, gamma on by default, nothing opened before start', async () => {
    const config = outputConfig({ type: 'blinkt' });
    expect(config).toMatchObject({ reverse: false, gamma: true });
    const d = await createDriver(config, driverContext(config).ctx);
    expect(d).toBeInstanceOf(BlinktDriver);
    expect(d.up).toBe(false);
    expect(d.gamma).toBe(true);
    expect(d.hardwareBrightness?.(0.5)).toBeCloseTo(15 / 31);
    expect((await createBlinktDriver(outputConfig({ type: 'blinkt', gamma: false }), driverContext(config).ctx)).gamma).toBe(
      false,
    );
  });
});

describe('Blinkt! faults: down with a message that names the fix, retried with backoff', () => {
  it('no /sys/class/gpio: names CONFIG_GPIO_SYSFS and the container mount; comes up once it exists', async () => {
    const fake = tree(PI_CHIPS.pi4, { noGpioDir: true });
    const { driver, onStatus } = blinkt(fake);
    await driver.start();
    await driver.show(RAINBOW, 1);
    expect(driver.up).toBe(false);
    expect(onStatus).toHaveBeenCalledTimes(1);
    expect(onStatus.mock.calls[0]![1]!.message).toMatch(/does not exist.*CONFIG_GPIO_SYSFS.*container.*deploy\/overlays\/blinkt/);
    // The tree appears (the kernel module loaded, /sys mounted): the next retry opens it and shows the newest frame.
    const fixed = new FakeSysfsGpio(PI_CHIPS.pi4);
    fakes.push(fixed);
    const { renameSync, mkdirSync } = await import('node:fs');
    const { dirname } = await import('node:path');
    mkdirSync(dirname(fake.root), { recursive: true });
    renameSync(fixed.root, fake.root);
    await until(() => driver.up);
    expect(driver.up).toBe(true);
    expect(onStatus.mock.calls.map((c) => c[0])).toEqual([false, true]);
    expect(wire(fake, 512)[0]!.map((l) => [l.r, l.g, l.b])).toEqual(RAINBOW.map((c) => [...c]));
  });

  it('no chip with a header label: says what it found', async () => {
    const fake = tree([{ base: 0, label: 'gpio-mockup-A', ngpio: 32 }]);
    const { driver, onStatus } = blinkt(fake);
    await driver.start();
    expect(driver.up).toBe(false);
    expect(onStatus.mock.calls[0]![1]!.message).toMatch(
      /no GPIO chip labelled pinctrl-bcm2835, pinctrl-bcm2711, pinctrl-rp1.*gpiochip0 "gpio-mockup-A"/,
    );
  });

  it('no gpiochip entries at all (a kernel without GPIO_SYSFS_LEGACY): names that option', async () => {
    const fake = tree([]);
    const { driver, onStatus } = blinkt(fake);
    await driver.start();
    expect(driver.up).toBe(false);
    expect(onStatus.mock.calls[0]![1]!.message).toMatch(/found: none.*GPIO_SYSFS_LEGACY/);
  });

  it('permission denied on export: names the gpio group and a writable /sys in a container; recovers when allowed', async () => {
    const fake = tree(PI_CHIPS.pi5);
    fake.exportError = 'EACCES';
    const { driver, onStatus } = blinkt(fake);
    await driver.start();
    await driver.show(RAINBOW, 0.5);
    expect(driver.up).toBe(false);
    const msg = onStatus.mock.calls[0]![1]!.message;
    expect(msg).toMatch(/permission denied/);
    expect(msg).toMatch(/gpio group/);
    expect(msg).toMatch(/\/sys must be mounted writable/);
    // Retries do not report again while it stays down.
    await new Promise((r) => setTimeout(r, 200));
    expect(onStatus).toHaveBeenCalledTimes(1);
    fake.exportError = undefined;
    await until(() => driver.up);
    expect(onStatus.mock.calls.map((c) => c[0])).toEqual([false, true]);
    expect(wire(fake, 571)[0]!.map((l) => l.field)).toEqual(new Array(8).fill(15));
  });

  it('a read-only /sys (EROFS): names the container mount', async () => {
    const fake = tree(PI_CHIPS.pi4);
    fake.exportError = 'EROFS';
    const { driver, onStatus } = blinkt(fake);
    await driver.start();
    expect(onStatus.mock.calls[0]![1]!.message).toMatch(/read-only \/sys.*mount the host's \/sys writable/);
  });

  it('a write that fails marks it down, closes the lines and reopens them', async () => {
    const fake = tree(PI_CHIPS.pi4);
    fake.createLine(535);
    fake.createLine(536);
    const { driver, onStatus } = blinkt(fake);
    await driver.start();
    fake.valueError = 'EIO';
    await driver.show(RAINBOW, 1);
    expect(driver.up).toBe(false);
    expect(onStatus).toHaveBeenCalledWith(
      false,
      expect.objectContaining({ message: expect.stringMatching(/writing the GPIO lines failed/) }),
    );
    fake.valueError = undefined;
    await until(() => driver.up);
    expect(driver.up).toBe(true);
  });
});
