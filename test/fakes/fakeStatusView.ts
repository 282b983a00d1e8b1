import type { DataAge, OutputView, Readiness, StatusView } from '../../src/loop/status.js';
import { emptyAlerts, type Snapshot } from '../../src/snapshot.js';
import { emptyCounts, type StateCounts } from '../../src/states.js';

/** A StatusView driven by hand, for server and page tests. */
export class FakeStatusView implements StatusView {
  private snap: Snapshot | null = null;
  private lastGood: Date | null = null;
  private error: string | null = null;
  private isStale = false;
  private staleReason: string | (() => string) = '';
  private views: OutputView[] = [];
  private data: DataAge | null = null;
  private readonly listeners = new Set<(o: OutputView) => void>();

  constructor(outputs: OutputView[] = []) {
    this.views = outputs.map((o) => ({ ...o }));
  }

  snapshot(): Snapshot | null {
    return this.snap;
  }
  lastGoodPoll(): Date | null {
    return this.lastGood;
  }
  lastError(): string | null {
    return this.error;
  }
  readiness(): Readiness {
    if (!this.lastGood)
      return {
        ready: false,
        reason: this.error
          ? `waiting for the first successful poll (last error: ${this.error})`
          : 'waiting for the first successful poll',
      };
    if (this.isStale)
      return { ready: false, reason: typeof this.staleReason === 'function' ? this.staleReason() : this.staleReason };
    return { ready: true };
  }
  stale(): boolean {
    return this.isStale;
  }
  dataAge(): DataAge | null {
    return this.data;
  }
  /** The age of the data shown (null: unknown, as the demo). */
  setData(d: DataAge | null): void {
    this.data = d;
  }
  outputs(): OutputView[] {
    return this.views.map((o) => ({ ...o }));
  }
  onFrame(listener: (output: OutputView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Listeners currently subscribed (the server must give them back). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** A good poll. */
  good(s: Snapshot, at = new Date(s.time)): void {
    this.snap = s;
    this.lastGood = at;
    this.error = null;
    this.isStale = false;
  }

  /** A failed poll. */
  fail(message: string): void {
    this.error = message;
  }

  /**
   * Marks the data stale (or live again). A function as `reason` is asked on every
   * readiness() call, like the controller's ticking "no good poll for 35s".
   */
  setStale(stale: boolean, reason: string | (() => string) = 'stale: no good poll for 30s'): void {
    this.isStale = stale;
    this.staleReason = reason;
  }

  /** A new base frame from the layout (and, settled, the same displayed colours); tells the listeners. */
  frame(
    name: string,
    base: string[],
    blink?: boolean[],
    extra: Partial<Pick<OutputView, 'page' | 'pages' | 'up' | 'brightness' | 'staleLeds'>> = {},
  ): void {
    const i = this.views.findIndex((o) => o.name === name);
    if (i < 0) throw new Error(`no output ${name}`);
    const v = { ...this.views[i]!, ...extra, base: [...base], leds: [...base], blink: blink ?? base.map(() => false) };
    this.views[i] = v;
    for (const l of [...this.listeners]) l({ ...v });
  }

  /** Changes an output's device state without a frame event (as a driver going down does). */
  setUp(name: string, up: boolean): void {
    const v = this.views.find((o) => o.name === name);
    if (!v) throw new Error(`no output ${name}`);
    v.up = up;
  }

  /** Replaces an output's displayed LEDs and tells the listeners. */
  show(name: string, leds: string[], blink?: boolean[]): void {
    const i = this.views.findIndex((o) => o.name === name);
    if (i < 0) throw new Error(`no output ${name}`);
    const v = { ...this.views[i]!, leds: [...leds], blink: blink ?? leds.map(() => false) };
    this.views[i] = v;
    for (const l of [...this.listeners]) l({ ...v });
  }
}

/** An OutputView with every LED off. */
export function outputView(name: string, type: OutputView['type'], width: number, height: number, brightness = 1): OutputView {
  const n = width * height;
  return {
    name,
    type,
    width,
    height,
    base: Array(n).fill('#000000'),
    leds: Array(n).fill('#000000'),
    blink: Array(n).fill(false),
    brightness,
    up: true,
    page: 0,
    pages: 1,
  };
}

/** A node snapshot with the given counts. */
export function node(
  name: string,
  pods: Partial<StateCounts>,
  extra: { ready?: boolean | null; unschedulable?: boolean } = {},
): Snapshot['nodes'][number] {
  return {
    name,
    ready: extra.ready === undefined ? true : extra.ready,
    unschedulable: extra.unschedulable ?? false,
    pods: { ...emptyCounts(), ...pods },
    conditions: [],
    alerts: emptyAlerts(),
  };
}

/** A snapshot of the given nodes. */
export function snapshotOf(
  nodes: Snapshot['nodes'],
  time = '2026-11-21T12:00:00.000Z',
  unscheduled: Partial<StateCounts> = {},
): Snapshot {
  return { time, nodes, unscheduled: { ...emptyCounts(), ...unscheduled }, alerts: emptyAlerts(), queries: {} };
}
