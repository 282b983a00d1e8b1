import type { PollErrorReason } from '../metrics.js';

/** A failed poll with a named reason (metric label) and a one-line message for people. */
export class PollError extends Error {
  constructor(
    readonly reason: PollErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PollError';
  }
}

/** Wraps anything thrown by a poll into a PollError (unknown errors become reason `other`). */
export function toPollError(e: unknown): PollError {
  if (e instanceof PollError) return e;
  return new PollError('other', e instanceof Error ? e.message : String(e), { cause: e });
}
