import type { Snapshot } from '../../src/snapshot.js';
import type { DataTime, Reading, Source } from '../../src/source/source.js';
import { snap } from './helpers.js';

/**
 * A source whose data lands like a Prometheus scrape: samples every `periodMs` from `phaseMs`
 * (server clock = the fake Date + `skewMs`), each answerable `lagMs` after its time. It
 * probes and reads as the Prometheus source does, and records when each probe and full
 * poll ran (fake Date ms).
 */
export class LandingSource implements Source {
  readonly probes: number[] = [];
  readonly reads: number[] = [];
  /** Scrape periods from a server time on: [from, period]; the last entry whose `from` has passed applies. */
  private readonly rhythm: [number, number][];
  /** Server time after which nothing lands any more (a Prometheus that stopped receiving samples). */
  stopsAt = Infinity;
  /** When true, probes never answer (and ignore their abort signal). */
  hangProbes = false;
  /** When set, probes fail with it. */
  failProbes: Error | null = null;
  /** When set, reads fail with it. */
  failReads: Error | null = null;

  constructor(
    periodMs: number,
    private readonly phaseMs: number,
    private readonly lagMs = 50,
    readonly skewMs = 0,
  ) {
    this.rhythm = [[-Infinity, periodMs]];
  }

  /** From server time `from` on, samples land every `periodMs` (counting from `from`). */
  changePeriod(from: number, periodMs: number): void {
    this.rhythm.push([from, periodMs]);
  }

  serverNow(): number {
    return Date.now() + this.skewMs;
  }

  /** Sample times (server clock) that landed in (from, to], in order. */
  samplesBetween(from: number, to: number): number[] {
    const out: number[] = [];
    for (let t = this.newestAt(to); t !== null && t > from; t = this.newestAt(t - 1)) out.unshift(t);
    return out;
  }

  /** The newest sample time at or before server time `at`, or null. */
  newestAt(at: number): number | null {
    const until = Math.min(at, this.stopsAt);
    let entry = this.rhythm[0]!;
    for (const r of this.rhythm) if (r[0] <= until) entry = r;
    const [from, p] = entry;
    const base = from === -Infinity ? this.phaseMs : from;
    const k = Math.floor((until - base) / p);
    const t = base + k * p;
    if (from !== -Infinity && t < from) return this.newestAt(from - 1);
    return t;
  }

  /** The newest sample answerable now (its time + lag has passed). */
  private answerable(): number | null {
    return this.newestAt(this.serverNow() - this.lagMs);
  }

  private dataTime(): DataTime {
    const newest = this.answerable();
    return { evaluatedAt: this.serverNow(), newestSample: newest, watermark: newest, lane: null };
  }

  probe(): Promise<DataTime> {
    this.probes.push(Date.now());
    if (this.hangProbes) return new Promise(() => {});
    if (this.failProbes) return Promise.reject(this.failProbes);
    return Promise.resolve(this.dataTime());
  }

  read(): Promise<Reading> {
    this.reads.push(Date.now());
    if (this.failReads) return Promise.reject(this.failReads);
    return Promise.resolve({ snapshot: snap({ a: { running: 1 } }, new Date(this.serverNow())), data: this.dataTime() });
  }

  async poll(): Promise<Snapshot> {
    return (await this.read()).snapshot;
  }
}
