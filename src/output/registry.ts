import type { OutputConfig, OutputType } from '../config/schema.js';
import type { Driver, DriverContext } from './driver.js';

type FactoryFor<T extends OutputType> = (config: Extract<OutputConfig, { type: T }>, ctx: DriverContext) => Promise<Driver>;

// One entry per output type. Driver modules load on demand, and the hardware ones import
// their native packages only in start(), so a laptop or CI never loads them.
const FACTORIES: { [T in OutputType]: FactoryFor<T> } = {
  unicornhat: async (config, ctx) => (await import('./unicornhat.js')).createUnicornHatDriver(config, ctx),
  unicornphat: async (config, ctx) => (await import('./unicornphat.js')).createUnicornPhatDriver(config, ctx),
  ws281x: async (config, ctx) => (await import('./ws281x.js')).createWs281xDriver(config, ctx),
  wled: async (config, ctx) => (await import('./wled.js')).createWledDriver(config, ctx),
  blinkt: async (config, ctx) => (await import('./blinkt.js')).createBlinktDriver(config, ctx),
  blinkstick: async (config, ctx) => (await import('./blinkstick.js')).createBlinkStickDriver(config, ctx),
  terminal: async (config, ctx) => (await import('./terminal.js')).createTerminalDriver(config, ctx),
  web: async (config, ctx) => (await import('./web.js')).createWebDriver(config, ctx),
};

/** Builds the driver for one configured output; nothing is opened until its `start()`. */
export async function createDriver(config: OutputConfig, ctx: DriverContext): Promise<Driver> {
  const factory = FACTORIES[config.type] as FactoryFor<OutputType> | undefined;
  if (!factory) throw new Error(`unknown output type "${(config as { type: string }).type}"`);
  return factory(config, ctx);
}
