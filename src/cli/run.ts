import { COMMON_HELP, EXIT_FAILURE, configFromFlags, parseCommand } from './common.js';
import type { Logger } from '../log.js';
import type { Config } from '../config/schema.js';
import type { StartOptions } from '../app.js';

const HELP = [
  'Usage: podglow run [options]',
  '',
  'The controller: polls Prometheus on the configured interval, lays out every output,',
  'drives the LEDs and serves /metrics, the health checks and the preview page.',
  'Stops cleanly on SIGTERM or SIGINT (outputs blanked unless onExit: keep).',
  'On a crash it blanks every output it still can and exits 1.',
  '',
  'Options:',
  ...COMMON_HELP,
].join('\n');

/** Longest time a clean shutdown may take before the process exits anyway (SPEC §6). */
export const SHUTDOWN_TIMEOUT_MS = 5000;

/** What runUntilSignal listens on and how it ends the process (the real process by default). */
export interface SignalOptions {
  proc?: { on(event: 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown };
  exit?: (code: number) => void;
  timeoutMs?: number;
}

/**
 * Waits for SIGTERM or SIGINT, then runs `stop` once and resolves with the exit code (0, or 1
 * when stop failed). A second signal exits at once; a shutdown that takes longer than 5 s, or
 * anything left keeping the process alive after it, ends the process at that deadline.
 */
export function runUntilSignal(stop: () => Promise<void>, log: Logger, opts: SignalOptions = {}): Promise<number> {
  const proc = opts.proc ?? process;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = opts.timeoutMs ?? SHUTDOWN_TIMEOUT_MS;
  return new Promise<number>((resolve) => {
    let stopping = false;
    let result: number | undefined;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now');
        exit(signal === 'SIGINT' ? 130 : 143);
        return;
      }
      stopping = true;
      log.info({ signal }, 'shutting down');
      // unref: a clean exit never waits for it; it only fires if something keeps the process alive.
      setTimeout(() => {
        if (result === undefined) log.error(`shutdown took longer than ${timeoutMs / 1000}s; exiting`);
        exit(result ?? EXIT_FAILURE);
      }, timeoutMs).unref();
      void stop()
        .then(
          () => 0,
          (e: unknown) => {
            log.error({ err: e }, 'shutdown failed');
            return EXIT_FAILURE;
          },
        )
        .then((code) => {
          result = code;
          resolve(code);
        });
    };
    proc.on('SIGTERM', onSignal);
    proc.on('SIGINT', onSignal);
  });
}

/** Longest time blanking the outputs may take after a crash before the process exits anyway. */
export const CRASH_BLANK_TIMEOUT_MS = 2000;

/** What exitOnCrash listens on and how it ends the process (the real process by default). */
export interface CrashOptions {
  proc?: { on(event: 'uncaughtException' | 'unhandledRejection', listener: (err: unknown) => void): unknown };
  exit?: (code: number) => void;
  timeoutMs?: number;
}

/**
 * On an uncaught exception or unhandled rejection: logs it, runs `blank` (every output that
 * can still be written goes dark) for at most `timeoutMs`, then exits 1 (SPEC §6): LEDs latch
 * their last colours, and a dead podglow must not look like a quiet cluster.
 */
export function exitOnCrash(blank: () => Promise<void>, log: Logger, opts: CrashOptions = {}): void {
  const proc = opts.proc ?? process;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = opts.timeoutMs ?? CRASH_BLANK_TIMEOUT_MS;
  let crashed = false;
  const onCrash = (kind: string) => (err: unknown) => {
    log.fatal({ err }, `${kind}: ${err instanceof Error ? err.message : String(err)}; blanking the outputs and exiting`);
    if (crashed) return;
    crashed = true;
    // Not unref'd: the exit code must be 1 even if nothing else is left to run.
    const deadline = setTimeout(() => {
      log.error(`blanking took longer than ${timeoutMs / 1000}s; exiting`);
      exit(EXIT_FAILURE);
    }, timeoutMs);
    blank()
      .catch((e: unknown) => log.error({ err: e }, 'blanking after the crash failed'))
      .finally(() => {
        clearTimeout(deadline);
        exit(EXIT_FAILURE);
      });
  };
  proc.on('uncaughtException', onCrash('uncaught exception'));
  proc.on('unhandledRejection', onCrash('unhandled rejection'));
}

/**
 * Runs podglow on a validated config until SIGTERM/SIGINT (exit 0) or a crash (outputs
 * blanked, exit 1); `start` overrides StartOptions (tests pass recording drivers).
 */
export async function runPodglow(config: Config, log: Logger, start: Partial<StartOptions> = {}): Promise<number> {
  // Loaded here, not at the top, so `run --help` does not load the HTTP stack and the drivers.
  const [{ startPodglow }, { errorFrames }] = await Promise.all([import('../app.js'), import('../log.js')]);
  const starting = startPodglow(config, { log, ...start });
  // Listen before the outputs are open, so a signal or crash during start-up still blanks them.
  const stopped = runUntilSignal(async () => (await starting.catch(() => undefined))?.stop(), log);
  exitOnCrash(async () => (await starting.catch(() => undefined))?.blankAfterCrash(), log);
  let app;
  try {
    app = await starting;
  } catch (e) {
    // The message once, in `msg`; the error's frames beside it (see errorFrames).
    log.fatal({ err: errorFrames(e) }, `cannot start: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT_FAILURE;
  }
  log.info({ url: app.url, outputs: app.controller.outputs().map((o) => `${o.name} (${o.type})`) }, 'podglow running');
  return stopped;
}

/** `podglow run`: config → outputs → poll loop → HTTP server, until SIGTERM/SIGINT. */
export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {}, HELP);
  if (!parsed) return 0;
  // A ConfigError propagates to the dispatcher (exit 2) before any device is opened.
  const config = configFromFlags(parsed.values);
  const { createLogger } = await import('../log.js');
  const log = createLogger({ level: config.log.level, format: config.log.format });
  return runPodglow(config, log);
}
