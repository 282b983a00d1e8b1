import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Rgb } from '../../src/color.js';
import { createBlinkStickDriver, PROBE_MS, RETRY_MAX_MS, RETRY_MIN_MS } from '../../src/output/blinkstick.js';
import type { Driver } from '../../src/output/driver.js';
import { FakeHid } from '../fakes/fakeHid.js';
import { driverContext, outputConfig } from './helpers.js';

const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];
const BLUE: Rgb = [0, 0, 255];
const zeros = (n: number) => new Array<number>(n).fill(0);

// USB releases (bcdDevice) and report layouts from arvydas/blinkstick-python
// blinkstick/blinkstick.py (get_variant, set_mode report 4, set_led_data reports 6..9 in GRB).
const NANO = 0x202;
const FLEX = 0x203;
const STRIP = 0x201;
const SQUARE = 0x200;

async function stick(hid: FakeHid, raw: Record<string, unknown> = {}) {
  const config = outputConfig({ type: 'blinkstick', ...raw });
  const { ctx, onStatus } = driverContext(config, (raw.name as string | undefined) ?? 'stick');
  const driver = await createBlinkStickDriver(config, ctx, hid.loaders());
  return { driver, onStatus, ctx };
}

const drivers: Driver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.stop(false);
  vi.useRealTimers();
});

async function started(hid: FakeHid, raw: Record<string, unknown> = {}) {
  const s = await stick(hid, raw);
  drivers.push(s.driver);
  await s.driver.start();
  return s;
}

describe('blinkstick driver: bytes per variant', () => {
  it('Nano (2 LEDs): blank on start, one report 6 per frame, blank and close on stop, idempotent', async () => {
    const hid = new FakeHid();
    const nano = hid.add('BS000001-3.0', NANO);
    const { driver } = await started(hid);
    expect(driver.up).toBe(true);
    expect(driver.gamma).toBe(true);
    expect(driver.maxBrightness).toBe(1);
    await driver.show([RED, [0x10, 0x20, 0x30]]);
    await driver.stop(true);
    await driver.stop(true);
    expect(nano.frames).toEqual([
      [6, 0, ...zeros(24)],
      [6, 0, 0, 255, 0, 0x20, 0x10, 0x30, ...zeros(18)],
      [6, 0, ...zeros(24)],
    ]);
    expect(nano.closes).toBe(1);
    expect(driver.up).toBe(false);
  });

  it('stop(false) leaves the LEDs as they are and releases the device', async () => {
    const hid = new FakeHid();
    const nano = hid.add('BS000001-3.0', NANO);
    const { driver } = await started(hid);
    await driver.show([RED, RED]);
    await driver.stop(false);
    expect(nano.frames).toHaveLength(2);
    expect(nano.closes).toBe(1);
  });

  it.each([
    ['Strip', STRIP],
    ['Square', SQUARE],
  ])('%s (8 LEDs): report 6 with all eight in GRB', async (_name, release) => {
    const hid = new FakeHid();
    const s = hid.add('BS000002-3.0', release);
    const { driver } = await started(hid, { leds: 8 });
    const leds: Rgb[] = Array.from({ length: 8 }, (_, i) => [i * 10, i, 200 - i]);
    await driver.show(leds);
    expect(s.lastFrame).toEqual([6, 0, ...leds.flatMap(([r, g, b]) => [g, r, b])]);
    expect(s.lastFrame).toHaveLength(26);
  });

  it('Flex at 32 LEDs: report 8, 98 bytes; blanking covers all 32', async () => {
    const hid = new FakeHid();
    const flex = hid.add('BS000003-3.0', FLEX);
    const { driver } = await started(hid, { leds: 32 });
    const leds: Rgb[] = Array.from({ length: 32 }, (_, i) => [i, 100 + i, 255 - i]);
    await driver.show(leds);
    expect(flex.frames[0]).toEqual([8, 0, ...zeros(96)]);
    expect(flex.lastFrame).toEqual([8, 0, ...leds.flatMap(([r, g, b]) => [g, r, b])]);
  });

  it('Flex driving only 2 LEDs uses the small report but blanks all 32 on start', async () => {
    const hid = new FakeHid();
    const flex = hid.add('BS000003-3.0', FLEX);
    const { driver } = await started(hid);
    await driver.show([GREEN, BLUE]);
    expect(flex.frames).toEqual([
      [8, 0, ...zeros(96)],
      [6, 0, 255, 0, 0, 0, 0, 255, ...zeros(18)],
    ]);
  });

  it('original BlinkStick: report 1 with the first LED, never touches the mode', async () => {
    const hid = new FakeHid();
    const bs = hid.add('BS000004-1.0', 0x100);
    const { driver } = await started(hid);
    await driver.show([[0x12, 0x34, 0x56], RED]);
    await driver.stop(true);
    expect(bs.frames).toEqual([
      [1, 0, 0, 0],
      [1, 0x12, 0x34, 0x56],
      [1, 0, 0, 0],
    ]);
    expect(bs.modeReads).toBe(0);
    expect(bs.modeWrites).toEqual([]);
  });

  it('Pro: frames go to the configured channel', async () => {
    const hid = new FakeHid();
    const pro = hid.add('BS000005-2.1', 0x100, 2);
    const { driver } = await started(hid, { channel: 1, leds: 3 });
    await driver.show([RED, GREEN, BLUE]);
    expect(pro.frames).toEqual([
      [9, 1, ...zeros(192)],
      [6, 1, 0, 255, 0, 255, 0, 0, 0, 0, 255, ...zeros(15)],
    ]);
  });

  it('a channel the variant lacks falls back to channel 0', async () => {
    const hid = new FakeHid();
    const nano = hid.add('BS000001-3.0', NANO);
    const { driver } = await started(hid, { channel: 2 });
    await driver.show([RED, RED]);
    expect(nano.lastFrame!.slice(0, 2)).toEqual([6, 0]);
  });
});

describe('blinkstick driver: mode (EEPROM)', () => {
  it('writes mode 2 once to a Pro in mode 0, before any frame, and not again after a restart', async () => {
    const hid = new FakeHid();
    const pro = hid.add('BS000005-2.1', 0x100, 0);
    const first = await started(hid, { leds: 2 });
    await first.driver.show([RED, RED]);
    await first.driver.show([GREEN, GREEN]);
    await first.driver.stop(true);
    expect(pro.reports.map((r) => r.bytes[0])).toEqual([4, 9, 6, 6, 9]);
    expect(pro.modeWrites).toEqual([[4, 2]]);

    const second = await started(hid, { leds: 2 });
    await second.driver.show([RED, RED]);
    expect(pro.modeReads).toBe(2);
    expect(pro.modeWrites).toEqual([[4, 2]]);
  });

  it('leaves a Nano already in mode 2 alone', async () => {
    const hid = new FakeHid();
    const nano = hid.add('BS000001-3.0', NANO, 2);
    const { driver } = await started(hid);
    await driver.show([RED, RED]);
    expect(nano.modeReads).toBe(1);
    expect(nano.modeWrites).toEqual([]);
  });

  it('puts back mode 2 on a Square someone switched to another mode', async () => {
    const hid = new FakeHid();
    const sq = hid.add('BS000002-3.0', SQUARE, 3);
    await started(hid);
    expect(sq.modeWrites).toEqual([[4, 2]]);
    expect(sq.mode).toBe(2);
  });
});

describe('blinkstick driver: unplug and replug', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  it('marks the output down on a failed write, retries with growing backoff, and re-sends the last frame when it is back', async () => {
    const hid = new FakeHid();
    const nano = hid.add('BS000001-3.0', NANO);
    const { driver, onStatus } = await started(hid);
    await driver.show([RED, RED]);
    const enumerationsBefore = hid.enumerations.length;

    hid.unplug(nano);
    await driver.show([GREEN, GREEN]);
    expect(driver.up).toBe(false);
    expect(onStatus).toHaveBeenCalledTimes(1);
    expect(onStatus.mock.calls[0]![0]).toBe(false);
    expect(onStatus.mock.calls[0]![1]!.message).toMatch(/could not send feature report/);
    expect(nano.closes).toBe(1);

    // While down, frames are only stored: no device access, no enumeration.
    await driver.show([BLUE, RED]);
    expect(hid.enumerations.length).toBe(enumerationsBefore);

    const t0 = Date.now();
    await vi.advanceTimersByTimeAsync(30_000);
    const attempts = hid.enumerations.slice(enumerationsBefore).map((t) => t - t0);
    // Doubling from 500 ms up to 2 s, so a replugged stick is back within 5 s (SPEC §6).
    expect(attempts.slice(0, 5)).toEqual([500, 1500, 3500, 5500, 7500]);
    for (let i = 1; i < attempts.length; i++) expect(attempts[i]! - attempts[i - 1]!).toBeLessThanOrEqual(RETRY_MAX_MS);
    expect(attempts.length).toBe(16);
    expect(vi.getTimerCount()).toBe(1);

    hid.replug(nano);
    const reportsBefore = nano.reports.length;
    await vi.advanceTimersByTimeAsync(RETRY_MAX_MS);
    expect(driver.up).toBe(true);
    expect(onStatus.mock.calls.map((c) => c[0])).toEqual([false, true]);
    // The stick is reopened on its new hidraw node and shows the latest frame at once.
    expect(nano.opens).toBe(2);
    expect(nano.reports.slice(reportsBefore).map((r) => r.bytes)).toEqual([[6, 0, 0, 0, 255, 0, 255, 0, ...zeros(18)]]);
    // Only the idle probe is left.
    expect(vi.getTimerCount()).toBe(1);

    await driver.show([GREEN, GREEN]);
    expect(nano.lastFrame).toEqual([6, 0, 255, 0, 0, 255, 0, 0, ...zeros(18)]);
  });

  it('resets the backoff after a successful reopen', async () => {
    const hid = new FakeHid();
    const nano = hid.add('BS000001-3.0', NANO);
    const { driver } = await started(hid);
    hid.unplug(nano);
    await driver.show([RED, RED]);
    await vi.advanceTimersByTimeAsync(RETRY_MIN_MS + 1000 + 2000);
    hid.replug(nano);
    await vi.advanceTimersByTimeAsync(4000);
    expect(driver.up).toBe(true);

    hid.unplug(nano);
    await driver.show([GREEN, GREEN]);
    const n = hid.enumerations.length;
    const t0 = Date.now();
    await vi.advanceTimersByTimeAsync(RETRY_MIN_MS);
    expect(hid.enumerations.length).toBe(n + 1);
    expect(hid.enumerations[n]! - t0).toBe(RETRY_MIN_MS);
  });

  it('keeps retrying (bounded rate) when the stick reappears but cannot be opened yet', async () => {
    const hid = new FakeHid();
    const nano = hid.add('BS000001-3.0', NANO);
    const { driver, onStatus } = await started(hid);
    hid.unplug(nano);
    await driver.show([RED, RED]);
    hid.replug(nano);
    hid.openError = new Error('cannot open device with path /dev/hidraw3');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(driver.up).toBe(false);
    expect(hid.enumerations.length).toBeLessThanOrEqual(60_000 / RETRY_MAX_MS + 3);
    hid.openError = undefined;
    await vi.advanceTimersByTimeAsync(RETRY_MAX_MS);
    expect(driver.up).toBe(true);
    expect(nano.lastFrame).toEqual([6, 0, 0, 255, 0, 0, 255, 0, ...zeros(18)]);
    expect(onStatus.mock.calls.map((c) => c[0])).toEqual([false, true]);
  });

  it('starts down when the stick is missing, and comes up when it is plugged in', async () => {
    const hid = new FakeHid();
    const { driver, onStatus } = await started(hid, { serial: 'BS000009-3.0' });
    expect(driver.up).toBe(false);
    expect(onStatus).toHaveBeenCalledTimes(1);
    expect(onStatus.mock.calls[0]![1]!.message).toMatch(/BS000009-3\.0 not found \(plugged in: none\)/);
    await driver.show([RED, GREEN]);
    const nano = hid.add('BS000009-3.0', NANO);
    await vi.advanceTimersByTimeAsync(RETRY_MIN_MS);
    expect(driver.up).toBe(true);
    // First contact with this stick: blank all its LEDs, then the frame stored while it was missing.
    expect(nano.frames).toEqual([
      [6, 0, ...zeros(24)],
      [6, 0, 0, 255, 0, 255, 0, 0, ...zeros(18)],
    ]);
  });

  it('stop() while down cancels the retry timer', async () => {
    const hid = new FakeHid();
    const nano = hid.add('BS000001-3.0', NANO);
    const { driver } = await started(hid);
    hid.unplug(nano);
    await driver.show([RED, RED]);
    expect(vi.getTimerCount()).toBe(1);
    await driver.stop(true);
    expect(vi.getTimerCount()).toBe(0);
    const n = hid.enumerations.length;
    hid.replug(nano);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(hid.enumerations.length).toBe(n);
    expect(nano.opens).toBe(1);
  });

  it('the retry timer does not keep the process alive', async () => {
    vi.useRealTimers();
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      const hid = new FakeHid();
      const { driver } = await started(hid, { serial: 'BS000009-3.0' });
      expect(driver.up).toBe(false);
      const timers = spy.mock.results.map((r) => r.value as NodeJS.Timeout);
      expect(timers).toHaveLength(1);
      expect(timers[0]!.hasRef()).toBe(false);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('blinkstick driver: several sticks', () => {
  it('each output drives the stick with its serial', async () => {
    const hid = new FakeHid();
    const a = hid.add('BS000011-3.0', NANO);
    const b = hid.add('BS000022-3.0', NANO);
    const one = await started(hid, { name: 'one', serial: 'BS000022-3.0' });
    const two = await started(hid, { name: 'two', serial: 'bs000011-3.0' });
    await one.driver.show([RED, RED]);
    await two.driver.show([BLUE, BLUE]);
    expect(b.lastFrame!.slice(0, 8)).toEqual([6, 0, 0, 255, 0, 0, 255, 0]);
    expect(a.lastFrame!.slice(0, 8)).toEqual([6, 0, 0, 0, 255, 0, 0, 255]);
  });

  it('outputs without a serial take different sticks, never one another output names', async () => {
    const hid = new FakeHid();
    const a = hid.add('BS000011-3.0', NANO);
    const b = hid.add('BS000022-3.0', NANO);
    const c = hid.add('BS000033-3.0', NANO);
    const named = await started(hid, { name: 'named', serial: 'BS000011-3.0' });
    const free1 = await started(hid, { name: 'free1' });
    const free2 = await started(hid, { name: 'free2' });
    expect([named, free1, free2].every((s) => s.driver.up)).toBe(true);
    expect([a, b, c].map((s) => s.opens)).toEqual([1, 1, 1]);
  });

  it('an unplugged stick comes back to its own output, not to another', async () => {
    vi.useFakeTimers();
    const hid = new FakeHid();
    const a = hid.add('BS000011-3.0', NANO);
    const b = hid.add('BS000022-3.0', NANO);
    const first = await started(hid, { name: 'first' });
    const second = await started(hid, { name: 'second' });
    hid.unplug(a);
    await first.driver.show([RED, RED]);
    await second.driver.show([GREEN, GREEN]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(first.driver.up).toBe(false);
    expect(b.opens).toBe(1);
    hid.replug(a);
    await vi.advanceTimersByTimeAsync(RETRY_MAX_MS);
    expect(first.driver.up).toBe(true);
    expect(a.lastFrame!.slice(0, 5)).toEqual([6, 0, 0, 255, 0]);
  });
});

describe('blinkstick driver: environment errors', () => {
  it('explains a node-hid that cannot load libudev/libusb', async () => {
    const hid = new FakeHid();
    hid.loadError = new Error('libudev.so.1: cannot open shared object file: No such file or directory');
    const { driver } = await stick(hid);
    await expect(driver.start()).rejects.toThrow(
      /node-hid could not load.*libudev\.so\.1.*apt-get install libudev1 libusb-1\.0-0/s,
    );
  });

  it('explains an import failure of node-hid', async () => {
    const config = outputConfig({ type: 'blinkstick' });
    const driver = await createBlinkStickDriver(config, driverContext(config).ctx, {
      ws281x: async () => {
        throw new Error('unused');
      },
      hid: async () => {
        throw new Error('No native build was found for platform=linux arch=riscv64');
      },
      getuid: () => 1000,
    });
    await expect(driver.start()).rejects.toThrow(/node-hid could not load.*riscv64/s);
  });

  it('points to the udev rule when the stick cannot be opened', async () => {
    const hid = new FakeHid();
    hid.add('BS000001-3.0', NANO);
    hid.openError = new Error('cannot open device with path /dev/hidraw0');
    const { driver, onStatus } = await stick(hid);
    await expect(driver.start()).rejects.toThrow(
      /cannot open BlinkStick Nano BS000001-3\.0.*usually a permission problem.*deploy\/udev\/99-blinkstick\.rules.*udevadm/s,
    );
    expect(driver.up).toBe(false);
    expect(onStatus).not.toHaveBeenCalled();
  });

  it('says "permission denied" when the error says so', async () => {
    const hid = new FakeHid();
    hid.add('BS000001-3.0', NANO);
    hid.openError = new Error('EACCES: permission denied, open /dev/hidraw0');
    const { driver } = await stick(hid);
    await expect(driver.start()).rejects.toThrow(/; permission denied\. Install the udev rule/);
  });
});

describe('blinkstick driver: async transfers (node-hid HIDAsync)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  it('a slow stick never blocks the event loop, and its transfers (frames, idle probes) never overlap', async () => {
    const hid = new FakeHid();
    const nano = hid.add('BS000001-3.0', NANO);
    const { driver } = await started(hid);
    nano.transferMs = 1500;
    const writes = [driver.show([RED, RED]), driver.show([GREEN, GREEN])];
    // Timers still fire while both transfers are pending: nothing waits synchronously.
    let ticked = false;
    setTimeout(() => (ticked = true), 10);
    await vi.advanceTimersByTimeAsync(10);
    expect(ticked).toBe(true);
    await vi.advanceTimersByTimeAsync(PROBE_MS * 4);
    await Promise.all(writes);
    expect(nano.maxInFlight).toBe(1);
    expect(nano.reads.filter((r) => r.id === 1).length).toBeGreaterThanOrEqual(1);
    expect(nano.lastFrame!.slice(0, 8)).toEqual([6, 0, 255, 0, 0, 255, 0, 0]);
    expect(driver.up).toBe(true);
  });
});
