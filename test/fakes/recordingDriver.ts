import type { Rgb } from '../../src/color.js';
import type { Driver, DriverContext } from '../../src/output/driver.js';
import type { OutputConfig } from '../../src/config/schema.js';

/** One call to show(): when (Date.now(), fake timers included) and the colours received. */
export interface ShowCall {
  at: number;
  leds: Rgb[];
}

/** Options of a RecordingDriver. */
export interface RecordingDriverOptions {
  name?: string;
  maxBrightness?: number;
  gamma?: boolean;
  /** Shared list of lifecycle events (`start:NAME`, `stop:NAME:blank|keep`, `release:NAME`) across drivers, for order checks. */
  events?: string[];
  /** Make start() reject with this error. */
  failStart?: Error;
  /** Make every show() reject with this error (can be changed during a test). */
  failShow?: Error;
  /** Make show() take this long (ms, on the current timers). */
  showDelayMs?: number;
}

/**
 * A Driver that keeps every show() call with its colours (a copy), plus its start/stop
 * lifecycle; stop(blank) records a blank frame as a show, like a real driver would write it.
 */
export class RecordingDriver implements Driver {
  readonly name: string;
  readonly calls: ShowCall[] = [];
  readonly events: string[];
  up = true;
  readonly maxBrightness: number;
  readonly gamma: boolean;
  started = false;
  stopped = false;
  failShow: Error | undefined;
  showDelayMs: number;
  private readonly failStart: Error | undefined;
  private size = 0;

  constructor(opts: RecordingDriverOptions = {}) {
    this.name = opts.name ?? 'rec';
    this.maxBrightness = opts.maxBrightness ?? 1;
    this.gamma = opts.gamma ?? false;
    this.events = opts.events ?? [];
    this.failStart = opts.failStart;
    this.failShow = opts.failShow;
    this.showDelayMs = opts.showDelayMs ?? 0;
  }

  /** Colours of every show() call, oldest first. */
  get shows(): Rgb[][] {
    return this.calls.map((c) => c.leds);
  }

  /** Colours of the latest show() call. */
  get last(): Rgb[] | undefined {
    return this.calls.at(-1)?.leds;
  }

  async start(): Promise<void> {
    this.events.push(`start:${this.name}`);
    if (this.failStart) throw this.failStart;
    this.started = true;
  }

  async show(leds: readonly Rgb[]): Promise<void> {
    if (this.stopped) throw new Error(`show() on stopped driver ${this.name}`);
    this.size = leds.length;
    if (this.showDelayMs) await new Promise((r) => setTimeout(r, this.showDelayMs));
    if (this.failShow) throw this.failShow;
    this.calls.push({ at: Date.now(), leds: leds.map((c) => [c[0], c[1], c[2]] as const) });
  }

  async stop(blank: boolean): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.events.push(`stop:${this.name}:${blank ? 'blank' : 'keep'}`);
    if (blank && this.started) {
      this.calls.push({ at: Date.now(), leds: new Array<Rgb>(this.size).fill([0, 0, 0]) });
    }
    this.events.push(`release:${this.name}`);
  }
}

/** A driver factory (as registry.createDriver) that builds RecordingDrivers and keeps them by output name. */
export function recordingFactory(opts: { events?: string[]; perOutput?: Record<string, RecordingDriverOptions> } = {}): {
  create(o: OutputConfig, ctx: DriverContext): Promise<RecordingDriver>;
  drivers: Map<string, RecordingDriver>;
  contexts: Map<string, DriverContext>;
} {
  const drivers = new Map<string, RecordingDriver>();
  const contexts = new Map<string, DriverContext>();
  return {
    drivers,
    contexts,
    async create(o, ctx) {
      const d = new RecordingDriver({
        name: ctx.name,
        // The real drivers' settings: the HATs' 128 cap, a strip's maxBrightness, gamma on every
        // WS2812 device (a BlinkStick's unless configured off or the original model).
        maxBrightness: o.type === 'unicornhat' || o.type === 'unicornphat' ? 0.5 : o.type === 'ws281x' ? o.maxBrightness : 1,
        gamma:
          o.type === 'unicornhat' ||
          o.type === 'unicornphat' ||
          o.type === 'ws281x' ||
          (o.type === 'blinkstick' && (o.gamma ?? o.variant !== 'blinkstick')),
        events: opts.events,
        ...opts.perOutput?.[ctx.name],
      });
      drivers.set(ctx.name, d);
      contexts.set(ctx.name, ctx);
      return d;
    },
  };
}
