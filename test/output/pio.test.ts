import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Rgb } from '../../src/color.js';
import type { Driver } from '../../src/output/driver.js';
import { PioDriver, defaultPioIo, isRaspberryPi5, overlayLine, resolveBackend } from '../../src/output/pio.js';
import { createUnicornHatDriver } from '../../src/output/unicornhat.js';
import { createUnicornPhatDriver } from '../../src/output/unicornphat.js';
import { Ws281xCore, createWs281xDriver } from '../../src/output/ws281x.js';
import { FakeWs281x } from '../fakes/fakeWs281x.js';
import { FakeLedsDevice } from './pioDevice.js';
// The HAT and pHAT tables of Pimoroni's unicornhat.py, copied by hand (shared with unicornhat.test.ts).
import { PIMORONI_PHAT, specHatIndex as hatIndex } from '../helpers/pimoroniMaps.js';
import { distinctFrame, driverContext, outputConfig } from './helpers.js';

// Sources: raspberrypi/linux drivers/misc/ws2812-pio-rp1.c (file format R,G,B,W per LED,
// positional writes, ENOSPC/EFBIG, the 1-byte brightness write, brightness 0 = bytes
// unchanged in ws2812_apply_gamma) and arch/arm/boot/dts/overlays/ws2812-pio-overlay.dts
// (dev-name "leds%d", overrides gpio and num_leds, rgbw). Device-tree compatible strings:
// raspberrypi/linux arch/arm64/boot/dts/broadcom/bcm2712-rpi-5-b.dts.

/** The device bytes for a frame: LED i's colour as R, G, B, 0 at 4 × physical(i). */
function expectedBytes(frame: readonly Rgb[], physical: (i: number) => number, leds: number): Buffer {
  const b = Buffer.alloc(leds * 4);
  frame.forEach((c, i) => b.set([c[0], c[1], c[2], 0], physical(i) * 4));
  return b;
}

let dir: string;
let pi5Tree: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'podglow-pio-'));
  pi5Tree = join(dir, 'compatible');
  writeFileSync(pi5Tree, 'raspberrypi,5-model-b\0brcm,bcm2712\0');
});
// Every driver a test made is stopped, so the next test may open /dev/leds0 again.
const live: Driver[] = [];
function track<T extends Driver>(d: T): T {
  live.push(d);
  return d;
}
afterEach(async () => {
  for (const d of live.splice(0)) await d.stop(false);
  rmSync(dir, { recursive: true, force: true });
});

describe('the ws2812-pio stand-in', () => {
  it('follows the driver: a full write at 0 renders, a second plain write past it is ENOSPC', async () => {
    const dev = new FakeLedsDevice(join(dir, 'leds0'), 2);
    const h = dev.openHandle();
    await expect(h.write(Buffer.alloc(8, 1))).resolves.toBe(8);
    await expect(h.write(Buffer.alloc(8, 2))).rejects.toMatchObject({ code: 'ENOSPC' });
    await expect(h.write(Buffer.alloc(9))).rejects.toMatchObject({ code: 'EFBIG' });
    await expect(h.write(Uint8Array.of(7), 0)).resolves.toBe(1);
    expect(dev.brightness).toBe(7);
    // Only the first write filled the buffer; the refused ones copied nothing.
    expect(dev.frames).toHaveLength(1);
  });
});

describe('pio backend: exact device bytes', () => {
  it.each([0, 90, 180, 270] as const)(
    'Unicorn HAT at rotation %i: the HAT map, R,G,B,W per LED, one write at 0',
    async (rotation) => {
      const dev = new FakeLedsDevice(join(dir, 'leds0'), 64);
      const config = outputConfig({ type: 'unicornhat', rotation, backend: 'pio' });
      const driver = track(await createUnicornHatDriver(config, driverContext(config, 'hat').ctx, undefined, { io: dev.io() }));
      expect(driver).toBeInstanceOf(PioDriver);
      await driver.start();
      // Pass-through: brightness byte 0 leaves podglow's bytes alone (ws2812-pio-rp1.c ws2812_apply_gamma).
      expect(dev.brightness).toBe(0);
      const frame = distinctFrame(64);
      await driver.show(frame);
      expect(dev.frames.at(-1)).toEqual(expectedBytes(frame, (i) => hatIndex(i % 8, Math.floor(i / 8), rotation), 64));
      // Every pixel write is full length at position 0.
      for (const w of dev.writes.filter((x) => x.length !== 1)) expect(w).toEqual({ position: 0, length: 256 });
      expect(driver.maxBrightness).toBe(0.5);
      expect(driver.gamma).toBe(true);
    },
  );

  it('Unicorn pHAT at rotation 0 and 180', async () => {
    for (const rotation of [0, 180] as const) {
      const dev = new FakeLedsDevice(join(dir, `leds-${rotation}`), 32);
      const config = outputConfig({ type: 'unicornphat', rotation, backend: 'pio' });
      const driver = track(await createUnicornPhatDriver(config, driverContext(config, 'phat').ctx, undefined, { io: dev.io() }));
      await driver.start();
      const frame = distinctFrame(32);
      await driver.show(frame);
      const phys = (i: number) => {
        const x = i % 8;
        const y = 3 - Math.floor(i / 8);
        return rotation === 0 ? PIMORONI_PHAT[x]![y]! : PIMORONI_PHAT[7 - x]![3 - y]!;
      };
      expect(dev.frames.at(-1)).toEqual(expectedBytes(frame, phys, 32));
      await driver.stop(true);
    }
  });

  it('a serpentine ws281x matrix: every other row reversed', async () => {
    const dev = new FakeLedsDevice(join(dir, 'leds0'), 12);
    const config = outputConfig({ type: 'ws281x', width: 4, height: 3, serpentine: true, backend: 'pio' });
    const driver = track(await createWs281xDriver(config, driverContext(config, 'strip').ctx, undefined, { io: dev.io() }));
    await driver.start();
    const frame = distinctFrame(12);
    await driver.show(frame);
    const phys = (i: number) => {
      const x = i % 4;
      const y = Math.floor(i / 4);
      return y * 4 + (y % 2 ? 3 - x : x);
    };
    expect(dev.frames.at(-1)).toEqual(expectedBytes(frame, phys, 12));
  });

  it('a strip wired RGB gets its colours in the slots the driver sends as G, R, B', async () => {
    const dev = new FakeLedsDevice(join(dir, 'leds0'), 1);
    const config = outputConfig({ type: 'ws281x', count: 1, stripType: 'rgb', backend: 'pio' });
    const driver = track(await createWs281xDriver(config, driverContext(config).ctx, undefined, { io: dev.io() }));
    await driver.start();
    await driver.show([[10, 20, 30]]);
    // ws2812-pio-rp1.c rgbw_u32 sends G, R, B: the G slot carries red, the R slot green.
    expect([...dev.frames.at(-1)!]).toEqual([20, 10, 30, 0]);
  });

  it('clears the LEDs at start, blanks on stop(true) and keeps them on stop(false)', async () => {
    const dev = new FakeLedsDevice(join(dir, 'leds0'), 64);
    const config = outputConfig({ type: 'unicornhat', backend: 'pio' });
    let driver = track(await createUnicornHatDriver(config, driverContext(config).ctx, undefined, { io: dev.io() }));
    await driver.start();
    expect(dev.frames[0]).toEqual(Buffer.alloc(256));
    await driver.show(distinctFrame(64));
    await driver.stop(true);
    expect(dev.frames.at(-1)).toEqual(Buffer.alloc(256));
    expect(dev.closes).toBe(1);
    driver = track(await createUnicornHatDriver(config, driverContext(config).ctx, undefined, { io: dev.io() }));
    await driver.start();
    await driver.show(distinctFrame(64));
    const shown = dev.frames.at(-1);
    await driver.stop(false);
    expect(dev.frames.at(-1)).toBe(shown);
    expect(driver.up).toBe(false);
  });
});

describe('pio backend: refusals', () => {
  it('a missing device names the exact dtoverlay line for config.txt (real ENOENT)', async () => {
    const hat = outputConfig({ type: 'unicornhat', backend: 'pio', device: '/dev/podglow-no-such-leds9' });
    const driver = track(await createUnicornHatDriver(hat, driverContext(hat, 'hat').ctx, undefined, { io: defaultPioIo }));
    const err = await driver.start().catch((e: Error) => e);
    expect(String(err)).toContain('/dev/podglow-no-such-leds9 does not exist');
    expect(String(err)).toContain('"dtoverlay=ws2812-pio,gpio=18,num_leds=64" to /boot/firmware/config.txt');
  });

  it('the line carries a ws281x output’s own gpio and LED count, and rgbw for sk6812w', async () => {
    const strip = outputConfig({
      type: 'ws281x',
      count: 150,
      gpio: 12,
      stripType: 'sk6812w',
      backend: 'pio',
      device: '/dev/podglow-no-such-leds9',
    });
    const driver = track(await createWs281xDriver(strip, driverContext(strip).ctx, undefined, { io: defaultPioIo }));
    await expect(driver.start()).rejects.toThrow('dtoverlay=ws2812-pio,gpio=12,num_leds=150,rgbw');
    expect(overlayLine(18, 32, 'ws2812')).toBe('dtoverlay=ws2812-pio,gpio=18,num_leds=32');
  });

  it('permission denied names the udev rule; EPERM (device cgroup) names the container set-up', async () => {
    // The tests run as root, so a real EACCES cannot be provoked: the stand-in returns it.
    const dev = new FakeLedsDevice(join(dir, 'leds0'), 64);
    const hat = outputConfig({ type: 'unicornhat', backend: 'pio' });
    dev.openError = 'EACCES';
    let driver = track(await createUnicornHatDriver(hat, driverContext(hat).ctx, undefined, { io: dev.io() }));
    await expect(driver.start()).rejects.toThrow(/permission denied opening \/dev\/leds0.*deploy\/udev\/99-ws2812-pio\.rules/);
    dev.openError = 'EPERM';
    driver = track(await createUnicornHatDriver(hat, driverContext(hat).ctx, undefined, { io: dev.io() }));
    await expect(driver.start()).rejects.toThrow(/device cgroup.*deploy\/overlays\/unicornhat-pi5/);
  });

  it('a path that is not a character device is refused (real regular file)', async () => {
    const file = join(dir, 'leds0');
    writeFileSync(file, Buffer.alloc(256));
    await expect(defaultPioIo.open(file)).rejects.toMatchObject({ code: 'ENOTCHR' });
  });

  it('a device with fewer LEDs than the output names num_leds to set', async () => {
    const dev = new FakeLedsDevice(join(dir, 'leds0'), 32);
    const hat = outputConfig({ type: 'unicornhat', backend: 'pio' });
    const driver = track(await createUnicornHatDriver(hat, driverContext(hat).ctx, undefined, { io: dev.io() }));
    await expect(driver.start()).rejects.toThrow(/fewer LEDs than this output's 64 \(EFBIG\).*num_leds=64/);
    expect(dev.closes).toBe(1);
  });

  it('writes through the real fs layer to a real character device (/dev/null) without root-only calls', async () => {
    const hat = outputConfig({ type: 'unicornhat', backend: 'pio', device: '/dev/null' });
    const driver = track(await createUnicornHatDriver(hat, driverContext(hat).ctx, undefined, { io: defaultPioIo }));
    await driver.start();
    await driver.show(distinctFrame(64));
    expect(driver.up).toBe(true);
    await driver.stop(true);
  });

  it('two outputs on one device are refused', async () => {
    const dev = new FakeLedsDevice(join(dir, 'leds0'), 64);
    const hat = outputConfig({ type: 'unicornhat', backend: 'pio' });
    const a = track(await createUnicornHatDriver(hat, driverContext(hat).ctx, undefined, { io: dev.io() }));
    await a.start();
    const b = track(await createUnicornHatDriver(hat, driverContext(hat).ctx, undefined, { io: dev.io() }));
    await expect(b.start()).rejects.toThrow(/already driven/);
    await a.stop(true);
  });
});

describe('backend auto', () => {
  it('reads the board from the device tree: BCM2712 / raspberrypi,5 → pio, else rpi-ws281x', async () => {
    const pi4 = join(dir, 'pi4');
    writeFileSync(pi4, 'raspberrypi,4-model-b\0brcm,bcm2711\0');
    const cm5 = join(dir, 'cm5');
    writeFileSync(cm5, 'raspberrypi,5-compute-module\0brcm,bcm2712\0');
    expect(await isRaspberryPi5(defaultPioIo, pi5Tree)).toBe(true);
    expect(await isRaspberryPi5(defaultPioIo, cm5)).toBe(true);
    expect(await isRaspberryPi5(defaultPioIo, pi4)).toBe(false);
    expect(await isRaspberryPi5(defaultPioIo, join(dir, 'missing'))).toBe(false);
    expect(await resolveBackend('auto', defaultPioIo, pi5Tree)).toBe('pio');
    expect(await resolveBackend('auto', defaultPioIo, pi4)).toBe('rpi-ws281x');
    expect(await resolveBackend('rpi-ws281x', defaultPioIo, pi5Tree)).toBe('rpi-ws281x');
    expect(await resolveBackend('pio', defaultPioIo, pi4)).toBe('pio');
  });

  it('a Unicorn HAT on a Pi 5 drives /dev/leds0; on a Pi 4 rpi-ws281x, as before', async () => {
    const dev = new FakeLedsDevice(join(dir, 'leds0'), 64);
    const hat = outputConfig({ type: 'unicornhat' });
    expect(hat.backend).toBe('auto');
    expect(hat.device).toBe('/dev/leds0');
    const onPi5 = track(
      await createUnicornHatDriver(hat, driverContext(hat).ctx, undefined, { io: dev.io(), compatiblePath: pi5Tree }),
    );
    expect(onPi5).toBeInstanceOf(PioDriver);
    await onPi5.start();
    expect(dev.opens).toBe(1);
    await onPi5.stop(true);
    const pi4 = join(dir, 'pi4');
    writeFileSync(pi4, 'raspberrypi,4-model-b\0brcm,bcm2711\0');
    const fake = new FakeWs281x();
    const onPi4 = track(
      await createUnicornHatDriver(hat, driverContext(hat).ctx, fake.loaders(0), { io: dev.io(), compatiblePath: pi4 }),
    );
    expect(onPi4).toBeInstanceOf(Ws281xCore);
  });
});
