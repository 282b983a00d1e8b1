import { clampByte, type Rgb } from '../color.js';
import type { OutputConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Driver, DriverContext } from './driver.js';
import { resolveBackend, PioDriver, type PioIo, type Ws2812Backend } from './pio.js';
import type { StripType } from './stripType.js';
import { defaultLoaders, type NativeLoaders, type Ws281xChannel, type Ws281xModule, type Ws281xOptions } from './native.js';

/** A `ws281x` output's configuration. */
export type Ws281xConfig = Extract<OutputConfig, { type: 'ws281x' }>;

/** WS2812 data rate. */
export const WS281X_FREQ = 800_000;

// The config's short names for plain RGB orders map to the package's `ws2811-*` ids.
const STRIP_TYPE_IDS: Record<StripType, string> = {
  ws2812: 'ws2812',
  sk6812: 'sk6812',
  sk6812w: 'sk6812w',
  rgb: 'ws2811-rgb',
  rbg: 'ws2811-rbg',
  grb: 'ws2811-grb',
  gbr: 'ws2811-gbr',
  brg: 'ws2811-brg',
  bgr: 'ws2811-bgr',
};

/** Everything the shared WS281x core needs to drive one strip. */
export interface Ws281xCoreOptions {
  /** Output name and device label for messages (`unicornhat "hat"`). */
  label: string;
  gpio: number;
  dma: number;
  stripType: StripType;
  /** physical[i] = physical LED index of logical LED i; its length is the LED count. */
  physical: readonly number[];
  /** Brightness ceiling the effects pipeline applies (Driver.maxBrightness). */
  maxBrightness: number;
  log: Logger;
}

// rpi-ws281x-native keeps one global channel state: a second init in the same process
// would silently take over the first output's strip.
const inUse = new WeakSet<Ws281xModule>();

/** Converts an Rgb (any numbers; NaN counts as 0) to the package's 0xRRGGBB word. */
export function rgbWord(c: Rgb): number {
  return ((clampByte(c[0]) << 16) | (clampByte(c[1]) << 8) | clampByte(c[2])) >>> 0;
}

/** Logical → physical order of a `width × height` panel: entry y × width + x is `physical(x, y)`. */
export function panelOrder(width: number, height: number, physical: (x: number, y: number) => number): number[] {
  const out: number[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.push(physical(x, y));
  return out;
}

/** Logical → physical order of a `width × height` matrix wired row by row, every other row reversed when serpentine. */
export function matrixOrder(width: number, height: number, serpentine: boolean): number[] {
  return panelOrder(width, height, (x, y) => y * width + (serpentine && y % 2 === 1 ? width - 1 - x : x));
}

function rootHint(label: string): string {
  return (
    `${label}: rpi-ws281x-native needs root to reach the PWM/DMA hardware through /dev/mem ` +
    '(without it the package silently does nothing). Run podglow as root (sudo podglow run), ' +
    'or in a privileged container (securityContext.privileged: true).'
  );
}

function initHint(label: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const hw = /hardware revision/i.test(msg)
    ? ' The rpi_ws281x library bundled with rpi-ws281x-native 1.0.4 does not know this board ' +
      '(it predates the Raspberry Pi 5, the Zero 2 W and newer Pi 4/400/CM4 revisions).'
    : '';
  return `${label}: ws281x init failed: ${msg}.${hw} On a Raspberry Pi 5 use backend: pio (or auto). Check that this is a supported Raspberry Pi, and that nothing else uses the PWM/DMA channel (docs/devices/unicornhat.md).`;
}

/**
 * The WS281x driver shared by `unicornhat`, `unicornphat` and `ws281x`: initialises
 * rpi-ws281x-native lazily in `start()` (root only), writes each frame in physical
 * order and renders, and blanks and finalises on `stop()`.
 */
export class Ws281xCore implements Driver {
  readonly maxBrightness: number;
  readonly gamma = true;
  private mod: Ws281xModule | undefined;
  private channel: Ws281xChannel | undefined;
  private stopped = false;

  constructor(
    private readonly opts: Ws281xCoreOptions,
    private readonly loaders: NativeLoaders = defaultLoaders,
  ) {
    this.maxBrightness = opts.maxBrightness;
  }

  get up(): boolean {
    return this.channel !== undefined && !this.stopped;
  }

  /** The exact options handed to the package's initialiser. */
  initOptions(): Ws281xOptions {
    return {
      dma: this.opts.dma,
      freq: WS281X_FREQ,
      gpio: this.opts.gpio,
      invert: false,
      // podglow scales, in one place (src/effects/compose.ts): the C library multiplies every
      // channel by (brightness + 1) >> 8 (ws2811.c), so 255 passes the bytes through unchanged.
      brightness: 255,
      stripType: STRIP_TYPE_IDS[this.opts.stripType],
    };
  }

  async start(): Promise<void> {
    if (this.channel) return;
    if (this.stopped) throw new Error(`${this.opts.label}: already stopped`);
    const { label } = this.opts;
    // Checked before the import: the package decides at load time to hand back its stub.
    if (this.loaders.getuid() !== 0) throw new Error(rootHint(label));
    let mod: Ws281xModule;
    try {
      mod = await this.loaders.ws281x();
    } catch (err) {
      throw new Error(
        `${label}: cannot load rpi-ws281x-native (${(err as Error).message}). It is an optional dependency ` +
          'that only builds on a Raspberry Pi: run "npm install rpi-ws281x-native" there (needs build-essential and python3).',
      );
    }
    if (inUse.has(mod)) throw new Error(`${label}: only one unicornhat/unicornphat/ws281x output can run per process`);
    let channel: Ws281xChannel;
    try {
      channel = mod(this.opts.physical.length, this.initOptions());
    } catch (err) {
      // Never finalize() after a failed init: the C library segfaults on it.
      throw new Error(initHint(label, err));
    }
    inUse.add(mod);
    this.mod = mod;
    this.channel = channel;
    // Clear whatever a previous run left on the LEDs.
    channel.array.fill(0);
    mod.render();
    this.opts.log.info({ leds: channel.count, gpio: this.opts.gpio, dma: this.opts.dma }, `${label}: started`);
  }

  async show(leds: readonly Rgb[]): Promise<void> {
    const { channel, mod } = this;
    if (!channel || !mod || this.stopped) return;
    const physical = this.opts.physical;
    const n = Math.min(leds.length, physical.length);
    for (let i = 0; i < n; i++) channel.array[physical[i]!] = rgbWord(leds[i]!);
    mod.render();
  }

  async stop(blank: boolean): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const { channel, mod } = this;
    // Only a successful init gets a finalize().
    if (!channel || !mod) return;
    this.channel = undefined;
    this.mod = undefined;
    try {
      if (blank) {
        channel.array.fill(0);
        mod.render();
      }
    } catch (err) {
      this.opts.log.warn({ err }, `${this.opts.label}: blanking failed`);
    }
    try {
      mod.finalize();
    } catch (err) {
      this.opts.log.warn({ err }, `${this.opts.label}: finalize failed`);
    }
    inUse.delete(mod);
  }
}

/** Test seams of the pio backend: its file layer and the device-tree file `auto` reads. */
export interface PioSeams {
  io?: PioIo;
  compatiblePath?: string;
}

/** A WS2812 output's wiring plus how to reach it (SPEC §7 `backend`, `device`). */
export interface Ws2812Spec extends Ws281xCoreOptions {
  backend: Ws2812Backend;
  device: string;
}

/**
 * The driver for one WS2812 output: the Pi 5 kernel driver (pio) or rpi-ws281x-native,
 * as configured or, for `auto`, as the device tree says.
 */
export async function ws2812Driver(spec: Ws2812Spec, loaders?: NativeLoaders, seams: PioSeams = {}): Promise<Driver> {
  const backend = await resolveBackend(spec.backend, seams.io, seams.compatiblePath);
  if (spec.backend === 'auto') spec.log.debug({ backend }, `${spec.label}: backend auto chose ${backend}`);
  if (backend === 'rpi-ws281x') return new Ws281xCore(spec, loaders);
  const { backend: _b, dma: _d, ...rest } = spec;
  return new PioDriver({ ...rest, io: seams.io });
}

/** Builds the driver for a generic `ws281x` strip or matrix. */
export async function createWs281xDriver(
  config: Ws281xConfig,
  ctx: DriverContext,
  loaders?: NativeLoaders,
  seams?: PioSeams,
): Promise<Driver> {
  const physical = config.count
    ? matrixOrder(config.count, 1, false)
    : matrixOrder(config.width ?? ctx.geometry.width, config.height ?? ctx.geometry.height, config.serpentine);
  return ws2812Driver(
    {
      label: `ws281x "${ctx.name}"`,
      gpio: config.gpio,
      dma: config.dma,
      stripType: config.stripType,
      physical,
      maxBrightness: config.maxBrightness,
      log: ctx.log,
      backend: config.backend,
      device: config.device,
    },
    loaders,
    seams,
  );
}
