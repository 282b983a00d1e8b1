import { constants, promises as fsp } from 'node:fs';
import { clampByte, type Rgb } from '../color.js';
import type { Logger } from '../log.js';
import type { Driver } from './driver.js';
import type { StripType } from './stripType.js';

// Facts from raspberrypi/linux drivers/misc/ws2812-pio-rp1.c (ws2812_pio_rp1_write,
// ws2812_pio_rp1_deferred_work, ws2812_apply_gamma) and
// arch/arm/boot/dts/overlays/ws2812-pio-overlay.dts:
// - 4 bytes per LED in the file, R, G, B, W; the buffer is num_leds × 4 bytes;
// - a write lands at the file position; one that fills the whole buffer is sent at once,
//   a shorter one after 50 ms with the rest blanked; past the end: ENOSPC (EFBIG when
//   longer than the buffer or starting beyond it);
// - a 1-byte write at position 0 sets the brightness byte; the driver scales by it and
//   applies its own WS2812 gamma table, except when it is 0: then bytes pass unchanged;
// - on the wire it sends G, R, B (W), whatever the strip.

/** Default device of the first ws2812-pio instance (overlay `dev-name = "leds%d"`). */
export const PIO_DEFAULT_DEVICE = '/dev/leds0';
/** Bytes per LED the driver expects. */
export const PIO_BYTES_PER_LED = 4;
/** Brightness byte value that makes the driver pass colour bytes through uncorrected. */
export const PIO_PASS_THROUGH = 0;
/** Where `auto` reads the board from: the root `compatible` of the device tree. */
export const DEVICE_TREE_COMPATIBLE = '/proc/device-tree/compatible';

/** An open device: positional writes only (the driver keeps a file position per open). */
export interface PioHandle {
  /** Writes `data` at byte `position`; resolves with the bytes written. */
  write(data: Uint8Array, position: number): Promise<number>;
  close(): Promise<void>;
}

/** The file-system seam of the pio backend; tests pass a stand-in with the driver's semantics. */
export interface PioIo {
  /** Opens an existing character device for writing (never creates a file). */
  open(path: string): Promise<PioHandle>;
  /** Contents of a small file such as the device tree's compatible. */
  readFile(path: string): Promise<Buffer>;
}

/** The real device through node:fs. */
export const defaultPioIo: PioIo = {
  async open(path) {
    // O_WRONLY without O_CREAT: a missing /dev/leds0 must fail, not become a regular file.
    const fh = await fsp.open(path, constants.O_WRONLY);
    try {
      const st = await fh.stat();
      if (!st.isCharacterDevice()) throw Object.assign(new Error(`${path} is not a character device`), { code: 'ENOTCHR' });
    } catch (e) {
      await fh.close();
      throw e;
    }
    return {
      async write(data, position) {
        return (await fh.write(data, 0, data.length, position)).bytesWritten;
      },
      close: () => fh.close(),
    };
  },
  readFile: (path) => fsp.readFile(path),
};

/** Backends of the WS2812 outputs. */
export type Ws2812Backend = 'auto' | 'rpi-ws281x' | 'pio';

/**
 * True on a board with the RP1 I/O chip that ws2812-pio drives: the device tree's root
 * compatible names the BCM2712 (Raspberry Pi 5, 500, CM5) or `raspberrypi,5…`.
 */
export async function isRaspberryPi5(
  io: Pick<PioIo, 'readFile'> = defaultPioIo,
  path = DEVICE_TREE_COMPATIBLE,
): Promise<boolean> {
  let text: string;
  try {
    text = (await io.readFile(path)).toString('latin1');
  } catch {
    return false;
  }
  // A NUL-separated list, e.g. "raspberrypi,5-model-b\0brcm,bcm2712\0".
  return text.split('\0').some((c) => c === 'brcm,bcm2712' || c.startsWith('raspberrypi,5'));
}

/** Resolves `auto`: pio on a Raspberry Pi 5, rpi-ws281x elsewhere. */
export async function resolveBackend(
  backend: Ws2812Backend,
  io: Pick<PioIo, 'readFile'> = defaultPioIo,
  compatiblePath = DEVICE_TREE_COMPATIBLE,
): Promise<'rpi-ws281x' | 'pio'> {
  if (backend !== 'auto') return backend;
  return (await isRaspberryPi5(io, compatiblePath)) ? 'pio' : 'rpi-ws281x';
}

/** Colour order on the wire per strip type; the pio driver always sends its slots as G, R, B. */
const WIRE_ORDER: Record<StripType, readonly [number, number, number]> = {
  ws2812: [1, 0, 2],
  sk6812: [1, 0, 2],
  sk6812w: [1, 0, 2],
  grb: [1, 0, 2],
  rgb: [0, 1, 2],
  rbg: [0, 2, 1],
  gbr: [1, 2, 0],
  brg: [2, 0, 1],
  bgr: [2, 1, 0],
};

/** What the pio driver needs for one output. */
export interface PioDriverOptions {
  /** Output name and type for messages (`unicornhat "hat"`). */
  label: string;
  device: string;
  /** GPIO for the config.txt hint. */
  gpio: number;
  /** Strip type (the wire colour order); `sk6812w` also adds `rgbw` to the hint. */
  stripType: StripType;
  /** physical[i] = physical LED index of logical LED i; its length is the LED count. */
  physical: readonly number[];
  maxBrightness: number;
  log: Logger;
  io?: PioIo;
}

// One open per device in a process: two outputs on one strip would overwrite each other.
const devicesInUse = new Set<string>();

/** The exact `dtoverlay=` line for /boot/firmware/config.txt that creates this output's device. */
export function overlayLine(gpio: number, leds: number, stripType: StripType): string {
  return `dtoverlay=ws2812-pio,gpio=${gpio},num_leds=${leds}${stripType === 'sk6812w' ? ',rgbw' : ''}`;
}

function openError(o: PioDriverOptions, err: NodeJS.ErrnoException): Error {
  const line = overlayLine(o.gpio, o.physical.length, o.stripType);
  switch (err.code) {
    case 'ENOENT':
      return new Error(
        `${o.label}: ${o.device} does not exist. On a Raspberry Pi 5 the kernel's ws2812-pio driver creates it: ` +
          `add the line "${line}" to /boot/firmware/config.txt and reboot. In a container, also mount the device ` +
          '(deploy/overlays/unicornhat-pi5). On a Pi 1–4 use backend: rpi-ws281x.',
      );
    case 'EACCES':
      return new Error(
        `${o.label}: permission denied opening ${o.device}. Let podglow's user write it: install deploy/udev/99-ws2812-pio.rules ` +
          '(sudo cp deploy/udev/99-ws2812-pio.rules /etc/udev/rules.d/ && sudo udevadm control --reload-rules && sudo udevadm trigger), ' +
          'or run as root. Root is not otherwise needed.',
      );
    case 'EPERM':
      return new Error(
        `${o.label}: opening ${o.device} was refused (EPERM): in a container the device must be mounted and allowed by the ` +
          `container's device cgroup (deploy/overlays/unicornhat-pi5 explains how); on the host install deploy/udev/99-ws2812-pio.rules.`,
      );
    case 'ENOTCHR':
      return new Error(
        `${o.label}: ${o.device} is not a character device; set device: to the ws2812-pio node (/dev/leds0 for the first).`,
      );
    default:
      return new Error(`${o.label}: cannot open ${o.device}: ${err.message}`);
  }
}

/**
 * The WS2812 driver of the Raspberry Pi 5: writes each frame, mapped to physical order, as
 * one full-length write at position 0 of the ws2812-pio device. Needs no native module and
 * no root, only write access to the device.
 */
export class PioDriver implements Driver {
  readonly maxBrightness: number;
  // The driver is set to pass-through, so podglow's own gamma is the only one.
  readonly gamma = true;
  private handle: PioHandle | undefined;
  private stopped = false;
  private readonly buf: Buffer;
  /** The colour channel each file slot carries: the driver sends slots R, G, B as wire G, R, B. */
  private readonly slots: readonly [number, number, number];

  constructor(private readonly opts: PioDriverOptions) {
    this.maxBrightness = opts.maxBrightness;
    this.buf = Buffer.alloc(opts.physical.length * PIO_BYTES_PER_LED);
    const [g, r, b] = WIRE_ORDER[opts.stripType];
    this.slots = [r, g, b];
  }

  get up(): boolean {
    return this.handle !== undefined && !this.stopped;
  }

  async start(): Promise<void> {
    if (this.handle) return;
    if (this.stopped) throw new Error(`${this.opts.label}: already stopped`);
    const { device, label } = this.opts;
    if (devicesInUse.has(device)) throw new Error(`${label}: ${device} is already driven by another output of this podglow`);
    const io = this.opts.io ?? defaultPioIo;
    let handle: PioHandle;
    try {
      handle = await io.open(device);
    } catch (e) {
      throw openError(this.opts, e as NodeJS.ErrnoException);
    }
    try {
      // Brightness 0 is the driver's pass-through: no second scaling, no second gamma.
      await handle.write(Uint8Array.of(PIO_PASS_THROUGH), 0);
      this.buf.fill(0);
      await this.writeFrame(handle);
    } catch (e) {
      await handle.close().catch(() => undefined);
      throw e;
    }
    devicesInUse.add(device);
    this.handle = handle;
    this.opts.log.info({ leds: this.opts.physical.length, device }, `${label}: started (ws2812-pio)`);
  }

  /** Fills the buffer in the driver's layout: 4 bytes per physical LED, W always 0 (never written). */
  private fill(leds: readonly Rgb[]): void {
    const { physical } = this.opts;
    const [r, g, b] = this.slots;
    const n = Math.min(leds.length, physical.length);
    for (let i = 0; i < n; i++) {
      const led = leds[i]!;
      const at = physical[i]! * PIO_BYTES_PER_LED;
      this.buf[at] = clampByte(led[r]!);
      this.buf[at + 1] = clampByte(led[g]!);
      this.buf[at + 2] = clampByte(led[b]!);
    }
  }

  private async writeFrame(handle: PioHandle): Promise<void> {
    let written: number;
    try {
      written = await handle.write(this.buf, 0);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOSPC' || err.code === 'EFBIG') {
        const line = overlayLine(this.opts.gpio, this.opts.physical.length, this.opts.stripType);
        throw new Error(
          `${this.opts.label}: ${this.opts.device} holds fewer LEDs than this output's ${this.opts.physical.length} ` +
            `(${err.code}): set "${line}" in /boot/firmware/config.txt and reboot`,
        );
      }
      throw new Error(`${this.opts.label}: writing ${this.opts.device} failed: ${err.message}`);
    }
    if (written !== this.buf.length)
      throw new Error(`${this.opts.label}: short write to ${this.opts.device} (${written} of ${this.buf.length} bytes)`);
  }

  async show(leds: readonly Rgb[]): Promise<void> {
    const { handle } = this;
    if (!handle || this.stopped) return;
    this.fill(leds);
    await this.writeFrame(handle);
  }

  async stop(blank: boolean): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const { handle } = this;
    if (!handle) return;
    this.handle = undefined;
    devicesInUse.delete(this.opts.device);
    if (blank) {
      try {
        this.buf.fill(0);
        await this.writeFrame(handle);
      } catch (err) {
        this.opts.log.warn({ err }, `${this.opts.label}: blanking failed`);
      }
    }
    await handle.close().catch((err: unknown) => this.opts.log.warn({ err }, `${this.opts.label}: close failed`));
  }
}
