/** A reconnect delay that doubles after each use, up to a ceiling, until reset (BlinkStick, WLED). */
export class Backoff {
  private ms: number;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    this.ms = minMs;
  }

  /** The delay the next take() returns. */
  get nextMs(): number {
    return this.ms;
  }

  /** The delay to wait now; the one after it is twice as long, at most maxMs. */
  take(): number {
    const ms = this.ms;
    this.ms = Math.min(ms * 2, this.maxMs);
    return ms;
  }

  /** Back to the first delay, after a reconnect that held. */
  reset(): void {
    this.ms = this.minMs;
  }
}
