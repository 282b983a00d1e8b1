import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import axios from 'axios';
import { clampByte, type Rgb } from '../color.js';
import type { Config, OutputConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { Backoff } from './backoff.js';
import { sizedByDevice, withDeviceGeometry, type Geometry } from './geometry.js';
import type { Driver, DriverContext } from './driver.js';
import { matrixOrder } from './ws281x.js';

// DDP facts: 3waylabs.com/ddp (header: flags with version 01 in the top bits and 0x01
// push; 4-bit sequence, 0 = unused; data type; destination id 1 = default display;
// 32-bit big-endian byte offset; 16-bit big-endian length; 1440 data bytes at most).
// WLED facts (Aircoookie/WLED): wled00/src/dependencies/e131/ESPAsyncE131.h (port 4048,
// type 0x0B = RGB 8 bits per channel); wled00/e131.cpp handleDDPPacket (offset / 3 = first
// LED, renders on push); wled00/wled.h (realtimeTimeoutMs 2500, arlsDisableGammaCorrection
// true); wled00/udp.cpp setRealtimePixel (gamma only when that is false); wled00/json.cpp
// serializeInfo (info.leds.count, info.leds.matrix.w/h).

/** WLED's DDP port. */
export const DDP_PORT = 4048;
/** DDP header length in bytes (no timecode). */
export const DDP_HEADER = 10;
/** RGB LEDs per packet: 1440 data bytes. */
export const DDP_MAX_LEDS = 480;
/** Flags byte: version 1. */
export const DDP_VERSION_1 = 0x40;
/** Flags bit: the last packet of a frame. */
export const DDP_PUSH = 0x01;
/** Data type: RGB, 8 bits per channel. */
export const DDP_TYPE_RGB24 = 0x0b;
/** Destination id of the default display. */
export const DDP_ID_DISPLAY = 1;
/** Re-send period while nothing changes: well inside WLED's 2.5 s realtime timeout. */
export const KEEPALIVE_MS = 1000;
/** Timeout of the /json/info request. */
export const INFO_TIMEOUT_MS = 3000;

/** A `wled` output's configuration. */
export type WledConfig = Extract<OutputConfig, { type: 'wled' }>;

/**
 * Splits one frame of RGB bytes (3 per LED, physical order) into DDP packets of at most
 * 480 LEDs, push on the last; `seq` gives each packet its 1..15 sequence number.
 */
export function ddpPackets(rgb: Uint8Array, seq: () => number): Buffer[] {
  const max = DDP_MAX_LEDS * 3;
  const out: Buffer[] = [];
  for (let offset = 0; offset < rgb.length; offset += max) {
    const len = Math.min(max, rgb.length - offset);
    const pkt = Buffer.alloc(DDP_HEADER + len);
    const last = offset + max >= rgb.length;
    pkt[0] = DDP_VERSION_1 | (last ? DDP_PUSH : 0);
    pkt[1] = seq();
    pkt[2] = DDP_TYPE_RGB24;
    pkt[3] = DDP_ID_DISPLAY;
    pkt.writeUInt32BE(offset, 4);
    pkt.writeUInt16BE(len, 8);
    pkt.set(rgb.subarray(offset, offset + len), DDP_HEADER);
    out.push(pkt);
  }
  return out;
}

/** What podglow reads of WLED's /json/info. */
export interface WledInfo {
  count: number;
  matrix?: { w: number; h: number };
  name?: string;
}

function hostForUrl(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}

/** Reads the LED count and matrix size from http://host/json/info. */
export async function fetchWledInfo(host: string, opts: { timeoutMs?: number; httpPort?: number } = {}): Promise<WledInfo> {
  const url = `http://${hostForUrl(host)}${opts.httpPort ? `:${opts.httpPort}` : ''}/json/info`;
  let data: unknown;
  try {
    const res = await axios.get<unknown>(url, {
      timeout: opts.timeoutMs ?? INFO_TIMEOUT_MS,
      responseType: 'json',
      maxRedirects: 0,
    });
    data = res.data;
  } catch (e) {
    throw new Error(`cannot read ${url}: ${(e as Error).message}`, { cause: e });
  }
  return parseWledInfo(data, url);
}

/** Pure: the LED count, matrix and name from a /json/info answer (`where` names it in errors). */
export function parseWledInfo(data: unknown, where: string): WledInfo {
  const leds = (data as { leds?: { count?: unknown; matrix?: { w?: unknown; h?: unknown } } } | null)?.leds;
  const count = leds?.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    throw new Error(`${where} does not look like WLED: no leds.count in the answer`);
  }
  const info: WledInfo = { count };
  const w = leds?.matrix?.w;
  const h = leds?.matrix?.h;
  if (typeof w === 'number' && typeof h === 'number' && w > 0 && h > 0) info.matrix = { w, h };
  const name = (data as { name?: unknown }).name;
  if (typeof name === 'string') info.name = name;
  return info;
}

/**
 * The output with its size filled in: a 2D set-up's matrix (width × height) or the LED
 * count. Outputs that already have a size are returned unchanged.
 */
export async function resolveWledSize(o: WledConfig, opts: { timeoutMs?: number; httpPort?: number } = {}): Promise<WledConfig> {
  if (!sizedByDevice(o)) return o;
  return withDeviceGeometry(o, infoGeometry(await fetchWledInfo(o.host, opts))) as WledConfig;
}

/**
 * The config with every `wled` output sized (SPEC §7: size from config, or the device's
 * /json/info at start); fails naming the output when a device does not answer.
 */
export async function resolveWledSizes(
  config: Config,
  log?: Logger,
  opts: { timeoutMs?: number; httpPort?: number } = {},
): Promise<Config> {
  if (!config.outputs.some((o) => o.type === 'wled' && sizedByDevice(o))) return config;
  const outputs = await Promise.all(
    config.outputs.map(async (o, i) => {
      if (o.type !== 'wled') return o;
      try {
        const sized = await resolveWledSize(o, opts);
        if (sized !== o)
          log?.info(
            { output: o.name ?? i, count: sized.count, width: sized.width, height: sized.height },
            `wled ${o.host}: size from /json/info`,
          );
        return sized;
      } catch (e) {
        throw new Error(
          `wled output ${o.name ? `"${o.name}"` : `#${i + 1}`} (${o.host}) has no size in the config and ${(e as Error).message}. ` +
            'Set count (or width and height) to start without asking the device.',
          { cause: e },
        );
      }
    }),
  );
  return { ...config, outputs };
}

/** The geometry a /json/info answer describes: a 2D set-up's matrix, else a strip of `count`. */
export function infoGeometry(info: WledInfo): Geometry {
  return info.matrix ? { width: info.matrix.w, height: info.matrix.h } : { width: info.count, height: 1 };
}

/** Timing of the WLED driver; tests shorten the retry. */
export interface WledTiming {
  /** Smallest gap between two frames sent (1000 / fps). */
  minIntervalMs: number;
  keepaliveMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** How long a reconnected device must stay free of errors to count as up again. */
  probeMs: number;
  /** Timeout of each /json/info request. */
  infoTimeoutMs: number;
  /** HTTP port of /json/info (WLED serves it on 80; tests use another). */
  httpPort?: number;
}

const DEFAULT_TIMING: Omit<WledTiming, 'minIntervalMs'> = {
  keepaliveMs: KEEPALIVE_MS,
  retryInitialMs: 1000,
  retryMaxMs: 30_000,
  probeMs: 300,
  infoTimeoutMs: INFO_TIMEOUT_MS,
};

/**
 * Drives a WLED device over DDP: sends each frame and re-sends it every second while
 * idle (so WLED stays in realtime mode), never faster than the fps cap. A refused or
 * failed send marks the output down and reconnects with backoff; frames shown meanwhile
 * are kept and the newest is sent on return. Without a size in the config it reads the
 * device's /json/info first; a device that does not answer yet (WLED boards often join the
 * Wi-Fi after the Pi has booted) is down and asked again with backoff, and its size goes to
 * `ctx.onGeometry` when it answers. Needs no privileges.
 */
export class WledDriver implements Driver {
  readonly maxBrightness = 1;
  readonly gamma: boolean;
  private socket: Socket | undefined;
  private isUp = true;
  private stopped = false;
  private frame: Buffer;
  private physical: readonly number[];
  /** The device's size from /json/info, once it answered (outputs without a size in the config). */
  private sized: Geometry | undefined;
  private readonly timing: WledTiming;
  private seqNo = 0;
  private lastSent = -Infinity;
  private keepalive: NodeJS.Timeout | undefined;
  private deferred: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private probe: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private readonly label: string;

  constructor(
    private readonly config: WledConfig,
    private readonly ctx: DriverContext,
    timing: Partial<WledTiming> = {},
  ) {
    const { width, height } = ctx.geometry;
    this.physical = matrixOrder(width, height, config.serpentine);
    this.frame = Buffer.alloc(this.physical.length * 3);
    this.gamma = config.gamma;
    this.timing = { ...DEFAULT_TIMING, minIntervalMs: 1000 / (ctx.fps ?? 30), ...timing };
    this.backoff = new Backoff(this.timing.retryInitialMs, this.timing.retryMaxMs);
    this.label = `wled "${ctx.name}" (${config.host}:${config.port})`;
  }

  get up(): boolean {
    return this.isUp && !this.stopped;
  }

  /** The size read from the device's /json/info, when the config has none and the device has answered. */
  get deviceGeometry(): Geometry | undefined {
    return this.sized;
  }

  async start(): Promise<void> {
    if (this.socket || this.stopped || this.retry) return;
    // An unreachable device does not stop podglow: it is retried in the background.
    if (sizedByDevice(this.config) && !this.sized && !(await this.readSize())) return;
    await this.connect();
    if (this.socket) this.ctx.log.info({ leds: this.physical.length }, `${this.label}: sending DDP`);
  }

  /** Asks /json/info for the size; false (down, asked again with backoff) while the device does not answer. */
  private async readSize(): Promise<boolean> {
    let info: WledInfo;
    try {
      info = await fetchWledInfo(this.config.host, { timeoutMs: this.timing.infoTimeoutMs, httpPort: this.timing.httpPort });
    } catch (e) {
      if (this.stopped) return false;
      this.down(e as Error, 'no size in the config and the device does not answer yet; asking again', () => this.sizeLater());
      return false;
    }
    const geometry = infoGeometry(info);
    this.sized = geometry;
    this.physical = matrixOrder(geometry.width, geometry.height, this.config.serpentine);
    this.frame = Buffer.alloc(this.physical.length * 3);
    this.ctx.log.info(
      { count: info.count, width: geometry.width, height: geometry.height },
      `${this.label}: size from /json/info`,
    );
    return true;
  }

  /** The retry of readSize: once the device answers, its size goes to the controller and frames flow. */
  private async sizeLater(): Promise<void> {
    this.retry = undefined;
    if (this.stopped || !(await this.readSize()) || this.stopped) return;
    this.ctx.onGeometry?.(this.sized!);
    await this.reconnect();
  }

  private nextSeq(): number {
    this.seqNo = (this.seqNo % 15) + 1;
    return this.seqNo;
  }

  private connect(): Promise<void> {
    const socket = createSocket({ type: isIPv6(this.config.host) ? 'udp6' : 'udp4' });
    this.socket = socket;
    // ICMP port unreachable on a connected UDP socket arrives as an 'error' (ECONNREFUSED).
    socket.on('error', (err) => this.fail(socket, err));
    return new Promise((resolve) => {
      socket.connect(this.config.port, this.config.host, (err?: Error) => {
        if (err) this.fail(socket, err);
        resolve();
      });
    });
  }

  private fail(socket: Socket, err: Error): void {
    if (socket !== this.socket || this.stopped) return;
    this.socket = undefined;
    socket.removeAllListeners('error');
    socket.on('error', () => undefined);
    try {
      socket.close();
    } catch {
      // Already closed.
    }
    clearTimeout(this.keepalive);
    clearTimeout(this.deferred);
    clearTimeout(this.probe);
    this.deferred = undefined;
    this.down(err, 'device unreachable; retrying', () => this.reconnect());
  }

  /** Marks the device down (logged and reported once per outage) and tries `again` after the backoff delay. */
  private down(err: Error, message: string, again: () => Promise<void>): void {
    if (this.isUp) {
      this.isUp = false;
      this.ctx.log.warn({ err: err.message }, `${this.label}: ${message}`);
      this.ctx.onStatus?.(false, err);
    }
    this.retry = setTimeout(() => void again(), this.backoff.take());
  }

  private async reconnect(): Promise<void> {
    this.retry = undefined;
    if (this.stopped) return;
    await this.connect();
    const socket = this.socket;
    if (!socket) return;
    await this.transmit();
    // UDP has no answer: the device counts as back once a send drew no refusal for a while.
    this.probe = setTimeout(() => {
      if (this.socket !== socket || this.stopped) return;
      this.backoff.reset();
      if (!this.isUp) {
        this.isUp = true;
        this.ctx.log.info(`${this.label}: device reachable again`);
        this.ctx.onStatus?.(true);
      }
    }, this.timing.probeMs);
  }

  /** Sends the current frame as DDP packets, one after another. */
  private async sendFrame(socket: Socket): Promise<void> {
    for (const p of ddpPackets(this.frame, () => this.nextSeq())) await sendOn(socket, p);
  }

  /** Sends the current frame now and re-arms the keepalive. */
  private async transmit(): Promise<void> {
    const socket = this.socket;
    if (!socket || this.stopped) return;
    clearTimeout(this.keepalive);
    clearTimeout(this.deferred);
    this.deferred = undefined;
    this.lastSent = performance.now();
    try {
      await this.sendFrame(socket);
    } catch (e) {
      this.fail(socket, e as Error);
      return;
    }
    if (this.socket === socket) this.keepalive = setTimeout(() => void this.transmit(), this.timing.keepaliveMs);
  }

  async show(leds: readonly Rgb[]): Promise<void> {
    if (this.stopped) return;
    const n = Math.min(leds.length, this.physical.length);
    for (let i = 0; i < n; i++) {
      const at = this.physical[i]! * 3;
      const c = leds[i]!;
      this.frame[at] = clampByte(c[0]);
      this.frame[at + 1] = clampByte(c[1]);
      this.frame[at + 2] = clampByte(c[2]);
    }
    if (!this.socket) return; // Down: the newest frame goes out on reconnect.
    const wait = this.lastSent + this.timing.minIntervalMs - performance.now();
    if (wait > 0) {
      // Faster than the fps cap: send the newest frame when the gap has passed.
      this.deferred ??= setTimeout(() => void this.transmit(), wait);
      return;
    }
    await this.transmit();
  }

  async stop(blank: boolean): Promise<void> {
    if (this.stopped) return;
    // From here no timer or callback sends again.
    this.stopped = true;
    clearTimeout(this.keepalive);
    clearTimeout(this.deferred);
    clearTimeout(this.retry);
    this.retry = undefined;
    clearTimeout(this.probe);
    const socket = this.socket;
    if (socket && blank) {
      // Black now; WLED's realtime timeout then returns it to its own preset.
      this.frame.fill(0);
      try {
        await this.sendFrame(socket);
      } catch (err) {
        this.ctx.log.warn({ err }, `${this.label}: blanking failed`);
      }
    }
    this.socket = undefined;
    if (socket) {
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      await new Promise<void>((r) => socket.close(() => r()));
    }
  }
}

function sendOn(socket: Socket, packet: Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.send(packet, (err) => (err ? reject(err) : resolve())));
}

/** Builds the WLED driver; without a size in the config, it reads /json/info when started. */
export async function createWledDriver(config: WledConfig, ctx: DriverContext, timing?: Partial<WledTiming>): Promise<Driver> {
  return new WledDriver(config, ctx, timing);
}
