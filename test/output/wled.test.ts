import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Rgb } from '../../src/color.js';
import { parseConfig } from '../../src/config/load.js';
import type { DriverContext } from '../../src/output/driver.js';
import { outputGeometry } from '../../src/output/geometry.js';
import { createDriver } from '../../src/output/registry.js';
import { WledDriver, createWledDriver, fetchWledInfo, resolveWledSizes, type WledConfig } from '../../src/output/wled.js';
import { outputFrames } from '../../src/cli/frame.js';
import { startPodglow } from '../../src/app.js';
import { Metrics } from '../../src/metrics.js';
import { silentLogger } from '../../src/log.js';
import { RecordingDriver } from '../fakes/recordingDriver.js';
import { distinctFrame, outputConfig } from './helpers.js';

// DDP, decoded from 3waylabs.com/ddp ("Distributed Display Protocol", 2022-09-05), not
// from podglow's encoder: byte 0 flags (bits 7-6 version = 01, bit 4 timecode, bit 0
// push), byte 1 sequence in the low 4 bits (0 = not used), byte 2 data type (bits 5-3
// type, 001 = RGB; bits 2-0 bits per element, 011 = 8), byte 3 id (1 = default output
// device), bytes 4-7 data offset in bytes and 8-9 data length, both big-endian; then the
// data (after 4 timecode bytes when that flag is set); at most 1440 data bytes.
interface DdpPacket {
  version: number;
  push: boolean;
  seq: number;
  type: number;
  id: number;
  offset: number;
  data: Buffer;
  at: number;
}
function decodeDdp(msg: Buffer, at: number): DdpPacket {
  if (msg.length < 10) throw new Error(`DDP packet of ${msg.length} bytes`);
  const timecode = (msg[0]! & 0x10) !== 0;
  const length = msg.readUInt16BE(8);
  const data = msg.subarray(timecode ? 14 : 10);
  if (data.length !== length) throw new Error(`DDP length field ${length}, data ${data.length}`);
  if (length > 1440) throw new Error(`DDP data of ${length} bytes`);
  return {
    version: msg[0]! >> 6,
    push: (msg[0]! & 0x01) !== 0,
    seq: msg[1]! & 0x0f,
    type: msg[2]!,
    id: msg[3]!,
    offset: msg.readUInt32BE(4),
    data,
    at,
  };
}

/** A DDP receiver on 127.0.0.1: packets, and frames assembled at each push. */
class DdpReceiver {
  readonly packets: DdpPacket[] = [];
  readonly frames: { at: number; rgb: Buffer }[] = [];
  private buf = Buffer.alloc(0);
  constructor(readonly socket: Socket) {
    socket.on('message', (msg) => {
      const p = decodeDdp(msg, Date.now());
      this.packets.push(p);
      const end = p.offset + p.data.length;
      if (end > this.buf.length) this.buf = Buffer.concat([this.buf, Buffer.alloc(end - this.buf.length)]);
      p.data.copy(this.buf, p.offset);
      if (p.push) this.frames.push({ at: p.at, rgb: Buffer.from(this.buf) });
    });
  }
  static async open(port = 0): Promise<DdpReceiver> {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(port, '127.0.0.1', () => r()));
    return new DdpReceiver(s);
  }
  get port(): number {
    return this.socket.address().port;
  }
  async until(pred: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out; ${this.packets.length} packets so far`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

/** The RGB bytes of a frame in LED order. */
function rgbBytes(frame: readonly Rgb[]): Buffer {
  return Buffer.from(frame.flatMap((c) => [c[0], c[1], c[2]]));
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function receiver(): Promise<DdpReceiver> {
  const r = await DdpReceiver.open();
  cleanups.push(() => r.close());
  return r;
}

function wled(raw: Record<string, unknown>, fps = 30, timing = {}) {
  const config = outputConfig({ type: 'wled', host: '127.0.0.1', ...raw }) as WledConfig;
  const onStatus = vi.fn<(up: boolean, error?: Error) => void>();
  const ctx: DriverContext = { name: 'strip', geometry: outputGeometry(config), log: silentLogger, fps, onStatus };
  const driver = new WledDriver(config, ctx, timing);
  cleanups.push(() => driver.stop(false));
  return { driver, onStatus, config };
}

/** A port on 127.0.0.1 nobody listens on: UDP to it draws ICMP port unreachable. */
async function closedUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('wled output: DDP on the wire', () => {
  it('is registered, needs no privileges, and gamma is on by default (WLED does not correct realtime data)', async () => {
    const config = outputConfig({ type: 'wled', host: '127.0.0.1', count: 8 });
    // Aircoookie/WLED wled00/wled.h: arlsDisableGammaCorrection defaults to true, and
    // wled00/udp.cpp setRealtimePixel applies gamma8 only when it is false.
    expect(config.gamma).toBe(true);
    expect(config.port).toBe(4048); // Aircoookie/WLED wled00/src/dependencies/e131/ESPAsyncE131.h DDP_DEFAULT_PORT
    const d = await createDriver(config, { name: 'w', geometry: outputGeometry(config), log: silentLogger });
    expect(d).toBeInstanceOf(WledDriver);
    expect(d.gamma).toBe(true);
    expect(outputConfig({ type: 'wled', host: 'x', count: 8, gamma: false }).gamma).toBe(false);
  });

  it('sends a 64-LED frame as one DDP packet with the exact pixel bytes and push', async () => {
    const r = await receiver();
    const { driver } = wled({ port: r.port, count: 64 });
    await driver.start();
    const frame = distinctFrame(64);
    await driver.show(frame);
    await r.until(() => r.packets.length >= 1);
    const p = r.packets[0]!;
    // Header fields as 3waylabs.com/ddp defines them (decoded above); id 1 = default output device.
    expect(p).toMatchObject({ version: 1, push: true, id: 1, offset: 0 });
    expect(p.seq).toBeGreaterThan(0);
    expect((p.type >> 3) & 0x7).toBe(1); // RGB
    expect(p.type & 0x7).toBe(3); // 8 bits per element
    expect(p.data).toEqual(rgbBytes(frame));
  });

  it('sends a 1,000-LED frame as 3 packets of ≤ 480 LEDs, push only on the last, in sequence', async () => {
    const r = await receiver();
    const { driver } = wled({ port: r.port, count: 1000 });
    await driver.start();
    // Bytes in range, distinct per LED position within each packet.
    const frame: Rgb[] = Array.from({ length: 1000 }, (_, i) => [i % 256, (i * 7) % 256, Math.floor(i / 256) * 50]);
    await driver.show(frame);
    await r.until(() => r.frames.length >= 1);
    // 3waylabs.com/ddp: at most 1440 data bytes per packet, offsets in bytes, 4-bit sequence
    // (1..15, 0 = unused); WLED wled00/e131.cpp handleDDPPacket shows the frame on push.
    const ps = r.packets.slice(0, 3);
    expect(ps.map((p) => [p.offset, p.data.length, p.push])).toEqual([
      [0, 1440, false],
      [1440, 1440, false],
      [2880, 120, true],
    ]);
    const seqs = ps.map((p) => p.seq);
    expect(seqs.every((s) => s >= 1 && s <= 15)).toBe(true);
    expect(seqs[1]).toBe((seqs[0]! % 15) + 1);
    expect(seqs[2]).toBe((seqs[1]! % 15) + 1);
    expect(r.frames[0]!.rgb).toEqual(rgbBytes(frame));
  });

  it('maps a serpentine matrix: odd rows reversed', async () => {
    const r = await receiver();
    const { driver } = wled({ port: r.port, width: 3, height: 2, serpentine: true });
    await driver.start();
    const frame = distinctFrame(6);
    await driver.show(frame);
    await r.until(() => r.frames.length >= 1);
    expect(r.frames[0]!.rgb).toEqual(rgbBytes([frame[0]!, frame[1]!, frame[2]!, frame[5]!, frame[4]!, frame[3]!]));
  });

  it('re-sends at least once a second while idle, and never faster than the fps cap', async () => {
    const r = await receiver();
    const fps = 5;
    const { driver } = wled({ port: r.port, count: 10 }, fps);
    await driver.start();
    // A burst of 20 frames in ~200 ms, then nothing for 2.3 s.
    for (let i = 0; i < 20; i++) {
      await driver.show(distinctFrame(10).map((c) => [c[0], c[1], i] as const));
      await new Promise((res) => setTimeout(res, 10));
    }
    const idleFrom = Date.now();
    await new Promise((res) => setTimeout(res, 2300));
    const times = r.frames.map((f) => f.at);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, `gap ${i}`).toBeGreaterThanOrEqual(1000 / fps - 50); // arrival jitter only; a burst would be ~10 ms apart
    // The newest frame went out (not lost in the coalescing) and is what keeps being re-sent.
    expect(r.frames.at(-1)!.rgb[2]).toBe(19);
    const idle = times.filter((t) => t > idleFrom + 300);
    expect(idle.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < idle.length; i++) expect(idle[i]! - idle[i - 1]!).toBeLessThanOrEqual(1000 + 250); // well inside WLED's 2.5 s (realtimeTimeoutMs, Aircoookie/WLED wled00/wled.h)
    expect(Date.now() - times.at(-1)!).toBeLessThanOrEqual(1000 + 250);
  });

  it('stop(true) sends black; stop(false) sends nothing more', async () => {
    const r = await receiver();
    const a = wled({ port: r.port, count: 4 });
    await a.driver.start();
    await a.driver.show(distinctFrame(4));
    await a.driver.stop(true);
    await r.until(() => r.frames.length >= 2);
    expect(r.frames.at(-1)!.rgb).toEqual(Buffer.alloc(12));
    const b = wled({ port: r.port, count: 4 });
    await b.driver.start();
    await b.driver.show(distinctFrame(4));
    await r.until(() => r.frames.length >= 3);
    await b.driver.stop(false);
    await new Promise((res) => setTimeout(res, 1200));
    expect(r.frames).toHaveLength(3);
    expect(r.frames.at(-1)!.rgb).toEqual(rgbBytes(distinctFrame(4)));
  });
});

describe('wled output: an unreachable device', () => {
  it('a closed port (ECONNREFUSED) marks it down, retries with backoff and comes back with the newest frame', async () => {
    const port = await closedUdpPort();
    const { driver, onStatus } = wled({ port, count: 4 }, 30, { retryInitialMs: 150, retryMaxMs: 600, probeMs: 100 });
    await driver.start();
    await driver.show(distinctFrame(4));
    const deadline = Date.now() + 3000;
    while (driver.up && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    expect(driver.up).toBe(false);
    expect(onStatus).toHaveBeenCalledWith(false, expect.objectContaining({ code: 'ECONNREFUSED' }));
    // Shown while down: kept, and sent once the device is back.
    const latest = distinctFrame(4).map((c) => [c[2], c[1], c[0]] as const);
    await driver.show(latest);
    const r = await DdpReceiver.open(port);
    cleanups.push(() => r.close());
    await r.until(() => onStatus.mock.calls.some((c) => c[0] === true), 5000);
    expect(driver.up).toBe(true);
    await r.until(() => r.frames.length >= 1);
    expect(r.frames.at(-1)!.rgb).toEqual(rgbBytes(latest));
    // One down report, one up report: retries while down are not reported again.
    expect(onStatus.mock.calls.map((c) => c[0])).toEqual([false, true]);
  });

  it('a host that does not resolve is down, not a crash', async () => {
    const { driver, onStatus } = wled({ host: 'podglow-no-such-wled.invalid', count: 4 }, 30, { retryInitialMs: 5000 });
    await driver.start();
    await driver.show(distinctFrame(4));
    expect(driver.up).toBe(false);
    expect(onStatus).toHaveBeenCalledWith(false, expect.objectContaining({ code: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/) }));
  });

  it('in podglow: podglow_output_up 0 for the wled output, the other output unaffected', async () => {
    const port = await closedUdpPort();
    const config = parseConfig(
      {
        source: 'demo',
        interval: '1s',
        server: { enabled: false },
        outputs: [
          { name: 'wled', type: 'wled', host: '127.0.0.1', port, count: 8 },
          { name: 'other', type: 'web', width: 8, height: 1 },
        ],
      },
      { env: {} },
    );
    const metrics = new Metrics();
    const other = new RecordingDriver({ name: 'other' });
    const app = await startPodglow(config, {
      log: silentLogger,
      metrics,
      server: false,
      createDriver: (o, ctx) => (o.type === 'wled' ? createDriver(o, ctx) : Promise.resolve(other)),
    });
    cleanups.push(() => app.stop());
    const up = async () => Object.fromEntries((await metrics.outputUp.get()).values.map((v) => [v.labels.output, v.value]));
    const deadline = Date.now() + 4000;
    while ((await up()).wled !== 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    expect(await up()).toEqual({ wled: 0, other: 1 });
    const shown = other.calls.length;
    await new Promise((res) => setTimeout(res, 300));
    expect(other.calls.length).toBeGreaterThan(shown);
  });
});

describe('wled output: size from /json/info', () => {
  // A /json/info answer with the fields of Aircoookie/WLED wled00/json.cpp serializeInfo
  // (a 16×16 2D set-up; leds.matrix only exists for a matrix).
  const RECORDED_MATRIX = {
    ver: '0.15.0',
    vid: 2412100,
    cn: 'Kōsen',
    release: 'ESP32',
    leds: {
      count: 256,
      pwr: 0,
      fps: 42,
      maxpwr: 850,
      maxseg: 32,
      bootps: 0,
      matrix: { w: 16, h: 16 },
      seglc: [1],
      lc: 1,
      rgbw: false,
      wv: 0,
      cct: 0,
    },
    str: false,
    name: 'WLED',
    udpport: 21324,
    simplifiedui: false,
    live: false,
    liveseg: -1,
    lm: '',
    lip: '',
    ws: 0,
    fxcount: 187,
    palcount: 71,
    cpalcount: 0,
    maps: [{ id: 0 }],
  };
  const RECORDED_STRIP = {
    ...RECORDED_MATRIX,
    leds: { count: 150, pwr: 0, fps: 42, maxpwr: 850, maxseg: 32, bootps: 0, seglc: [1], lc: 1, rgbw: false, wv: 0, cct: 0 },
  };

  async function serve(body: unknown): Promise<{ port: number; paths: string[] }> {
    const paths: string[] = [];
    const server: Server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    return { port: (server.address() as { port: number }).port, paths };
  }

  it('a 2D set-up gives width × height; a strip gives its count; a size in the config wins', async () => {
    const m = await serve(RECORDED_MATRIX);
    expect(await fetchWledInfo('127.0.0.1', { httpPort: m.port })).toMatchObject({
      count: 256,
      matrix: { w: 16, h: 16 },
      name: 'WLED',
    });
    expect(m.paths).toEqual(['/json/info']);
    const base = (outputs: unknown[]) => parseConfig({ source: 'demo', outputs }, { env: {} });
    const sized = await resolveWledSizes(base([{ type: 'wled', host: '127.0.0.1' }, { type: 'web' }]), silentLogger, {
      httpPort: m.port,
    });
    expect(outputGeometry(sized.outputs[0]!)).toEqual({ width: 16, height: 16 });
    const s = await serve(RECORDED_STRIP);
    const strip = await resolveWledSizes(base([{ type: 'wled', host: '127.0.0.1' }]), silentLogger, { httpPort: s.port });
    expect(outputGeometry(strip.outputs[0]!)).toEqual({ width: 150, height: 1 });
    const given = await resolveWledSizes(base([{ type: 'wled', host: '127.0.0.1', count: 12 }]), silentLogger, {
      httpPort: s.port,
    });
    expect(outputGeometry(given.outputs[0]!)).toEqual({ width: 12, height: 1 });
    expect(s.paths).toHaveLength(1);
    // `podglow frame` renders the sized output like any other.
    const [f] = outputFrames(sized, {
      time: new Date().toISOString(),
      nodes: [],
      unscheduled: { running: 0, pending: 0, terminating: 0, crashing: 0, failed: 0, unknown: 0, succeeded: 0 },
    } as never);
    expect([f!.frame.width, f!.frame.height]).toEqual([16, 16]);
  });

  it('refuses clearly when the device does not answer or is not WLED', async () => {
    const base = parseConfig({ source: 'demo', outputs: [{ name: 'sign', type: 'wled', host: '127.0.0.1' }] }, { env: {} });
    const other = await serve('<html>router</html>');
    await expect(resolveWledSizes(base, silentLogger, { httpPort: other.port })).rejects.toThrow(
      /wled output "sign" \(127\.0\.0\.1\) has no size in the config and .*does not look like WLED.*Set count/,
    );
    const closed = await closedUdpPort(); // nothing listens on TCP there either, almost surely
    await expect(resolveWledSizes(base, silentLogger, { httpPort: closed, timeoutMs: 1000 })).rejects.toThrow(
      /cannot read http:\/\/127\.0\.0\.1:\d+\/json\/info/,
    );
  });

  it('the schema wants width and height together, and not with count', () => {
    expect(() => outputConfig({ type: 'wled', host: 'x', width: 8 })).toThrow(/width and height together/);
    expect(() => outputConfig({ type: 'wled', host: 'x', count: 8, width: 8, height: 1 })).toThrow(/not both/);
    expect(() => outputConfig({ type: 'wled', host: 'wled.local:4048' })).toThrow(/port/);
  });
});

describe('wled output sized from /json/info, off at start (SPEC §7)', () => {
  /** A fake WLED whose HTTP side is off until `answer()`: connections to its port are refused, then /json/info answers. */
  async function lateWled(info: unknown) {
    const paths: string[] = [];
    const refused = createServer();
    // Reserve a free TCP port, then free it: until answer() nobody listens there.
    await new Promise<void>((r) => refused.listen(0, '127.0.0.1', () => r()));
    const port = (refused.address() as { port: number }).port;
    await new Promise<void>((r) => refused.close(() => r()));
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(info));
    });
    cleanups.push(() => new Promise<void>((r) => (server.listening ? server.close(() => r()) : r())));
    return { port, paths, answer: () => new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r())) };
  }

  it('keeps podglow running (output up 0, asked again with backoff, others unaffected), then takes its geometry when it answers', async () => {
    const ddp = await receiver();
    // Aircoookie/WLED wled00/json.cpp serializeInfo: leds.count, and leds.matrix {w, h} for a 2D set-up.
    const device = await lateWled({ name: 'WLED', leds: { count: 128, matrix: { w: 16, h: 8 } } });
    const config = parseConfig(
      {
        source: 'demo',
        interval: '1s',
        server: { enabled: true, address: '127.0.0.1', port: 0 },
        outputs: [
          { name: 'sign', type: 'wled', host: '127.0.0.1', port: ddp.port, brightness: 1 },
          { name: 'other', type: 'web', width: 8, height: 1 },
        ],
      },
      { env: {} },
    );
    const metrics = new Metrics({ defaultMetrics: false });
    const other = new RecordingDriver({ name: 'other' });
    const timing = { retryInitialMs: 100, retryMaxMs: 400, infoTimeoutMs: 500, httpPort: device.port, probeMs: 100 };
    const app = await startPodglow(config, {
      log: silentLogger,
      metrics,
      createDriver: (o, ctx) => (o.type === 'wled' ? createWledDriver(o, ctx, timing) : Promise.resolve(other)),
    });
    cleanups.push(() => app.stop());
    const up = async () => Object.fromEntries((await metrics.outputUp.get()).values.map((v) => [v.labels.output, v.value]));
    const state = async () =>
      (
        (await (await fetch(new URL('api/state', app.url))).json()) as {
          outputs: { name: string; width: number; height: number; up: boolean }[];
        }
      ).outputs;

    // Off: podglow started anyway; the wled output is down from the first scrape, the other draws on.
    expect(await up()).toMatchObject({ sign: 0 });
    const shown = other.calls.length;
    await new Promise((res) => setTimeout(res, 700));
    expect((await up()).sign).toBe(0);
    expect((await up()).other).toBe(1);
    expect(other.calls.length).toBeGreaterThan(shown);
    expect(ddp.packets).toHaveLength(0);
    expect((await state()).find((o) => o.name === 'sign')).toMatchObject({ up: false });

    // It answers: asked again (backoff), sized 16 × 8, DDP frames of 128 LEDs flow, up 1.
    await device.answer();
    await ddp.until(() => ddp.frames.some((f) => f.rgb.length === 16 * 8 * 3 && f.rgb.some((b) => b > 0)), 8000);
    expect(device.paths.every((p) => p === '/json/info')).toBe(true);
    const deadline = Date.now() + 4000;
    while ((await up()).sign !== 1 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    expect(await up()).toEqual({ sign: 1, other: 1 });
    // The preview and frames use the device's geometry.
    expect((await state()).find((o) => o.name === 'sign')).toMatchObject({ width: 16, height: 8, up: true });
    expect(app.controller.outputs().find((o) => o.name === 'sign')).toMatchObject({ width: 16, height: 8 });
    expect(app.controller.outputs().find((o) => o.name === 'sign')!.base).toHaveLength(128);
  }, 20_000);

  it('asks again with backoff while the device stays off, and stops asking when stopped', async () => {
    const device = await lateWled({ leds: { count: 30 } });
    let asked = 0;
    const stub = createServer((_req, res) => {
      asked++;
      res.statusCode = 503; // up on the network, not WLED yet: an error too
      res.end();
    });
    await new Promise<void>((r) => stub.listen(device.port, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => stub.close(() => r())));
    const { driver, onStatus } = wled({}, 30, {
      retryInitialMs: 100,
      retryMaxMs: 200,
      infoTimeoutMs: 300,
      httpPort: device.port,
    });
    await driver.start();
    expect(driver.up).toBe(false);
    expect(driver.deviceGeometry).toBeUndefined();
    expect(onStatus).toHaveBeenCalledTimes(1);
    expect(onStatus).toHaveBeenCalledWith(false, expect.any(Error));
    await new Promise((res) => setTimeout(res, 700));
    // 100, 200, 200 ms apart: a few more requests, not one per frame.
    expect(asked).toBeGreaterThanOrEqual(3);
    expect(asked).toBeLessThan(12);
    await driver.stop(false);
    const after = asked;
    await new Promise((res) => setTimeout(res, 500));
    expect(asked).toBe(after);
  });
});

describe('wled output: SIGTERM on `podglow run`', () => {
  it('sends black on SIGTERM (demo source, real child process)', async () => {
    const r = await receiver();
    const dir = mkdtempSync(join(tmpdir(), 'podglow-wled-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'podglow.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        source: 'demo',
        interval: '1s',
        server: { enabled: false },
        outputs: [{ name: 'sign', type: 'wled', host: '127.0.0.1', port: r.port, count: 64, brightness: 1 }],
      }),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', '--config', file], {
      cwd: process.cwd(),
      env: { ...process.env, PODGLOW_CONFIG: '', PODGLOW_PROMETHEUS_URL: '', NODE_NAME: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    cleanups.push(() => void child.kill('SIGKILL'));
    await r
      .until(() => r.frames.some((f) => f.rgb.some((b) => b > 0)), 20_000)
      .catch((e: Error) => {
        throw new Error(`${e.message}\n${stderr}`);
      });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await new Promise((res) => setTimeout(res, 100));
    expect(r.frames.at(-1)!.rgb).toEqual(Buffer.alloc(64 * 3));
  }, 30_000);
});
