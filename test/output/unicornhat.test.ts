import { describe, expect, it } from 'vitest';
import type { Rgb } from '../../src/color.js';
import {
  HAT_MAP,
  createUnicornHatDriver,
  unicornHatIndex,
  unicornHatOrder,
  type HatRotation,
} from '../../src/output/unicornhat.js';
import { FakeWs281x } from '../fakes/fakeWs281x.js';
import { SPEC_HAT, specHatIndex as specIndex } from '../helpers/pimoroniMaps.js';
import { distinctFrame, driverContext, outputConfig, word } from './helpers.js';

// backend auto reads the device tree: these tests pin "not a Pi 5" (rpi-ws281x) whatever machine runs them.
const NOT_A_PI5 = { compatiblePath: '/nonexistent/podglow-not-a-pi5/compatible' };

// SPEC §7 / Pimoroni unicorn-hat library/UnicornHat/unicornhat.py: table HAT and its rotations,
// copied by hand in test/helpers/pimoroniMaps.ts (shared with pio.test.ts).

const ROTATIONS: HatRotation[] = [0, 90, 180, 270];

async function startedHat(rotation: HatRotation) {
  const fake = new FakeWs281x();
  const config = outputConfig({ type: 'unicornhat', rotation });
  const { ctx } = driverContext(config, 'hat');
  const driver = await createUnicornHatDriver(config, ctx, fake.loaders(0), NOT_A_PI5);
  await driver.start();
  return { fake, driver };
}

describe('unicornhat pixel map', () => {
  it('is the SPEC §7 table', () => {
    expect(HAT_MAP).toEqual(SPEC_HAT);
  });

  it('maps the top row at rotation 0 onto the serpentine columns', () => {
    // Logical row y goes to [y, 15-y, 16+y, 31-y, ...]: the HAT is wired column by column.
    for (let y = 0; y < 8; y++) {
      const row = [0, 1, 2, 3, 4, 5, 6, 7].map((x) => unicornHatIndex(x, y, 0));
      expect(row).toEqual([y, 15 - y, 16 + y, 31 - y, 32 + y, 47 - y, 48 + y, 63 - y]);
    }
  });

  it('sends the logical top-left corner to a different physical corner at each rotation', () => {
    expect(ROTATIONS.map((r) => unicornHatIndex(0, 0, r))).toEqual([0, 63, 56, 7]);
  });

  it.each(ROTATIONS)('rotation %i matches the SPEC formula and is a permutation', (rotation) => {
    const order = unicornHatOrder(rotation);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(order[y * 8 + x]).toBe(specIndex(x, y, rotation));
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i));
  });

  it('rotations are rotations of the rotation-0 picture', () => {
    const p0 = (x: number, y: number) => unicornHatIndex(x, y, 0);
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        expect(unicornHatIndex(x, y, 90)).toBe(p0(7 - y, x));
        expect(unicornHatIndex(x, y, 180)).toBe(p0(7 - x, 7 - y));
        expect(unicornHatIndex(x, y, 270)).toBe(p0(y, 7 - x));
      }
    }
  });
});

describe('unicornhat driver', () => {
  it('initialises rpi-ws281x-native with 64 LEDs, DMA 10, GPIO 18, 800 kHz, ws2812 (GRB) and full library brightness', async () => {
    const { fake, driver } = await startedHat(0);
    // 64 LEDs, GPIO 18, 800 kHz, DMA 10 and the 128/255 ceiling: the LED_* settings of Pimoroni's
    // library/UnicornHat/unicornhat.py; brightness 255 = pass-through in rpi_ws281x ws2811.c.
    expect(fake.inits).toEqual([
      { count: 64, options: { dma: 10, freq: 800000, gpio: 18, invert: false, brightness: 255, stripType: 'ws2812' } },
    ]);
    // The 128/255 cap is applied once, by the effects pipeline.
    expect(driver.maxBrightness).toBe(0.5);
    expect(driver.gamma).toBe(true);
    expect(driver.up).toBe(true);
    // start() clears what a previous run left.
    expect(fake.renders).toEqual([new Uint32Array(64)]);
  });

  it('passes configured gpio and dma through', async () => {
    const fake = new FakeWs281x();
    const config = outputConfig({ type: 'unicornhat', gpio: 12, dma: 5 });
    const driver = await createUnicornHatDriver(config, driverContext(config).ctx, fake.loaders(0), NOT_A_PI5);
    await driver.start();
    expect(fake.inits[0]!.options).toMatchObject({ gpio: 12, dma: 5, freq: 800000, stripType: 'ws2812' });
  });

  it.each(ROTATIONS)('writes a known logical frame to the physical array at rotation %i', async (rotation) => {
    const { fake, driver } = await startedHat(rotation);
    const frame = distinctFrame(64);
    await driver.show(frame);
    const expected = new Uint32Array(64);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expected[specIndex(x, y, rotation)] = word(frame[y * 8 + x]!);
    expect(fake.lastRender).toEqual(expected);
  });

  it('lights physical LED 0 for a single red top-left pixel at rotation 0 and sends colours unchanged (0xRRGGBB)', async () => {
    const { fake, driver } = await startedHat(0);
    const frame: Rgb[] = Array.from({ length: 64 }, (): Rgb => [0, 0, 0]);
    frame[0] = [0x80, 0x10, 0x01];
    await driver.show(frame);
    expect(fake.lastRender![0]).toBe(0x801001);
    expect([...fake.lastRender!].filter((v) => v !== 0)).toHaveLength(1);
  });

  it('stop() blanks, finalises once and is idempotent', async () => {
    const { fake, driver } = await startedHat(0);
    await driver.show(distinctFrame(64));
    const before = fake.renders.length;
    await driver.stop(true);
    await driver.stop(true);
    expect(fake.renders.length).toBe(before + 1);
    expect(fake.lastRender).toEqual(new Uint32Array(64));
    expect(fake.finalizeCalls).toBe(1);
    expect(driver.up).toBe(false);
    await driver.show(distinctFrame(64));
    expect(fake.renders.length).toBe(before + 1);
  });

  it('stop(false) keeps the picture and still releases', async () => {
    const { fake, driver } = await startedHat(0);
    await driver.show(distinctFrame(64));
    const picture = fake.lastRender;
    await driver.stop(false);
    expect(fake.lastRender).toBe(picture);
    expect(fake.finalizeCalls).toBe(1);
  });
});
