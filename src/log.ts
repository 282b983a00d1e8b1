import { pino, type Logger as PinoLogger } from 'pino';

/** The logger type used everywhere. */
export type Logger = PinoLogger;

/** Keys whose values never reach a log line. */
const REDACT = [
  'password',
  'token',
  'authorization',
  '*.password',
  '*.token',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
];

/**
 * Creates the process logger: one JSON object per line, or readable lines on a TTY
 * (`format: auto`). Secrets are redacted by key.
 */
export function createLogger(opts: { level?: string; format?: 'auto' | 'json' | 'pretty'; stream?: NodeJS.WritableStream } = {}): Logger {
  const format = opts.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && !opts.stream && process.stderr.isTTY === true);
  const base = { level: opts.level ?? 'info', base: { name: 'podglow' }, redact: { paths: REDACT, censor: '[redacted]' } };
  if (pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, ignore: 'pid,hostname,name', translateTime: 'HH:MM:ss' } },
    });
  }
  return pino(base, opts.stream ?? pino.destination(2));
}

/** A logger that writes nothing (tests, one-shot commands). */
export const silentLogger: Logger = pino({ level: 'silent' });
