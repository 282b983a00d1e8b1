import { describe, expect, it } from 'vitest';
import { createDriver } from '../../src/output/registry.js';
import { BlinkStickDriver } from '../../src/output/blinkstick.js';
import { Ws281xCore } from '../../src/output/ws281x.js';
import type { OutputConfig } from '../../src/config/schema.js';
import { driverContext, outputConfig } from './helpers.js';

describe('createDriver', () => {
  it('builds hardware drivers without opening anything or loading native modules', async () => {
    const hat = outputConfig({ type: 'unicornhat' });
    const hatDriver = await createDriver(hat, driverContext(hat).ctx);
    expect(hatDriver).toBeInstanceOf(Ws281xCore);
    expect(hatDriver.maxBrightness).toBe(0.5);
    expect(hatDriver.up).toBe(false);

    const phat = outputConfig({ type: 'unicornphat' });
    expect(await createDriver(phat, driverContext(phat).ctx)).toBeInstanceOf(Ws281xCore);
    const strip = outputConfig({ type: 'ws281x', count: 3, maxBrightness: 0.25 });
    expect((await createDriver(strip, driverContext(strip).ctx)).maxBrightness).toBe(0.25);

    const stick = outputConfig({ type: 'blinkstick' });
    expect(await createDriver(stick, driverContext(stick).ctx)).toBeInstanceOf(BlinkStickDriver);

    // Constructing drivers must not pull in the native packages.
    const loaded = Object.keys((await import('node:module')).createRequire(import.meta.url).cache);
    expect(loaded.filter((p) => /rpi-ws281x-native|node-hid/.test(p))).toEqual([]);
  });

  it('has entries for terminal and web', async () => {
    for (const type of ['terminal', 'web'] as const) {
      const config = outputConfig({ type });
      const driver = await createDriver(config, driverContext(config).ctx);
      expect(typeof driver.show).toBe('function');
      expect(driver.up === true || driver.up === false).toBe(true);
    }
  });

  it('rejects an unknown type', async () => {
    const bogus = { ...outputConfig({ type: 'web' }), type: 'lava-lamp' } as unknown as OutputConfig;
    await expect(createDriver(bogus, driverContext(outputConfig({ type: 'web' })).ctx)).rejects.toThrow(
      /unknown output type "lava-lamp"/,
    );
  });
});
