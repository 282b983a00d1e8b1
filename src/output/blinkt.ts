import type { Rgb } from '../color.js';
import type { OutputConfig } from '../config/schema.js';
import { Backoff } from './backoff.js';
import {
  BLINKT_CLOCK_PIN,
  BLINKT_DATA_PIN,
  BLINKT_LEDS,
  FIELD_MAX,
  brightnessField,
  clockOut,
  ledBytes,
} from './blinktProtocol.js';
import type { Driver, DriverContext } from './driver.js';
import { SysfsGpio, type GpioBackend, type GpioLines } from './sysfsGpio.js';

/** A `blinkt` output's configuration. */
export type BlinktConfig = Extract<OutputConfig, { type: 'blinkt' }>;

/** First delay before opening the GPIO lines again; doubles up to RETRY_MAX_MS. */
export const RETRY_MIN_MS = 1000;
/** Longest delay between attempts: a fixed permission or a late-loaded /sys is picked up within 30 s. */
export const RETRY_MAX_MS = 30_000;

/** What a Blinkt! driver can be given besides its config (tests: a fake sysfs tree, a recording backend, short retries). */
export interface BlinktOptions {
  gpio?: GpioBackend;
  retryMinMs?: number;
  retryMaxMs?: number;
}

/**
 * Pimoroni's Blinkt! (SPEC §7): eight APA102 LEDs clocked out on BCM 23 (data) and 24
 * (clock) with Pimoroni's exact sequence, the output's brightness in each LED's 5-bit
 * field. Lines it cannot open (no sysfs GPIO, no header chip, no permission) mark it down
 * with a message naming the fix and are tried again with backoff; podglow runs on.
 */
export class BlinktDriver implements Driver {
  readonly maxBrightness = 1;
  readonly gamma: boolean;
  /** GPIO writes of the last frame (Pimoroni's sequence has 906; unchanged data writes are skipped). */
  lastWrites = 0;
  private lines: GpioLines | undefined;
  private dataLevel = false;
  private stopped = false;
  private isUp = false;
  private reported = false;
  private retry: NodeJS.Timeout | undefined;
  private last: { leds: readonly Rgb[]; brightness: number } | undefined;
  private readonly bytes = new Uint8Array(BLINKT_LEDS * 4);
  private readonly gpio: GpioBackend;
  private readonly backoff: Backoff;
  private readonly label: string;

  constructor(
    private readonly config: BlinktConfig,
    private readonly ctx: DriverContext,
    opts: BlinktOptions = {},
  ) {
    this.gamma = config.gamma;
    this.gpio = opts.gpio ?? new SysfsGpio();
    this.backoff = new Backoff(opts.retryMinMs ?? RETRY_MIN_MS, opts.retryMaxMs ?? RETRY_MAX_MS);
    this.label = `blinkt "${ctx.name}"`;
  }

  get up(): boolean {
    return this.isUp && !this.stopped;
  }

  /** The light the board gives at a brightness: its 5-bit field over 31. */
  hardwareBrightness(brightness: number): number {
    return brightnessField(brightness) / FIELD_MAX;
  }

  async start(): Promise<void> {
    if (this.lines || this.stopped || this.retry) return;
    // Lines that cannot be opened do not stop podglow: they are tried again in the background.
    await this.connect();
  }

  private async connect(): Promise<void> {
    this.retry = undefined;
    let lines: GpioLines;
    try {
      lines = await this.gpio.open([BLINKT_DATA_PIN, BLINKT_CLOCK_PIN]);
    } catch (e) {
      this.fail(e);
      return;
    }
    if (this.stopped) {
      lines.close();
      return;
    }
    this.lines = lines;
    // `direction` out drives both lines low.
    this.dataLevel = false;
    const wasReported = this.reported;
    this.isUp = true;
    this.reported = false;
    this.ctx.log.info({ data: BLINKT_DATA_PIN, clock: BLINKT_CLOCK_PIN }, `${this.label}: GPIO lines open`);
    if (this.last) this.write(this.last.leds, this.last.brightness);
    // Reported back up only if that first write held (a failing one has reported it down again).
    if (wasReported && this.lines === lines) this.ctx.onStatus?.(true);
  }

  private fail(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    this.isUp = false;
    if (!this.reported) {
      this.reported = true;
      this.ctx.log.warn({ err: err.message }, `${this.label}: ${err.message} Retrying.`);
      this.ctx.onStatus?.(false, err);
    }
    if (!this.stopped) this.retry = setTimeout(() => void this.connect(), this.backoff.take());
  }

  /** Clocks one frame out; a failed write closes the lines and retries. */
  private write(leds: readonly Rgb[], brightness: number): void {
    const lines = this.lines;
    if (!lines) return;
    ledBytes(leds, brightnessField(brightness), this.config.reverse, this.bytes);
    try {
      const r = clockOut(lines.lines[0]!, lines.lines[1]!, this.bytes, this.dataLevel);
      this.dataLevel = r.dataLevel;
      this.lastWrites = r.writes;
      this.backoff.reset();
    } catch (e) {
      this.lines = undefined;
      lines.close();
      this.fail(new Error(`writing the GPIO lines failed: ${(e as Error).message}.`));
    }
  }

  async show(leds: readonly Rgb[], brightness = 1): Promise<void> {
    if (this.stopped) return;
    this.last = { leds, brightness };
    this.write(leds, brightness);
  }

  async stop(blank: boolean): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.retry);
    this.retry = undefined;
    // As Pimoroni's clear-on-exit: every LED off, then the lines released.
    if (blank) this.write([], this.last?.brightness ?? 0);
    this.stopped = true;
    this.lines?.close();
    this.lines = undefined;
  }
}

/** Builds the Blinkt! driver; nothing is opened until start(). */
export async function createBlinktDriver(config: BlinktConfig, ctx: DriverContext, opts?: BlinktOptions): Promise<Driver> {
  return new BlinktDriver(config, ctx, opts);
}
