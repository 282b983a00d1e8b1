import { OFF, toHex, type Rgb } from '../color.js';
import type { Frame } from '../frame.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { OutputType } from '../config/schema.js';
import type { Driver } from '../output/driver.js';
import type { Geometry } from '../output/geometry.js';
import type { OutputView } from '../loop/status.js';
import { gammaRgb, mixRgb, sameLeds, scaleRgb } from './colorMath.js';
import { BrightnessSchedule, type ScheduleEntry } from './schedule.js';

/** Half period of blinking LEDs: 1 Hz, on for 500 ms then off for 500 ms. */
export const BLINK_HALF_PERIOD_MS = 500;
/** How much of its colour each LED keeps while the data is stale. */
export const STALE_DIM = 0.3;

/** Time the start-up walker stays on each LED: one lap takes about 3 s, within 60..500 ms a step. */
export function walkerStepMs(ledCount: number): number {
  return Math.min(500, Math.max(60, Math.round(3000 / Math.max(1, ledCount))));
}

/** Everything one output's effects pipeline needs. */
export interface PipelineOptions {
  name: string;
  type: OutputType;
  driver: Driver;
  geometry: Geometry;
  /** Configured brightness 0..1, before the schedule and the driver's cap. */
  brightness: number;
  schedule?: readonly ScheduleEntry[];
  /** IANA zone the schedule's cron expressions run in (config `timezone`). */
  timezone?: string;
  transitionMs: number;
  fps: number;
  /** Colour of the start-up walker and the stale status LED (palette `status`). */
  statusColor: Rgb;
  log: Logger;
  metrics?: Metrics;
}

interface Fade {
  from: Rgb[];
  start: number;
  end: number;
}

/**
 * Turns one output's base frames into device writes: fade, blink, start-up walker, stale
 * display, brightness (× the driver's cap), then gamma for WS2812 drivers. It arms one timer
 * only while something moves (a fade, a lit blinking LED, the walker) and writes to the device
 * only when the colours change.
 */
export class OutputPipeline {
  readonly name: string;
  private readonly n: number;
  private frame: Frame | null = null;
  private stale = false;
  private page = 0;
  private brightness: number;
  private readonly schedule: BrightnessSchedule;
  /** What the LEDs should settle on (after brightness, before blinking). */
  private target: Rgb[];
  private blink: boolean[];
  /** What the LEDs show now, before the blink mask. */
  private steady: Rgb[];
  /** Last colours handed to the device after blinking, before gamma (OutputView.leds). */
  private shown: Rgb[];
  private lastWritten: Rgb[] | null = null;
  private fade: Fade | null = null;
  private walkerStart = 0;
  private timer: NodeJS.Timeout | undefined;
  private pending: Rgb[] | null = null;
  private writing: Promise<void> | null = null;
  private writeFailed = false;
  private started = false;
  private halted = false;
  private readonly listeners = new Set<(view: OutputView) => void>();

  constructor(private readonly opts: PipelineOptions) {
    this.name = opts.name;
    this.n = opts.geometry.width * opts.geometry.height;
    this.brightness = opts.brightness;
    this.target = this.blank();
    this.steady = this.blank();
    this.shown = this.blank();
    this.blink = new Array<boolean>(this.n).fill(false);
    this.schedule = new BrightnessSchedule(opts.schedule ?? [], (b) => this.setBrightness(b), opts.log, opts.timezone);
  }

  /** Brightness actually applied: the configured or scheduled value under the driver's cap. */
  get effectiveBrightness(): number {
    return Math.max(0, Math.min(this.brightness, this.opts.driver.maxBrightness, 1));
  }

  /** True while a timer is armed (a fade, a lit blinking LED or the walker is moving). */
  get animating(): boolean {
    return this.timer !== undefined;
  }

  /** True while the device is usable and the last write succeeded. */
  get up(): boolean {
    return this.opts.driver.up && !this.writeFailed;
  }

  /** Starts the walker and the brightness schedule (the most recent entry applies now). */
  start(now: number = Date.now()): void {
    if (this.started || this.halted) return;
    this.started = true;
    const scheduled = this.schedule.current(new Date(now));
    if (scheduled !== undefined) this.brightness = scheduled;
    this.opts.metrics?.brightness.set({ output: this.name }, this.effectiveBrightness);
    this.schedule.start();
    this.walkerStart = now;
    this.retarget();
    this.render(now);
  }

  /**
   * Shows a new base frame from the layout (this ends the walker); `stale`, when given,
   * also turns the stale display on or off in the same transition.
   */
  setFrame(frame: Frame, page = 0, stale?: boolean): void {
    this.frame = frame;
    this.page = page;
    if (stale !== undefined) this.stale = stale;
    this.change();
  }

  /**
   * Turns the stale display on (last frame dimmed, blinking status LED) or off. Before the
   * first frame the walker keeps going.
   */
  setStale(stale: boolean): void {
    if (stale === this.stale) return;
    this.stale = stale;
    if (this.frame) this.change();
  }

  /** True while the stale display is on. */
  get isStale(): boolean {
    return this.stale && this.frame !== null;
  }

  /** Sets the brightness (0..1) before the driver's cap; fades to it. */
  setBrightness(brightness: number): void {
    if (brightness === this.brightness) return;
    this.brightness = brightness;
    this.opts.metrics?.brightness.set({ output: this.name }, this.effectiveBrightness);
    this.opts.log.info({ output: this.name, brightness: this.effectiveBrightness }, 'brightness changed');
    this.change();
  }

  /** Writes the current colours again even if unchanged (the device came back). */
  refresh(): void {
    if (!this.started || this.halted) return;
    this.lastWritten = null;
    this.render(Date.now());
  }

  /** Subscribes to every change of the displayed colours; returns the unsubscribe function. */
  onChange(listener: (view: OutputView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What this output shows right now. */
  view(): OutputView {
    const { width, height } = this.opts.geometry;
    return {
      name: this.name,
      type: this.opts.type,
      width,
      height,
      base: (this.frame ? this.fit(this.frame.leds) : this.blank()).map(toHex),
      leds: this.shown.map(toHex),
      blink: [...this.blink],
      brightness: this.effectiveBrightness,
      up: this.up,
      page: this.page,
      pages: this.frame?.pages ?? 1,
    };
  }

  /** Stops every timer and the schedule and waits for the write in flight; nothing is written afterwards. */
  async halt(): Promise<void> {
    this.halted = true;
    this.clearTimer();
    this.schedule.stop();
    this.pending = null;
    await this.writing;
  }

  private blank(): Rgb[] {
    return new Array<Rgb>(this.n).fill(OFF);
  }

  private fit<T>(xs: readonly T[], fill?: T): T[] {
    if (xs.length === this.n) return [...xs];
    const out = xs.slice(0, this.n);
    while (out.length < this.n) out.push(fill ?? (OFF as T));
    return out;
  }

  /** Recomputes the target after a change and fades towards it. */
  private change(): void {
    if (!this.started || this.halted) return;
    const now = Date.now();
    this.retarget();
    const from = [...this.steady];
    const ms = this.opts.transitionMs;
    this.fade = ms > 0 && !sameLeds(from, this.target) ? { from, start: now, end: now + ms } : null;
    this.render(now);
  }

  private retarget(): void {
    const k = this.effectiveBrightness;
    const last = this.n - 1;
    if (!this.frame) {
      this.target = this.blank();
      this.blink = new Array<boolean>(this.n).fill(false);
      return;
    }
    const base = this.fit(this.frame.leds);
    const blink = this.fit(this.frame.blink, false);
    if (this.stale) {
      for (let i = 0; i < this.n; i++) base[i] = scaleRgb(base[i]!, STALE_DIM);
      base[last] = this.opts.statusColor;
      blink[last] = true;
    }
    this.target = base.map((c) => scaleRgb(c, k));
    this.blink = blink;
  }

  private render(now: number): void {
    if (this.halted) return;
    this.clearTimer();
    if (!this.frame) {
      const pos = Math.floor((now - this.walkerStart) / walkerStepMs(this.n)) % this.n;
      this.steady = this.blank();
      this.steady[pos] = scaleRgb(this.opts.statusColor, this.effectiveBrightness);
    } else if (this.fade) {
      const p = (now - this.fade.start) / (this.fade.end - this.fade.start);
      this.steady = this.target.map((c, i) => mixRgb(this.fade!.from[i]!, c, p));
      if (p >= 1) this.fade = null;
    } else {
      this.steady = this.target;
    }
    const blinkOff = Math.floor(now / BLINK_HALF_PERIOD_MS) % 2 === 1;
    this.shown = blinkOff ? this.steady.map((c, i) => (this.blink[i] ? OFF : c)) : this.steady;
    this.flush();
    this.arm(now);
  }

  /** Arms the one timer for the next moment something moves, or none when all is still. */
  private arm(now: number): void {
    let next = Infinity;
    if (!this.frame) {
      const step = walkerStepMs(this.n);
      next = this.walkerStart + (Math.floor((now - this.walkerStart) / step) + 1) * step;
    } else {
      if (this.fade) next = Math.min(this.fade.end, now + 1000 / this.opts.fps);
      const litBlink = this.blink.some((b, i) => b && this.steady[i]!.some((v) => v > 0));
      if (litBlink) next = Math.min(next, (Math.floor(now / BLINK_HALF_PERIOD_MS) + 1) * BLINK_HALF_PERIOD_MS);
    }
    if (next === Infinity) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.render(Date.now());
    }, Math.max(0, Math.ceil(next - now)));
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(): void {
    if (this.lastWritten && sameLeds(this.shown, this.lastWritten)) return;
    this.lastWritten = this.shown;
    // Gamma comes last, just before the device: everything else works in linear colour.
    this.pending = this.opts.driver.gamma ? this.shown.map(gammaRgb) : this.shown;
    this.kick();
    if (this.listeners.size) {
      const view = this.view();
      for (const l of this.listeners) l(view);
    }
  }

  private kick(): void {
    if (this.writing || !this.pending) return;
    this.writing = this.drain().finally(() => {
      this.writing = null;
      this.kick();
    });
  }

  /** Writes the newest pending colours one show() at a time; a slow device skips stale frames. */
  private async drain(): Promise<void> {
    const { driver, metrics, log } = this.opts;
    while (this.pending) {
      const leds = this.pending;
      this.pending = null;
      try {
        await driver.show(leds);
        metrics?.frames.inc({ output: this.name });
        if (this.writeFailed) {
          this.writeFailed = false;
          log.info({ output: this.name }, 'output recovered');
        }
      } catch (e) {
        metrics?.outputErrors.inc({ output: this.name });
        // Nothing was shown: the next change (or refresh) must write again.
        this.lastWritten = null;
        if (!this.writeFailed) log.warn({ output: this.name, err: e }, 'output write failed');
        this.writeFailed = true;
      }
      metrics?.outputUp.set({ output: this.name }, this.up ? 1 : 0);
    }
  }
}
