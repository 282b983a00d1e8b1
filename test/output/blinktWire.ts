import { expect } from 'vitest';
import type { ValueWrite } from '../fakes/fakeSysfsGpio.js';

// A decoder of the Blinkt!'s wire written from the protocol as pimoroni/blinkt
// library/blinkt.py drives it (show, _sof, _write_byte, _eof) and the APA102's rule that
// data is sampled on the clock's rising edge; it shares nothing with podglow's encoder.
// Frame: start frame of 32 zero bits; per LED 32 bits: 0b111, a 5-bit brightness, then
// blue, green, red, each MSB first; end frame of 36 clocks with data low.

/** Bits per frame on the wire: 32 start + 8 LEDs × 32 + 36 end. */
export const FRAME_BITS = 32 + 8 * 32 + 36;

/** One LED as decoded: its 3 top bits, the 5-bit brightness field and the colour bytes. */
export interface WireLed {
  top: number;
  field: number;
  r: number;
  g: number;
  b: number;
}

/**
 * The data bit at each rising clock edge, from the ordered writes to both value files.
 * Both lines start low (sysfs `direction` out drives a line low); every write must be a
 * single '0' or '1' at file position 0.
 */
export function sampleRisingEdges(
  writes: readonly ValueWrite[],
  dataGpio: number,
  clockGpio: number,
  start = { data: 0, clock: 0 },
) {
  let data = start.data;
  let clock = start.clock;
  const bits: number[] = [];
  for (const w of writes) {
    expect(w.position).toBe(0);
    expect(['0', '1']).toContain(w.text);
    const v = w.text === '1' ? 1 : 0;
    if (w.gpio === dataGpio) data = v;
    else if (w.gpio === clockGpio) {
      if (clock === 0 && v === 1) bits.push(data);
      clock = v;
    } else throw new Error(`write to an unexpected line gpio${w.gpio}`);
  }
  return { bits, data, clock };
}

function byteAt(bits: readonly number[], at: number): number {
  let v = 0;
  for (let i = 0; i < 8; i++) v = (v << 1) | bits[at + i]!;
  return v;
}

/** Splits sampled bits into frames, checking the start and end frames; returns each frame's LEDs. */
export function decodeFrames(bits: readonly number[]): WireLed[][] {
  expect(bits.length % FRAME_BITS, 'a whole number of frames').toBe(0);
  const frames: WireLed[][] = [];
  for (let f = 0; f < bits.length; f += FRAME_BITS) {
    expect(bits.slice(f, f + 32), 'start frame: 32 zero bits').toEqual(new Array(32).fill(0));
    const leds: WireLed[] = [];
    for (let i = 0; i < 8; i++) {
      const at = f + 32 + i * 32;
      const header = byteAt(bits, at);
      leds.push({
        top: header >> 5,
        field: header & 0b11111,
        b: byteAt(bits, at + 8),
        g: byteAt(bits, at + 16),
        r: byteAt(bits, at + 24),
      });
    }
    expect(bits.slice(f + 32 + 256, f + FRAME_BITS), 'end frame: 36 clocks with data low').toEqual(new Array(36).fill(0));
    frames.push(leds);
  }
  return frames;
}

/**
 * Pimoroni's exact write sequence for one frame (library/blinkt.py show(): _sof, then per
 * pixel _write_byte of header, b, g, r, then _eof) as [line, level] pairs.
 */
export function pimoroniSequence(
  pixels: readonly { r: number; g: number; b: number; field: number }[],
): ['dat' | 'clk', number][] {
  const seq: ['dat' | 'clk', number][] = [];
  const clocks = (n: number) => {
    seq.push(['dat', 0]);
    for (let i = 0; i < n; i++) seq.push(['clk', 1], ['clk', 0]);
  };
  const writeByte = (byte: number) => {
    for (let x = 0; x < 8; x++) {
      seq.push(['dat', byte & 0b10000000 ? 1 : 0], ['clk', 1], ['clk', 0]);
      byte <<= 1;
    }
  };
  clocks(32);
  for (const p of pixels) {
    writeByte(0b11100000 | p.field);
    writeByte(p.b);
    writeByte(p.g);
    writeByte(p.r);
  }
  clocks(36);
  return seq;
}

/** Decodes a growing list of writes as it grows, frame by frame (each write is looked at once). */
export class WireReader {
  readonly frames: WireLed[][] = [];
  private cursor = 0;
  private levels = { data: 0, clock: 0 };
  private bits: number[] = [];

  constructor(
    private readonly writes: readonly ValueWrite[],
    private readonly dataGpio: number,
    private readonly clockGpio: number,
  ) {}

  /** Every frame decoded so far, after reading the new writes. */
  read(): WireLed[][] {
    const fresh = this.writes.slice(this.cursor);
    this.cursor = this.writes.length;
    const r = sampleRisingEdges(fresh, this.dataGpio, this.clockGpio, this.levels);
    this.levels = { data: r.data, clock: r.clock };
    this.bits.push(...r.bits);
    const whole = this.bits.length - (this.bits.length % FRAME_BITS);
    if (whole > 0) {
      this.frames.push(...decodeFrames(this.bits.slice(0, whole)));
      this.bits = this.bits.slice(whole);
    }
    return this.frames;
  }
}
