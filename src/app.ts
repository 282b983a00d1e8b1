import type { Config, OutputConfig } from './config/schema.js';
import { defaultOutputName } from './config/schema.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import type { Source } from './snapshot.js';
import type { Driver, DriverContext } from './output/driver.js';
import { outputGeometry } from './output/geometry.js';
import { createDriver as registryCreateDriver } from './output/registry.js';
import { resolveWledSizes } from './output/wled.js';
import { createSource } from './source/index.js';
import { startServer } from './server/index.js';
import { legendFromPalette } from './server/state.js';
import { resolvePalette } from './layout/index.js';
import { Controller, type ControllerOutput } from './loop/controller.js';

/** Options of startPodglow; everything but `log` has a production default. */
export interface StartOptions {
  log: Logger;
  metrics?: Metrics;
  /** Source to poll instead of the configured one (demo, tests). */
  source?: Source;
  /** Driver factory instead of the registry (tests). */
  createDriver?: (o: OutputConfig, ctx: DriverContext) => Promise<Driver>;
  /** False to skip the HTTP server even when the config enables it. */
  server?: boolean;
}

/** A running podglow. */
export interface Podglow {
  controller: Controller;
  /** Base URL of the HTTP server, when it runs. */
  url?: string;
  /** Aborts the poll, stops outputs in reverse start order, closes the server; idempotent. */
  stop(): Promise<void>;
}

interface Started extends ControllerOutput {
  onExit: 'blank' | 'keep';
}

/**
 * Starts podglow: opens every output first (a missing or unusable device fails here, with
 * its output named, before anything else runs), then the source, the poll loop and the
 * HTTP server.
 */
export async function startPodglow(config: Config, opts: StartOptions): Promise<Podglow> {
  const { log } = opts;
  const metrics = opts.metrics ?? new Metrics();
  const create = opts.createDriver ?? registryCreateDriver;
  let controller: Controller | undefined;

  // wled outputs without a size read it from the device before any geometry is computed.
  config = await resolveWledSizes(config, log);
  const started: Started[] = [];
  try {
    for (const [i, o] of config.outputs.entries()) {
      const name = o.name ?? defaultOutputName(config.outputs, i);
      const ctx: DriverContext = {
        name,
        geometry: outputGeometry(o),
        fps: o.fps ?? config.effects.fps,
        log: log.child({ output: name }),
        // Drivers report unplug/replug; the controller exists by then (drivers start first).
        onStatus: (up, error) => controller?.outputStatus(name, up, error),
      };
      let driver: Driver;
      try {
        driver = await create(o, ctx);
        await driver.start();
      } catch (e) {
        throw new Error(`output "${name}" (${o.type}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      started.push({ name, config: o, driver, onExit: o.onExit ?? config.onExit });
      log.debug({ output: name, type: o.type }, 'output started');
    }
  } catch (e) {
    await stopOutputs(started, log);
    throw e;
  }

  let source: Source;
  try {
    source = opts.source ?? (await createSource(config, { log }));
  } catch (e) {
    await stopOutputs(started, log);
    throw e;
  }

  controller = new Controller({ config, source, outputs: started, metrics, log });
  controller.start();

  let server: { url: string; close(): Promise<void> } | undefined;
  if (config.server.enabled && opts.server !== false) {
    try {
      const legend = legendFromPalette(resolvePalette(config.palette));
      server = await startServer(controller, metrics, { address: config.server.address, port: config.server.port, legend }, log);
    } catch (e) {
      await controller.stop();
      await stopOutputs(started, log);
      await closeSource(source, log);
      throw new Error(`HTTP server on ${config.server.address}:${config.server.port}: ${(e as Error).message}`, { cause: e });
    }
  }

  const ctl = controller;
  let stopping: Promise<void> | null = null;
  return {
    controller: ctl,
    url: server?.url,
    stop() {
      stopping ??= (async () => {
        log.info('stopping');
        try {
          await ctl.stop();
        } catch (e) {
          log.error({ err: e }, 'stopping the poll loop failed');
        }
        await stopOutputs(started, log);
        if (server) {
          try {
            await server.close();
          } catch (e) {
            log.error({ err: e }, 'closing the HTTP server failed');
          }
        }
        await closeSource(source, log);
        log.info('stopped');
      })();
      return stopping;
    },
  };
}

/** Stops outputs in reverse start order, each on its own: blank (unless onExit: keep), then release. */
async function stopOutputs(started: readonly Started[], log: Logger): Promise<void> {
  for (const o of [...started].reverse()) {
    try {
      await o.driver.stop(o.onExit !== 'keep');
    } catch (e) {
      log.error({ output: o.name, err: e }, 'stopping output failed');
    }
  }
}

async function closeSource(source: Source, log: Logger): Promise<void> {
  try {
    await source.close?.();
  } catch (e) {
    log.error({ err: e }, 'closing the source failed');
  }
}
