import { describe, expect, it } from 'vitest';
import type { Rgb } from '../../src/color.js';
import {
  batchReport,
  blankReport,
  colorReport,
  detectVariant,
  frameReport,
  indexReport,
  modeReport,
  parseSerial,
} from '../../src/output/blinkstickProtocol.js';

// Facts from arvydas/blinkstick-python blinkstick/blinkstick.py: get_variant (serial
// BSnnnnnn-M.m, major 1 original, 2 Pro, 3 by the USB release 0x200..0x203), set_color
// (report 1 [1, R, G, B], or report 5 [5, channel, index, R, G, B]), set_mode (report 4),
// set_led_data (reports 6..9 sized for 8/16/32/64 LEDs, [id, channel, G, R, B, …]).
const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];
const zeros = (n: number) => new Array<number>(n).fill(0);

describe('variant detection', () => {
  it('reads major.minor from the serial', () => {
    expect(parseSerial('BS012345-3.0')).toEqual({ major: 3, minor: 0 });
    expect(parseSerial('BS000001-1.1')).toEqual({ major: 1, minor: 1 });
    expect(parseSerial('garbage')).toBeUndefined();
    expect(parseSerial(undefined)).toBeUndefined();
  });

  it('uses the major version, then the USB release for major 3', () => {
    expect(detectVariant('BS000001-1.0', 0x100)).toBe('blinkstick');
    expect(detectVariant('BS000002-2.1', 0x100)).toBe('pro');
    expect(detectVariant('BS000003-3.0', 0x200)).toBe('square');
    expect(detectVariant('BS000003-3.0', 0x201)).toBe('strip');
    expect(detectVariant('BS000003-3.0', 0x202)).toBe('nano');
    expect(detectVariant('BS000003-3.0', 0x203)).toBe('flex');
    expect(detectVariant('BS000003-3.0', 0x204)).toBe('unknown');
    expect(detectVariant('BS000004-4.0', 0x200)).toBe('unknown');
    expect(detectVariant(undefined, 0x202)).toBe('unknown');
  });
});

describe('report bytes', () => {
  it('report 1 is [1, R, G, B]', () => {
    expect(colorReport([0x12, 0x34, 0x56])).toEqual([1, 0x12, 0x34, 0x56]);
  });

  it('report 4 is [4, mode]', () => {
    expect(modeReport(2)).toEqual([4, 2]);
  });

  it('report 5 is [5, channel, index, R, G, B]', () => {
    expect(indexReport(2, 7, [10, 20, 30])).toEqual([5, 2, 7, 10, 20, 30]);
  });

  it('batch reports are GRB and the smallest that fits: 6/7/8/9 = 26/50/98/194 bytes', () => {
    const sizes = [1, 8, 9, 16, 17, 32, 33, 64].map((n) => {
      const r = batchReport(0, new Array<Rgb>(n).fill(RED));
      return [n, r[0], r.length];
    });
    expect(sizes).toEqual([
      [1, 6, 26],
      [8, 6, 26],
      [9, 7, 50],
      [16, 7, 50],
      [17, 8, 98],
      [32, 8, 98],
      [33, 9, 194],
      [64, 9, 194],
    ]);
    expect(() => batchReport(0, new Array<Rgb>(65).fill(RED))).toThrow(/64/);
    expect(batchReport(1, [[1, 2, 3]]).slice(0, 5)).toEqual([6, 1, 2, 1, 3]);
  });

  it('clamps and rounds stray channel values to bytes', () => {
    expect(colorReport([300, -1, 12.4])).toEqual([1, 255, 0, 12]);
  });
});

describe('frame reports per variant', () => {
  it('Nano (2 LEDs): report 6, 26 bytes', () => {
    expect(frameReport('nano', 0, [RED, [0x11, 0x22, 0x33]])).toEqual([6, 0, 0, 255, 0, 0x22, 0x11, 0x33, ...zeros(18)]);
  });

  it('Strip and Square (8 LEDs): report 6 filled', () => {
    const leds: Rgb[] = Array.from({ length: 8 }, (_, i) => [i, 10 + i, 20 + i]);
    const bytes = [6, 0, ...leds.flatMap(([r, g, b]) => [g, r, b])];
    expect(frameReport('strip', 0, leds)).toEqual(bytes);
    expect(frameReport('square', 0, leds)).toEqual(bytes);
    expect(bytes).toHaveLength(26);
  });

  it('Flex at 32 LEDs: report 8, 98 bytes', () => {
    const leds: Rgb[] = Array.from({ length: 32 }, (_, i) => [i, 2 * i, 3 * i]);
    const r = frameReport('flex', 0, leds);
    expect(r).toEqual([8, 0, ...leds.flatMap(([red, g, b]) => [g, red, b])]);
    expect(r).toHaveLength(98);
  });

  it('original BlinkStick: report 1 with the first LED only', () => {
    expect(frameReport('blinkstick', 0, [GREEN, RED])).toEqual([1, 0, 255, 0]);
  });

  it('Pro: batch report on the configured channel', () => {
    expect(frameReport('pro', 2, [RED, GREEN, [0, 0, 9]])).toEqual([6, 2, 0, 255, 0, 255, 0, 0, 0, 0, 9, ...zeros(15)]);
  });

  it('a single LED on a multi-LED stick uses report 5', () => {
    expect(frameReport('nano', 0, [[1, 2, 3]])).toEqual([5, 0, 0, 1, 2, 3]);
  });

  it('LEDs beyond the variant are dropped', () => {
    expect(frameReport('nano', 0, [RED, RED, RED])).toEqual(frameReport('nano', 0, [RED, RED]));
  });

  it('blank covers every LED of the variant', () => {
    expect(blankReport('blinkstick', 0)).toEqual([1, 0, 0, 0]);
    expect(blankReport('nano', 0)).toEqual([6, 0, ...zeros(24)]);
    expect(blankReport('flex', 0)).toEqual([8, 0, ...zeros(96)]);
    expect(blankReport('pro', 1)).toEqual([9, 1, ...zeros(192)]);
  });
});
