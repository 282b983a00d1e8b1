import { accessSync, constants } from 'node:fs';
import type { Rgb } from '../color.js';
import type { OutputConfig } from '../config/schema.js';
import type { Driver, DriverContext } from './driver.js';
import { Backoff } from './backoff.js';
import type { Geometry } from './geometry.js';
import { defaultLoaders, type HidDevice, type HidDeviceInfo, type HidModule, type NativeLoaders } from './native.js';
import {
  BLINKSTICK_PID,
  BLINKSTICK_VID,
  COLOR_REPORT,
  MODE_REPORT,
  VARIANTS,
  WS2812_MODE,
  blankReport,
  configuredVariant,
  detectVariant,
  frameReport,
  hasWs2812,
  modeReport,
  type BlinkStickVariant,
} from './blinkstickProtocol.js';

/** A `blinkstick` output's configuration. */
export type BlinkStickConfig = Extract<OutputConfig, { type: 'blinkstick' }>;

/** First delay before reopening a stick that went away; doubles up to RETRY_MAX_MS. */
export const RETRY_MIN_MS = 500;
/** Longest delay between reopen attempts: a replugged stick shows the frame within 5 s (SPEC §6). */
export const RETRY_MAX_MS = 2000;
/**
 * How often an idle stick is checked (a read of report 1, which writes nothing): node-hid
 * has no unplug event, and an idle output writes nothing that could fail.
 */
export const PROBE_MS = 2000;

/** Where the udev rule lives in the repository and the package. */
export const UDEV_RULE = 'deploy/udev/99-blinkstick.rules';

// Sticks in use by running drivers, per node-hid instance, so outputs without a serial
// pick different sticks and never one another output names.
const claims = new WeakMap<HidModule, Map<string, BlinkStickDriver>>();

function claimsOf(hid: HidModule): Map<string, BlinkStickDriver> {
  let m = claims.get(hid);
  if (!m) claims.set(hid, (m = new Map()));
  return m;
}

function keyOf(serial: string | undefined): string {
  return (serial ?? '').trim().toUpperCase();
}

function describe(info: HidDeviceInfo): string {
  const variant = detectVariant(info.serialNumber, info.release);
  return `${VARIANTS[variant].name} ${info.serialNumber ?? '(no serial)'} (${info.path ?? 'no path'})`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function hidLoadHint(label: string, err: unknown): string {
  return (
    `${label}: node-hid could not load its native module (${messageOf(err)}). Its Linux prebuilt binaries ` +
    'need libudev and libusb: sudo apt-get install libudev1 libusb-1.0-0 (Alpine: apk add eudev-libs libusb).'
  );
}

function permissionDenied(path: string | undefined, err: unknown): boolean {
  if (/EACCES|EPERM|permission/i.test(messageOf(err))) return true;
  if (!path?.startsWith('/dev/')) return false;
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EACCES';
  }
}

function openHint(label: string, info: HidDeviceInfo, err: unknown): string {
  const why = permissionDenied(info.path, err) ? 'permission denied' : 'this is usually a permission problem';
  return (
    `${label}: cannot open ${describe(info)}: ${messageOf(err)}; ${why}. Install the udev rule ` +
    `(sudo cp ${UDEV_RULE} /etc/udev/rules.d/ && sudo udevadm control --reload-rules && sudo udevadm trigger) ` +
    'and replug the stick, or run podglow as root; in a container, pass the /dev/hidraw* device through.'
  );
}

class OpenError extends Error {}

interface OpenStick {
  dev: HidDevice;
  info: HidDeviceInfo;
  variant: BlinkStickVariant;
  channel: number;
}

/**
 * One BlinkStick over node-hid feature reports (SPEC §7): selected by serial, mode 2
 * set once when needed, one report per frame, the model's whole LED count without `leds:`.
 * A failed write or idle probe marks it down, and a backoff timer re-enumerates and
 * reopens it, then re-sends the last frame.
 */
export class BlinkStickDriver implements Driver {
  readonly maxBrightness = 1;
  private hid: HidModule | undefined;
  /** The model's geometry, found at start when `leds:` is unset. */
  private found: Geometry | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  /** When the device last answered, on the monotonic clock: a wall-clock step never delays the idle check. */
  private lastOk = 0;
  private stick: OpenStick | undefined;
  private last: Rgb[] | undefined;
  private isUp = false;
  private started = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff = new Backoff(RETRY_MIN_MS, RETRY_MAX_MS);
  private readonly label: string;
  /** Key (upper-case serial) of the stick this output uses, kept across unplugs. */
  private bound: string | undefined;
  /** Device transfers one after another (frames, the idle probe, blanking). */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: BlinkStickConfig,
    private readonly ctx: DriverContext,
    private readonly loaders: NativeLoaders = defaultLoaders,
  ) {
    this.label = `blinkstick "${ctx.name}"`;
  }

  get up(): boolean {
    return this.isUp;
  }

  /** Gamma as configured, else on for WS2812 models and off for the original's plain RGB LED. */
  get gamma(): boolean {
    if (this.config.gamma !== undefined) return this.config.gamma;
    const variant = this.stick?.variant ?? configuredVariant(this.config.variant, this.config.serial);
    return variant === undefined || hasWs2812(variant);
  }

  /** The model's whole count when `leds:` is unset and the stick was found at start. */
  get deviceGeometry(): Geometry | undefined {
    return this.found;
  }

  async start(): Promise<void> {
    if (this.started) return;
    if (this.stopped) throw new Error(`${this.label}: already stopped`);
    let list: HidDeviceInfo[];
    try {
      this.hid = await this.loaders.hid();
      // node-hid loads its binding on the first enumeration, so that is where libudev/libusb are missing.
      list = await this.enumerate();
    } catch (err) {
      this.hid = undefined;
      throw new Error(hidLoadHint(this.label, err));
    }
    this.started = true;
    if (this.config.serial) this.claim(keyOf(this.config.serial));
    const info = this.pick(list);
    if (!info) {
      const err = new Error(this.notFound(list));
      this.ctx.log.warn(err.message);
      this.down(err);
      this.schedule();
      return;
    }
    try {
      await this.connect(info);
    } catch (err) {
      if (err instanceof OpenError) {
        this.release();
        this.started = false;
        throw new Error(openHint(this.label, info, err.cause));
      }
      this.ctx.log.warn({ err: messageOf(err) }, `${this.label}: ${describe(info)} failed during set-up; retrying`);
      this.down(err instanceof Error ? err : new Error(String(err)));
      this.schedule();
      return;
    }
    this.isUp = true;
    const variant = this.stick!.variant;
    if (this.config.leds === undefined && variant !== 'unknown') this.found = { width: VARIANTS[variant].maxLeds, height: 1 };
    this.ctx.log.info(
      { serial: info.serialNumber, path: info.path, leds: this.width() },
      `${this.label}: using ${describe(info)}`,
    );
  }

  async show(leds: readonly Rgb[]): Promise<void> {
    const frame = leds.map((c) => [c[0], c[1], c[2]] as const);
    this.last = frame;
    await this.serial(async () => {
      const stick = this.stick;
      if (!stick || this.stopped) return;
      try {
        await stick.dev.sendFeatureReport(frameReport(stick.variant, stick.channel, this.visible(frame)));
        this.lastOk = performance.now();
      } catch (err) {
        if (this.stick === stick) await this.lost(err, 'write failed');
      }
    });
  }

  /** Runs `op` after every device transfer before it. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const p = this.chain.then(op);
    this.chain = p.catch(() => undefined);
    return p;
  }

  async stop(blank: boolean): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.stopProbe();
    await this.serial(async () => {
      const stick = this.stick;
      if (stick && blank) {
        try {
          await stick.dev.sendFeatureReport(blankReport(stick.variant, stick.channel));
        } catch (err) {
          this.ctx.log.warn({ err: messageOf(err) }, `${this.label}: blanking failed`);
        }
      }
      await this.closeStick();
    });
    this.release();
    this.isUp = false;
  }

  /** LEDs this output drives: `leds:`, else the model's count found at start, else the configured guess. */
  private width(): number {
    return this.found?.width ?? this.ctx.geometry.width;
  }

  private visible(leds: readonly Rgb[]): readonly Rgb[] {
    return leds.slice(0, this.width());
  }

  private async lost(err: unknown, what: string): Promise<void> {
    await this.closeStick();
    this.down(err instanceof Error ? err : new Error(String(err)));
    this.ctx.log.warn({ err: messageOf(err) }, `${this.label}: ${what} (unplugged?); reopening when it comes back`);
    this.schedule();
  }

  /** Arms the idle check; a write that succeeded meanwhile counts as one. */
  private armProbe(delay = PROBE_MS): void {
    if (this.stopped || !this.stick || this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      this.probe();
    }, delay);
    this.probeTimer.unref();
  }

  private probe(): void {
    const since = performance.now() - this.lastOk;
    if (since < PROBE_MS) {
      this.armProbe(PROBE_MS - since);
      return;
    }
    void this.serial(async () => {
      const stick = this.stick;
      if (!stick || this.stopped) return;
      try {
        // A read, never the mode report's write: the EEPROM is not touched by probing.
        await stick.dev.getFeatureReport(COLOR_REPORT, 4);
        this.lastOk = performance.now();
      } catch (err) {
        if (this.stick === stick) await this.lost(err, 'stopped answering');
        return;
      }
      this.armProbe();
    });
  }

  private stopProbe(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  /** Plugged-in BlinkSticks, one entry per device node. */
  private async enumerate(): Promise<HidDeviceInfo[]> {
    const seen = new Set<string>();
    return (await this.hid!.devicesAsync(BLINKSTICK_VID, BLINKSTICK_PID)).filter((d) => {
      if (d.vendorId !== BLINKSTICK_VID || d.productId !== BLINKSTICK_PID || !d.path || seen.has(d.path)) return false;
      seen.add(d.path);
      return true;
    });
  }

  /** The stick to use: the configured serial, else the one used before, else the first unclaimed. */
  private pick(list: HidDeviceInfo[]): HidDeviceInfo | undefined {
    const hid = this.hid!;
    if (this.config.serial) return list.find((d) => keyOf(d.serialNumber) === keyOf(this.config.serial));
    const mine = this.bound && list.find((d) => keyOf(d.serialNumber) === this.bound);
    if (mine) return mine;
    const taken = claimsOf(hid);
    const free = list.filter((d) => {
      const owner = taken.get(keyOf(d.serialNumber));
      return !owner || owner === this;
    });
    if (free.length > 1 && !this.bound) {
      this.ctx.log.warn(
        { serials: free.map((d) => d.serialNumber) },
        `${this.label}: several BlinkSticks found and no serial configured; using the first (set "serial" to choose)`,
      );
    }
    return free[0];
  }

  private notFound(list: HidDeviceInfo[]): string {
    const found = list.map((d) => d.serialNumber ?? d.path ?? '?');
    const want = this.config.serial ? `BlinkStick ${this.config.serial}` : 'a free BlinkStick';
    return `${this.label}: ${want} not found (plugged in: ${found.length ? found.join(', ') : 'none'}); retrying`;
  }

  /** Opens the stick, puts it in WS2812 mode if needed and shows the current frame (or blank). */
  private async connect(info: HidDeviceInfo, late = false): Promise<void> {
    const first = this.bound === undefined;
    let dev: HidDevice;
    try {
      dev = await this.hid!.HIDAsync.open(info.path!);
    } catch (err) {
      throw new OpenError(messageOf(err), { cause: err });
    }
    if (this.stopped) {
      await dev.close().catch(() => undefined);
      return;
    }
    const variant = detectVariant(info.serialNumber, info.release);
    const spec = VARIANTS[variant];
    let channel = this.config.channel;
    if (channel >= spec.channels) {
      this.ctx.log.warn(`${this.label}: ${spec.name} has no channel ${channel}; using channel 0`);
      channel = 0;
    }
    const stick: OpenStick = { dev, info, variant, channel };
    try {
      if (spec.ws2812Mode) await this.ensureMode(dev);
      if (first || !this.last) await dev.sendFeatureReport(blankReport(variant, channel));
      if (this.last) await dev.sendFeatureReport(frameReport(variant, channel, this.visible(this.last)));
    } catch (err) {
      // Already gone, most likely; it is released either way.
      await dev.close().catch(() => undefined);
      throw err;
    }
    if (first && variant === 'unknown')
      this.ctx.log.warn(`${this.label}: unknown BlinkStick model ${describe(info)}; sending batch reports`);
    if (first && this.ctx.geometry.width > spec.maxLeds) {
      this.ctx.log.warn(
        `${this.label}: ${spec.name} has ${spec.maxLeds} LED(s); showing the first ${spec.maxLeds} of ${this.ctx.geometry.width}`,
      );
    }
    // Found after start (it was missing then): the layout was made for the configured guess.
    if (first && late && this.config.leds === undefined && variant !== 'unknown' && spec.maxLeds !== this.ctx.geometry.width) {
      this.ctx.log.warn(
        `${this.label}: ${spec.name} has ${spec.maxLeds} LED(s) but the layout was made for ${this.ctx.geometry.width}; set variant: ${variant} to use them all from the start`,
      );
    }
    this.stick = stick;
    this.lastOk = performance.now();
    this.armProbe();
    const key = keyOf(info.serialNumber);
    if (this.bound && this.bound !== key && !this.config.serial) this.claimsMap().delete(this.bound);
    this.bound = key;
    this.claim(key);
  }

  // Mode 2 lives in EEPROM: read it and write only when it differs, never per frame.
  private async ensureMode(dev: HidDevice): Promise<void> {
    const r = await dev.getFeatureReport(MODE_REPORT, 2);
    const mode = r.length >= 2 ? r[1] : undefined;
    if (mode === WS2812_MODE) return;
    this.ctx.log.info(`${this.label}: switching the stick from mode ${mode ?? '?'} to mode ${WS2812_MODE} (WS2812)`);
    await dev.sendFeatureReport(modeReport(WS2812_MODE));
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const delay = this.backoff.take();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.serial(() => this.reconnect());
    }, delay);
    // A missing stick must not keep the process alive.
    this.timer.unref();
  }

  private async reconnect(): Promise<void> {
    if (this.stopped || this.stick) return;
    try {
      const list = await this.enumerate();
      const info = this.pick(list);
      if (!info) throw new Error(this.notFound(list));
      await this.connect(info, true);
      if (this.stopped) return;
    } catch (err) {
      this.ctx.log.debug({ err: messageOf(err), nextMs: this.backoff.nextMs }, `${this.label}: reopen failed`);
      this.schedule();
      return;
    }
    this.backoff.reset();
    this.isUp = true;
    this.ctx.log.info(`${this.label}: ${describe(this.stick!.info)} is back`);
    this.ctx.onStatus?.(true);
  }

  private down(err: Error): void {
    this.isUp = false;
    this.ctx.onStatus?.(false, err);
  }

  private async closeStick(): Promise<void> {
    this.stopProbe();
    const stick = this.stick;
    this.stick = undefined;
    if (!stick) return;
    // Closing an unplugged device may fail; it is released either way.
    await stick.dev.close().catch(() => undefined);
  }

  private claimsMap(): Map<string, BlinkStickDriver> {
    return claimsOf(this.hid!);
  }

  private claim(key: string): void {
    if (key && this.hid) this.claimsMap().set(key, this);
  }

  private release(): void {
    if (!this.hid) return;
    const m = this.claimsMap();
    for (const [k, owner] of m) if (owner === this) m.delete(k);
  }
}

/** Builds a BlinkStick driver; node-hid is imported in `start()`. */
export async function createBlinkStickDriver(
  config: BlinkStickConfig,
  ctx: DriverContext,
  loaders?: NativeLoaders,
): Promise<Driver> {
  return new BlinkStickDriver(config, ctx, loaders);
}
