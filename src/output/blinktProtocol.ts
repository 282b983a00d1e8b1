import { clampByte, type Rgb } from '../color.js';

// Facts from pimoroni/blinkt library/blinkt.py (show, _sof, _write_byte, _eof, set_pixel):
// - pins BCM 23 (DAT) and 24 (CLK), 8 pixels (NUM_PIXELS), sent from pixel 0 to pixel 7;
// - start frame: DAT low, then 32 clock pulses (CLK high, CLK low);
// - each pixel: 0b11100000 | brightness (5 bits, int(31.0 * b) & 0b11111), then blue,
//   green, red; each byte MSB first, per bit: DAT set, CLK high, CLK low (the APA102
//   samples DAT on the rising edge, while it is stable);
// - end frame: DAT low, then 36 clock pulses (enough for the small dark-die APA102s).
// So one frame is (1 + 2 × 32) + 8 × 4 × 8 × 3 + (1 + 2 × 36) = 65 + 768 + 73 = 906 GPIO writes.

/** BCM number of the data line. */
export const BLINKT_DATA_PIN = 23;
/** BCM number of the clock line. */
export const BLINKT_CLOCK_PIN = 24;
/** LEDs on the board. */
export const BLINKT_LEDS = 8;
/** Clock pulses of the start frame. */
export const START_CLOCKS = 32;
/** Clock pulses of the end frame. */
export const END_CLOCKS = 36;
/** Top bits of every LED's first byte. */
export const LED_HEADER = 0b11100000;
/** Largest value of the 5-bit brightness field. */
export const FIELD_MAX = 31;
/** GPIO writes per frame in Pimoroni's sequence, where every data bit is written even when unchanged. */
export const PIMORONI_WRITES_PER_FRAME = 1 + 2 * START_CLOCKS + BLINKT_LEDS * 4 * 8 * 3 + 1 + 2 * END_CLOCKS;

/**
 * The 5-bit brightness field of an output brightness (0..1), as Pimoroni computes it
 * (`int(31 × b)`), but never 0 unless the brightness is 0: a lit LED must not go dark.
 */
export function brightnessField(brightness: number): number {
  if (!(brightness > 0)) return 0;
  return Math.max(1, Math.min(FIELD_MAX, Math.floor(FIELD_MAX * brightness)));
}

/**
 * The 32 bytes of the LED data (4 per LED: header with the brightness field, blue, green,
 * red) for colours in logical order; `reverse` sends the last logical LED first (a board
 * mounted the other way round).
 */
export function ledBytes(
  leds: readonly Rgb[],
  field: number,
  reverse = false,
  out = new Uint8Array(BLINKT_LEDS * 4),
): Uint8Array {
  const header = LED_HEADER | (field & FIELD_MAX);
  for (let p = 0; p < BLINKT_LEDS; p++) {
    const c = leds[reverse ? BLINKT_LEDS - 1 - p : p];
    const at = p * 4;
    out[at] = header;
    out[at + 1] = c ? clampByte(c[2]) : 0;
    out[at + 2] = c ? clampByte(c[1]) : 0;
    out[at + 3] = c ? clampByte(c[0]) : 0;
  }
  return out;
}

/** One output line held open (a GPIO value file, or later a character-device line). */
export interface OutputLine {
  /** Drives the line high (true) or low (false). */
  write(high: boolean): void;
}

/**
 * Clocks a frame out the way Pimoroni's show() does: start frame, the LED bytes MSB first
 * (data set while the clock is low, clock high, clock low), end frame. A data write that
 * would not change the line is skipped (the wire is the same); returns the writes made.
 * `dataLevel` is the data line's level before the frame; the clock is low before and after.
 */
export function clockOut(
  data: OutputLine,
  clock: OutputLine,
  bytes: Uint8Array,
  dataLevel: boolean,
): { writes: number; dataLevel: boolean } {
  let level = dataLevel;
  let writes = 0;
  const setData = (high: boolean): void => {
    if (high === level) return;
    data.write(high);
    level = high;
    writes++;
  };
  const pulse = (): void => {
    clock.write(true);
    clock.write(false);
    writes += 2;
  };
  setData(false);
  for (let i = 0; i < START_CLOCKS; i++) pulse();
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      setData(((byte >> bit) & 1) === 1);
      pulse();
    }
  }
  setData(false);
  for (let i = 0; i < END_CLOCKS; i++) pulse();
  return { writes, dataLevel: level };
}
