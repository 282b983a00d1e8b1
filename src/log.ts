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
export function createLogger(
  opts: { level?: string; format?: 'auto' | 'json' | 'pretty'; stream?: NodeJS.WritableStream } = {},
): Logger {
  const format = opts.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && !opts.stream && process.stderr.isTTY === true);
  const base = { level: opts.level ?? 'info', base: { name: 'podglow' }, redact: { paths: REDACT, censor: '[redacted]' } };
  if (pretty) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { destination: 2, colorize: true, ignore: 'pid,hostname,name', translateTime: 'HH:MM:ss' },
      },
    });
  }
  return pino(base, opts.stream ?? pino.destination(2));
}

/** A logger that writes nothing (tests, one-shot commands). */
export const silentLogger: Logger = pino({ level: 'silent' });

/** Just the `at …` lines of a stack (the message line(s) dropped). */
function frames(stack: string | undefined): string[] {
  return (stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
}

/**
 * An error for a log line whose message already carries the error's text: its type and the
 * stack frames of it and each cause, without repeating the message (pino's own serializer
 * would print it in `message`, in `stack` and again for every cause).
 */
export function errorFrames(e: unknown): { type: string; stack: string } {
  if (!(e instanceof Error)) return { type: typeof e, stack: '' };
  const lines = frames(e.stack);
  for (let c = e.cause; c instanceof Error; c = c.cause) lines.push(`caused by ${c.name}`, ...frames(c.stack));
  return { type: e.name, stack: lines.join('\n') };
}
