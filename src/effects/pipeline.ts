import { OFF, sameLeds, toHex, type Rgb } from '../color.js';
import type { Frame } from '../frame.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { OutputType } from '../config/schema.js';
import type { Driver } from '../output/driver.js';
import type { Geometry } from '../output/geometry.js';
import {
  BLINK_HALF_PERIOD_MS,
  STALE_DIM,
  compose,
  fit,
  screenColor,
  target,
  walkerStepMs,
  type Composed,
  type EffectState,
} from './compose.js';
import { BrightnessSchedule, type ScheduleEntry } from './schedule.js';
import type { OutputView } from './view.js';

// Re-exported so callers keep one import for the output's timing constants.
export { BLINK_HALF_PERIOD_MS, STALE_DIM, walkerStepMs };

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

/**
 * Runs one output: keeps the frame and effect state, asks compose() what the LEDs show,
 * arms one timer only while something moves (a fade, a lit blinking LED, the walker), and
 * writes to the device only when the bytes change, one show() at a time.
 */
export class OutputPipeline {
  readonly name: string;
  private readonly n: number;
  private frame: Frame | null = null;
  private page = 0;
  private readonly fx: EffectState;
  private readonly schedule: BrightnessSchedule;
  /** What compose() returned at the last render. */
  private shown: Composed;
  private lastWritten: Rgb[] | null = null;
  /** The brightness sent with lastWritten, for devices that dim in hardware. */
  private lastBrightness = NaN;
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
    this.fx = {
      count: this.n,
      brightness: opts.brightness,
      cap: opts.driver.maxBrightness,
      gamma: opts.driver.gamma,
      hardwareBrightness: opts.driver.hardwareBrightness !== undefined,
      stale: false,
      statusColor: opts.statusColor,
      fps: opts.fps,
      walkerStart: 0,
      fade: null,
    };
    const blank = new Array<Rgb>(this.n).fill(OFF);
    this.shown = { light: blank, leds: blank, blink: new Array<boolean>(this.n).fill(false), next: Infinity, fadeDone: true };
    this.schedule = new BrightnessSchedule(opts.schedule ?? [], (b) => this.setBrightness(b), opts.log, opts.timezone);
  }

  /** Brightness in effect, 0..1 (configured or scheduled): a share of the device's full scale under its cap. */
  get effectiveBrightness(): number {
    return Math.max(0, Math.min(this.fx.brightness, 1));
  }

  /** True while a timer is armed (a fade, a lit blinking LED or the walker is moving). */
  get animating(): boolean {
    return this.timer !== undefined;
  }

  /** True while the device is usable and the last write succeeded. */
  get up(): boolean {
    return this.opts.driver.up && !this.writeFailed;
  }

  /**
   * Starts the walker and the brightness schedule (the most recent entry applies now). The
   * schedule reads the wall clock (cron strings); the walker, fades and blinks run on the
   * monotonic clock, so a wall-clock step never moves them.
   */
  start(): void {
    if (this.started || this.halted) return;
    this.started = true;
    const scheduled = this.schedule.current(new Date());
    if (scheduled !== undefined) this.fx.brightness = scheduled;
    this.opts.metrics?.brightness.set({ output: this.name }, this.effectiveBrightness);
    this.schedule.start();
    const now = performance.now();
    this.fx.walkerStart = now;
    this.render(now);
  }

  /**
   * Shows a new base frame from the layout (this ends the walker); `stale`, when given,
   * also turns the stale display on or off in the same transition.
   */
  setFrame(frame: Frame, page = 0, stale?: boolean): void {
    this.change(() => {
      this.frame = frame;
      this.page = page;
      if (stale !== undefined) this.fx.stale = stale;
    });
  }

  /**
   * Turns the stale display on (last frame dimmed, blinking status LED) or off. Before the
   * first frame the walker keeps going.
   */
  setStale(stale: boolean): void {
    if (stale === this.fx.stale) return;
    if (!this.frame) {
      this.fx.stale = stale;
      return;
    }
    this.change(() => {
      this.fx.stale = stale;
    });
  }

  /** True while the stale display is on. */
  get isStale(): boolean {
    return this.fx.stale && this.frame !== null;
  }

  /** Sets the brightness (0..1, a share of the device's cap); fades to it. */
  setBrightness(brightness: number): void {
    if (brightness === this.fx.brightness) return;
    this.change(() => {
      this.fx.brightness = brightness;
    });
    this.opts.metrics?.brightness.set({ output: this.name }, this.effectiveBrightness);
    this.opts.log.info({ output: this.name, brightness: this.effectiveBrightness }, 'brightness changed');
  }

  /** Writes the current colours again even if unchanged (the device came back, maybe another model). */
  refresh(): void {
    if (!this.started || this.halted) return;
    this.lastWritten = null;
    this.syncDevice();
    this.render(performance.now());
  }

  /** Subscribes to every change of the displayed colours; returns the unsubscribe function. */
  onChange(listener: (view: OutputView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What this output shows right now. */
  view(): OutputView {
    const { width, height } = this.opts.geometry;
    const gamma = this.fx.gamma;
    // A device that dims in hardware got full-scale bytes: show the light it gives.
    const k = this.opts.driver.hardwareBrightness?.(this.effectiveBrightness) ?? 1;
    const light = (c: Rgb): Rgb => (k === 1 ? c : [c[0] * k, c[1] * k, c[2] * k]);
    const view: OutputView = {
      name: this.name,
      type: this.opts.type,
      width,
      height,
      base: fit(this.frame?.leds ?? [], this.n, OFF).map(toHex),
      leds: this.shown.leds.map((c) => toHex(screenColor(light(c), gamma))),
      blink: [...this.shown.blink],
      brightness: this.effectiveBrightness,
      up: this.up,
      page: this.page,
      pages: this.frame?.pages ?? 1,
    };
    if (this.frame?.stale) view.staleLeds = fit(this.frame.stale, this.n, false);
    return view;
  }

  /** Stops every timer and the schedule and waits for the write in flight; nothing is written afterwards. */
  async halt(): Promise<void> {
    this.halted = true;
    this.clearTimer();
    this.schedule.stop();
    this.pending = null;
    await this.writing;
  }

  // A BlinkStick learns its gamma (original or WS2812 model) when it opens.
  private syncDevice(): void {
    this.fx.cap = this.opts.driver.maxBrightness;
    this.fx.gamma = this.opts.driver.gamma;
    this.fx.hardwareBrightness = this.opts.driver.hardwareBrightness !== undefined;
  }

  /**
   * Applies `update` and, when the still picture it leads to differs from the one before,
   * fades from what the LEDs show now to the new one. The same picture again (a poll that
   * brings no change) leaves a running fade alone, so fades always finish.
   */
  private change(update: () => void): void {
    if (!this.started || this.halted) {
      update();
      return;
    }
    const now = performance.now();
    const before = this.frame ? target(this.frame, this.fx) : null;
    this.syncDevice();
    // From what the LEDs show (the last render), so a fade never jumps.
    const from = this.shown.light;
    update();
    // Only a frame fades; its still picture is the fade's end.
    const to = this.frame ? target(this.frame, this.fx) : null;
    if (before && to && samePicture(before, to)) {
      this.render(now);
      return;
    }
    const ms = this.opts.transitionMs;
    this.fx.fade = ms > 0 && to && !sameLeds(from, to.light) ? { from, start: now, end: now + ms } : null;
    this.render(now);
  }

  private render(now: number): void {
    if (this.halted) return;
    this.clearTimer();
    this.shown = compose(this.frame, this.fx, now);
    if (this.shown.fadeDone) this.fx.fade = null;
    this.flush();
    this.arm(now, this.shown.next);
  }

  /**
   * Arms the one timer for the next moment something moves, or none when all is still. A
   * timer that fires a hair early on performance.now() (Node's timer clock is coarser)
   * renders the moment it was armed for, so the last step of a fade lands on its end.
   */
  private arm(now: number, next: number): void {
    if (next === Infinity) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.render(Math.max(performance.now(), next));
      },
      Math.max(0, Math.ceil(next - now)),
    );
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(): void {
    const leds = this.shown.leds;
    // With hardware brightness a brightness change alone is a new write.
    const brightness = this.fx.hardwareBrightness ? this.effectiveBrightness : NaN;
    const sameBrightness = Object.is(brightness, this.lastBrightness);
    if (this.lastWritten && sameLeds(leds, this.lastWritten) && sameBrightness) return;
    this.lastWritten = leds;
    this.lastBrightness = brightness;
    this.pending = leds;
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
        await (this.fx.hardwareBrightness ? driver.show(leds, this.effectiveBrightness) : driver.show(leds));
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

/** True when two still pictures light and blink every LED the same way. */
function samePicture(
  a: { light: readonly Rgb[]; blink: readonly boolean[] },
  b: { light: readonly Rgb[]; blink: readonly boolean[] },
): boolean {
  return sameLeds(a.light, b.light) && a.blink.length === b.blink.length && a.blink.every((x, i) => x === b.blink[i]);
}
