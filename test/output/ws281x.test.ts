import { describe, expect, it } from 'vitest';
import { createWs281xDriver, matrixOrder, rgbWord } from '../../src/output/ws281x.js';
import { createUnicornHatDriver } from '../../src/output/unicornhat.js';
import { FakeWs281x } from '../fakes/fakeWs281x.js';
import { distinctFrame, driverContext, outputConfig, word } from './helpers.js';

// backend auto reads the device tree: these tests pin "not a Pi 5" (rpi-ws281x) whatever machine runs them.
const NOT_A_PI5 = { compatiblePath: '/nonexistent/podglow-not-a-pi5/compatible' };

describe('matrixOrder', () => {
  it('is row-major without serpentine', () => {
    expect(matrixOrder(3, 2, false)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reverses every other row with serpentine', () => {
    expect(matrixOrder(4, 3, true)).toEqual([0, 1, 2, 3, 7, 6, 5, 4, 8, 9, 10, 11]);
  });
});

// rpi-ws281x-native lib/ws281x-native.js (class Channel): array is a Uint32Array, one 0x(WW)RRGGBB word per LED.
describe('rgbWord', () => {
  it('packs 0xRRGGBB and clamps and rounds stray values', () => {
    expect(rgbWord([0x12, 0x34, 0x56])).toBe(0x123456);
    expect(rgbWord([300, -4, 127.6])).toBe(0xff0080);
    expect(rgbWord([255, 255, 255])).toBe(0xffffff);
    expect(rgbWord([NaN, Infinity, -Infinity])).toBe(0x00ff00);
  });
});

describe('ws281x driver', () => {
  it('drives a serpentine matrix: odd rows reversed in the physical array', async () => {
    const fake = new FakeWs281x();
    const config = outputConfig({ type: 'ws281x', width: 4, height: 3, serpentine: true });
    const { ctx } = driverContext(config, 'matrix');
    const driver = await createWs281xDriver(config, ctx, fake.loaders(0), NOT_A_PI5);
    await driver.start();
    const frame = distinctFrame(12);
    await driver.show(frame);
    const w = frame.map(word);
    expect([...fake.lastRender!]).toEqual([w[0], w[1], w[2], w[3], w[7], w[6], w[5], w[4], w[8], w[9], w[10], w[11]]);
  });

  it('drives a plain strip with its gpio, dma, strip type and brightness cap', async () => {
    const fake = new FakeWs281x();
    const config = outputConfig({ type: 'ws281x', count: 5, gpio: 21, dma: 11, stripType: 'grb', maxBrightness: 0.3 });
    const driver = await createWs281xDriver(config, driverContext(config).ctx, fake.loaders(0), NOT_A_PI5);
    await driver.start();
    // Strip type ids from rpi-ws281x-native lib/constants.js (stripTypeIds); brightness 255 passes
    // bytes through: rpi_ws281x ws2811.c scales each channel by (brightness + 1) >> 8.
    expect(fake.inits).toEqual([
      { count: 5, options: { dma: 11, freq: 800000, gpio: 21, invert: false, brightness: 255, stripType: 'ws2811-grb' } },
    ]);
    expect(driver.maxBrightness).toBe(0.3);
    const frame = distinctFrame(5);
    await driver.show(frame);
    expect([...fake.lastRender!]).toEqual(frame.map(word));
  });

  it('defaults to DMA 10, GPIO 18 and ws2812', async () => {
    const fake = new FakeWs281x();
    const config = outputConfig({ type: 'ws281x', count: 3 });
    const driver = await createWs281xDriver(config, driverContext(config).ctx, fake.loaders(0), NOT_A_PI5);
    await driver.start();
    expect(fake.inits[0]!.options).toEqual({
      dma: 10,
      freq: 800000,
      gpio: 18,
      invert: false,
      brightness: 255,
      stripType: 'ws2812',
    });
    expect(driver.maxBrightness).toBe(1);
  });

  it('refuses to start when not root, before loading the module, saying what to do', async () => {
    const fake = new FakeWs281x();
    const config = outputConfig({ type: 'unicornhat' });
    const driver = await createUnicornHatDriver(config, driverContext(config, 'hat').ctx, fake.loaders(1000), NOT_A_PI5);
    await expect(driver.start()).rejects.toThrow(/needs root.*\/dev\/mem.*sudo podglow run.*privileged/s);
    expect(fake.importCalls).toBe(0);
    expect(fake.inits).toEqual([]);
    expect(driver.up).toBe(false);
    await driver.stop(true);
    expect(fake.finalizeCalls).toBe(0);
  });

  it('refuses to start when getuid is unavailable', async () => {
    const fake = new FakeWs281x();
    const config = outputConfig({ type: 'ws281x', count: 2 });
    const driver = await createWs281xDriver(config, driverContext(config).ctx, fake.loaders('none'), NOT_A_PI5);
    await expect(driver.start()).rejects.toThrow(/needs root/);
  });

  it('refuses to start when init throws, explains unsupported boards, and never finalises', async () => {
    const fake = new FakeWs281x();
    fake.initError = new Error('Hardware revision is not supported');
    const config = outputConfig({ type: 'unicornhat' });
    const driver = await createUnicornHatDriver(config, driverContext(config, 'hat').ctx, fake.loaders(0), NOT_A_PI5);
    await expect(driver.start()).rejects.toThrow(/init failed: Hardware revision is not supported.*Raspberry Pi 5/s);
    expect(driver.up).toBe(false);
    await driver.show(distinctFrame(64));
    await driver.stop(true);
    await driver.stop(true);
    // Never finalize() after a failed init: the C library (rpi_ws281x ws2811.c, ws2811_fini) segfaults on it.
    expect(fake.finalizeCalls).toBe(0);
    expect(fake.segfaulted).toBe(false);
    expect(fake.renders).toEqual([]);
  });

  it('says how to install the module when it cannot be loaded', async () => {
    const config = outputConfig({ type: 'ws281x', count: 2 });
    const driver = await createWs281xDriver(config, driverContext(config).ctx, {
      ws281x: async () => {
        throw new Error("Cannot find module 'rpi-ws281x-native'");
      },
      hid: async () => {
        throw new Error('unused');
      },
      getuid: () => 0,
    });
    await expect(driver.start()).rejects.toThrow(/cannot load rpi-ws281x-native.*npm install rpi-ws281x-native/s);
  });

  it('allows only one ws281x-based output per process, and the slot frees on stop', async () => {
    // rpi-ws281x-native lib/ws281x-native.js keeps its channels in one module-level array.
    const fake = new FakeWs281x();
    const hatConfig = outputConfig({ type: 'unicornhat' });
    const stripConfig = outputConfig({ type: 'ws281x', count: 4 });
    const hat = await createUnicornHatDriver(hatConfig, driverContext(hatConfig).ctx, fake.loaders(0), NOT_A_PI5);
    const strip = await createWs281xDriver(stripConfig, driverContext(stripConfig).ctx, fake.loaders(0), NOT_A_PI5);
    await hat.start();
    await expect(strip.start()).rejects.toThrow(/only one/);
    expect(fake.inits).toHaveLength(1);
    await hat.stop(true);
    const again = await createWs281xDriver(stripConfig, driverContext(stripConfig).ctx, fake.loaders(0), NOT_A_PI5);
    await again.start();
    expect(fake.inits).toHaveLength(2);
  });
});
