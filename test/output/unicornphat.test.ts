import { describe, expect, it } from 'vitest';
import { PHAT_MAP, createUnicornPhatDriver, unicornPhatIndex, unicornPhatOrder } from '../../src/output/unicornphat.js';
import { FakeWs281x } from '../fakes/fakeWs281x.js';
import { distinctFrame, driverContext, outputConfig, word } from './helpers.js';

// backend auto reads the device tree: these tests pin "not a Pi 5" (rpi-ws281x) whatever machine runs them.
const NOT_A_PI5 = { compatiblePath: '/nonexistent/podglow-not-a-pi5/compatible' };

describe('unicornphat pixel map', () => {
  it("is Pimoroni's PHAT table", () => {
    // Copied by hand from Pimoroni unicorn-hat library/UnicornHat/unicornhat.py, table PHAT ([x][y] after y = 3 - y).
    expect(PHAT_MAP).toEqual([
      [24, 16, 8, 0],
      [25, 17, 9, 1],
      [26, 18, 10, 2],
      [27, 19, 11, 3],
      [28, 20, 12, 4],
      [29, 21, 13, 5],
      [30, 22, 14, 6],
      [31, 23, 15, 7],
    ]);
  });

  it('at rotation 0 the pHAT is wired row by row from the top left', () => {
    expect(unicornPhatOrder(0)).toEqual(Array.from({ length: 32 }, (_, i) => i));
    expect(unicornPhatIndex(7, 0, 0)).toBe(7);
    expect(unicornPhatIndex(0, 3, 0)).toBe(24);
  });

  it('rotation 180 turns the picture round', () => {
    expect(unicornPhatOrder(180)).toEqual(Array.from({ length: 32 }, (_, i) => 31 - i));
    expect(unicornPhatIndex(0, 0, 180)).toBe(31);
  });
});

describe('unicornphat driver', () => {
  it.each([0, 180] as const)('inits 32 LEDs with DMA 10 and writes the physical array at rotation %i', async (rotation) => {
    const fake = new FakeWs281x();
    const config = outputConfig({ type: 'unicornphat', rotation });
    const { ctx } = driverContext(config);
    expect(ctx.geometry).toEqual({ width: 8, height: 4 });
    const driver = await createUnicornPhatDriver(config, ctx, fake.loaders(0), NOT_A_PI5);
    await driver.start();
    // The LED_* settings and 128/255 ceiling of Pimoroni's library/UnicornHat/unicornhat.py, 32 LEDs for the pHAT.
    expect(fake.inits).toEqual([
      { count: 32, options: { dma: 10, freq: 800000, gpio: 18, invert: false, brightness: 255, stripType: 'ws2812' } },
    ]);
    expect(driver.maxBrightness).toBe(0.5);
    const frame = distinctFrame(32);
    await driver.show(frame);
    const expected = new Uint32Array(32);
    frame.forEach((c, i) => (expected[rotation === 0 ? i : 31 - i] = word(c)));
    expect(fake.lastRender).toEqual(expected);
    await driver.stop(true);
    expect(fake.lastRender).toEqual(new Uint32Array(32));
    expect(fake.finalizeCalls).toBe(1);
  });
});
