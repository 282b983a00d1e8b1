import type { Config, OutputConfig } from './config/schema.js';
import { outputName } from './config/schema.js';
import { outputDisplay } from './layout/labels.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import type { Source } from './source/source.js';
import type { Driver, DriverContext } from './output/driver.js';
import { outputGeometry, withDeviceGeometry } from './output/geometry.js';
import { createDriver as registryCreateDriver } from './output/registry.js';
import { createSource } from './source/index.js';
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
  /** After a crash: stops the effects and blanks every output whatever its onExit says (SPEC §6). */
  blankAfterCrash(): Promise<void>;
}

/** Longest wait for the poll loop and the writes in flight before blanking after a crash. */
export const CRASH_HALT_MS = 500;

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
  // Loaded only when serving, so express and the page's code stay out of a config without the
  // server; loaded first, so nothing waits on it between the first poll and the server.
  const serverModules =
    config.server.enabled && opts.server !== false
      ? await Promise.all([import('./server/index.js'), import('./server/state.js')]).then(([i, st]) => ({
          startServer: i.startServer,
          previewContext: st.previewContext,
        }))
      : undefined;

  const started: Started[] = [];
  try {
    for (const [i, o] of config.outputs.entries()) {
      const name = outputName(config.outputs, i);
      const ctx: DriverContext = {
        name,
        geometry: outputGeometry(o),
        fps: o.fps ?? config.effects.fps,
        log: log.child({ output: name }),
        // Drivers report unplug/replug; the controller exists by then (drivers start first).
        onStatus: (up, error) => controller?.outputStatus(name, up, error),
        // A WLED sized from /json/info that answered after start: lay it out at its size.
        // Before the controller exists, the started entry it will be built from takes the size.
        onGeometry: (g) => {
          const sized = withDeviceGeometry(o, g);
          const entry = started.find((x) => x.name === name);
          if (entry) entry.config = sized;
          controller?.resizeOutput(name, sized);
        },
        display: { ...outputDisplay(config, o), nodeName: process.env.NODE_NAME || undefined },
      };
      let driver: Driver;
      try {
        driver = await create(o, ctx);
        await driver.start();
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        // Drivers name themselves (`unicornhat "hat": …`); add the output only where they did not.
        const named = message.startsWith(`${o.type} "${name}"`) ? message : `output "${name}" (${o.type}): ${message}`;
        throw new Error(named, { cause: e });
      }
      // A BlinkStick without `leds:` tells its model's LED count only now: lay out for it.
      started.push({ name, config: withDeviceGeometry(o, driver.deviceGeometry), driver, onExit: o.onExit ?? config.onExit });
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
  for (const o of started) o.driver.follow?.(controller);
  controller.start();

  let server: { url: string; close(): Promise<void> } | undefined;
  if (serverModules) {
    try {
      const { startServer, previewContext } = serverModules;
      const preview = previewContext(config, process.env.NODE_NAME || undefined);
      server = await startServer(controller, metrics, { address: config.server.address, port: config.server.port, preview }, log);
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
    async blankAfterCrash() {
      // The crash may have come from the loop itself: wait for it only briefly.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ctl.stop().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, CRASH_HALT_MS)))]);
      clearTimeout(timer);
      await stopOutputs(started, log, true);
    },
  };
}

/**
 * Stops outputs in reverse start order, each on its own: blank (unless onExit: keep, or
 * always after a crash: `crash`), then release.
 */
async function stopOutputs(started: readonly Started[], log: Logger, crash = false): Promise<void> {
  for (const o of [...started].reverse()) {
    try {
      await o.driver.stop(crash || o.onExit !== 'keep');
    } catch (e) {
      log.error({ output: o.name, err: e }, crash ? 'blanking output failed' : 'stopping output failed');
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
