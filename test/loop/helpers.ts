import { afterEach, beforeEach, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config, ConfigInput } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import { Controller } from '../../src/loop/controller.js';
import { Metrics } from '../../src/metrics.js';
import { emptyAlerts, type Snapshot } from '../../src/snapshot.js';
import type { Source } from '../../src/source/source.js';
import { emptyCounts, type StateCounts } from '../../src/states.js';
import { RecordingDriver } from '../fakes/recordingDriver.js';
import { node } from '../layout/helpers.js';

/** A snapshot with the given nodes (all Ready, schedulable) and pod counts. */
export function snap(nodes: Record<string, Partial<StateCounts>>, time = new Date()): Snapshot {
  return {
    time: time.toISOString(),
    nodes: Object.entries(nodes).map(([name, pods]) => node(name, pods)),
    unscheduled: emptyCounts(),
    alerts: emptyAlerts(),
    queries: {},
  };
}

/** A validated config for tests (demo source, no server, no environment). */
export function testConfig(input: Partial<ConfigInput> & Pick<ConfigInput, 'outputs'>): Config {
  return parseConfig(
    { source: 'demo', server: { enabled: false }, effects: { transitionMs: 0, fps: 30 }, ...input },
    { env: {} },
  );
}

/**
 * testConfig with a staleAfter set after validation: load refuses one at or below the
 * interval, but a test may want staleness sooner than the scheduler polls.
 */
export function withStaleAfter(ms: number, input: Partial<ConfigInput> & Pick<ConfigInput, 'outputs'>): Config {
  return { ...testConfig(input), staleAfter: ms };
}

/** A 4-LED terminal strip named 'strip' with the nodes layout. */
export const stripOutput = {
  type: 'terminal' as const,
  name: 'strip',
  width: 4,
  height: 1,
  brightness: 1,
  layout: { type: 'nodes' as const },
};

/** A 2×2 terminal matrix 'm' with a column per node, paging every 5 s: three nodes take two pages. */
export const pagedMatrixOutput = {
  type: 'terminal' as const,
  name: 'm',
  width: 2,
  height: 2,
  brightness: 1,
  layout: { type: 'matrix' as const, columnsPerNode: 1, pageSeconds: 5 },
};

/** A Controller driving the config's first output as 'strip' through a RecordingDriver, with its own Metrics and a silent log. */
export function stripController(config: Config, source: Source) {
  const metrics = new Metrics({ defaultMetrics: false });
  const driver = new RecordingDriver({ name: 'strip' });
  const c = new Controller({
    config,
    source,
    outputs: [{ name: 'strip', config: config.outputs[0]!, driver }],
    metrics,
    log: silentLogger,
  });
  return { c, driver, metrics };
}

/** The loop tests' start on fake timers: 2026-11-21 12:00 local time (ms). */
export const LOOP_T0 = new Date(2026, 10, 21, 12, 0, 0, 0).getTime();

/** Fake timers at LOOP_T0 for every test of the file; after each, `stop` (the test's Controller) and real timers again. */
export function useLoopClock(stop: () => Promise<void>): void {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(LOOP_T0);
  });
  afterEach(async () => {
    await stop();
    vi.useRealTimers();
  });
}

/** One recorded poll. */
export interface PollRecord {
  start: number;
  end?: number;
  signal: AbortSignal;
}

/**
 * A Source scripted by the test: `next` answers each poll (a snapshot, or an Error to throw)
 * after `delayMs` on the current timers; it honours the AbortSignal and records every poll.
 */
export class ScriptedSource implements Source {
  readonly polls: PollRecord[] = [];
  delayMs = 0;
  /** When true, polls never answer until aborted. */
  hang = false;
  active = 0;
  maxActive = 0;
  closed = false;

  constructor(public next: () => Snapshot | Error) {}

  poll(signal?: AbortSignal): Promise<Snapshot> {
    const rec: PollRecord = { start: Date.now(), signal: signal ?? new AbortController().signal };
    this.polls.push(rec);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    return new Promise<Snapshot>((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        rec.end = Date.now();
        this.active--;
        clearTimeout(timer);
        fn();
      };
      const answer = () => {
        const r = this.next();
        finish(() => (r instanceof Error ? reject(r) : resolve(r)));
      };
      const timer = this.hang ? undefined : setTimeout(answer, this.delayMs);
      rec.signal.addEventListener('abort', () => finish(() => reject(new Error('aborted'))), { once: true });
    });
  }

  close(): void {
    this.closed = true;
  }
}
