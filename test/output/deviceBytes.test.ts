import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseHex, type Rgb } from '../../src/color.js';
import { PALETTE_KEYS } from '../../src/config/schema.js';
import { OutputPipeline } from '../../src/effects/pipeline.js';
import type { Frame } from '../../src/frame.js';
import { PRESETS, presetColors, type PresetName } from '../../src/layout/palette.js';
import { silentLogger } from '../../src/log.js';
import { createBlinkStickDriver } from '../../src/output/blinkstick.js';
import type { Driver } from '../../src/output/driver.js';
import { createUnicornHatDriver, unicornHatOrder } from '../../src/output/unicornhat.js';
import { FakeHid, type FakeStick } from '../fakes/fakeHid.js';
import { FakeWs281x } from '../fakes/fakeWs281x.js';
import { driverContext, outputConfig } from './helpers.js';

// Device bytes as the hardware gets them (SPEC §6): the real drivers with their own gamma and
// cap settings, the native modules replaced by recording fakes.

const BRIGHTNESS = [1, 0.5, 0.2, 0.05] as const;
const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/**
 * Decodes one BlinkStick feature report into LED colours, from the SPEC §7 table: report 1
 * [1, R, G, B]; report 5 [5, channel, index, R, G, B]; reports 6/7/8/9 (26/50/98/194 bytes)
 * [id, channel, G, R, B, …] for 8/16/32/64 LEDs.
 */
function decodeReport(bytes: readonly number[]): Rgb[] {
  const id = bytes[0];
  if (id === 1) {
    expect(bytes).toHaveLength(4);
    return [[bytes[1]!, bytes[2]!, bytes[3]!]];
  }
  if (id === 5) {
    expect(bytes).toHaveLength(6);
    return [[bytes[3]!, bytes[4]!, bytes[5]!]];
  }
  const leds = { 6: 8, 7: 16, 8: 32, 9: 64 }[id as 6 | 7 | 8 | 9];
  if (leds === undefined) throw new Error(`not a colour report: ${id}`);
  expect(bytes).toHaveLength(2 + 3 * leds);
  return Array.from({ length: leds }, (_, i) => [bytes[3 + 3 * i]!, bytes[2 + 3 * i]!, bytes[4 + 3 * i]!] as const);
}

/** Rendered 0xRRGGBB words as colours. */
function decodeWords(words: Uint32Array): Rgb[] {
  return Array.from(words, (w) => [(w >> 16) & 0xff, (w >> 8) & 0xff, w & 0xff] as const);
}

function solid(n: number, c: Rgb): Frame {
  return { width: n, height: 1, leds: new Array<Rgb>(n).fill(c), blink: new Array<boolean>(n).fill(false), pages: 1 };
}

interface Device {
  name: string;
  driver: Driver;
  width: number;
  height: number;
  /** What the hardware holds now, in logical order. */
  read(): Rgb[];
}

async function hat(): Promise<Device> {
  const ws = new FakeWs281x();
  const config = outputConfig({ type: 'unicornhat' });
  const driver = await createUnicornHatDriver(config, driverContext(config).ctx, ws.loaders(0));
  await driver.start();
  const physical = unicornHatOrder(0);
  return { name: 'Unicorn HAT', driver, width: 8, height: 8, read: () => physical.map((i) => decodeWords(ws.lastRender!)[i]!) };
}

async function blinkstick(name: string, release: number): Promise<Device> {
  const hid = new FakeHid();
  const stick: FakeStick = hid.add('BS000100-3.0', release);
  const config = outputConfig({ type: 'blinkstick' });
  const driver = await createBlinkStickDriver(config, driverContext(config).ctx, hid.loaders());
  await driver.start();
  const width = driver.deviceGeometry!.width;
  return { name, driver, width, height: 1, read: () => decodeReport(stick.lastFrame!).slice(0, width) };
}

const DEVICES: [string, () => Promise<Device>][] = [
  ['Unicorn HAT', hat],
  ['BlinkStick Strip', () => blinkstick('Strip', 0x201)],
  ['BlinkStick Nano', () => blinkstick('Nano', 0x202)],
];

/** Shows each colour on every LED at a brightness (live or stale) and returns the bytes LED 0 got. */
async function bytesOf(dev: Device, colors: readonly Rgb[], brightness: number, stale = false): Promise<Rgb[]> {
  const n = dev.width * dev.height;
  const p = new OutputPipeline({
    name: dev.name,
    type: 'terminal',
    driver: dev.driver,
    geometry: { width: dev.width, height: dev.height },
    brightness,
    transitionMs: 0,
    fps: 30,
    statusColor: [255, 153, 0],
    log: silentLogger,
  });
  p.start();
  const out: Rgb[] = [];
  for (const c of colors) {
    p.setFrame(solid(n, c), 0, stale);
    await vi.advanceTimersByTimeAsync(0);
    const leds = dev.read();
    // Every LED but the stale status LED carries the same bytes.
    for (const led of leds.slice(0, n - 1)) expect(led).toEqual(leds[0]);
    out.push(leds[0]!);
  }
  await p.halt();
  return out;
}

const key = (c: Rgb) => c.join(',');

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date(2026, 10, 21, 12, 0, 0, 0));
});
afterEach(() => {
  vi.useRealTimers();
});

describe.each(DEVICES)('%s, gamma on as the real driver sets it', (_name, open) => {
  it('uses gamma', async () => {
    const dev = await open();
    expect(dev.driver.gamma).toBe(true);
    await dev.driver.stop(false);
  });

  it.each(PRESET_NAMES)(
    'palette %s: colours that differ at full brightness differ in bytes at 1, 0.5, 0.2 and 0.05; no lit LED goes dark',
    async (preset) => {
      const dev = await open();
      const hex = presetColors(PRESETS[preset]);
      const colors = PALETTE_KEYS.map((k) => parseHex(hex[k]));
      for (const b of BRIGHTNESS) {
        const bytes = await bytesOf(dev, colors, b);
        for (let i = 0; i < colors.length; i++) {
          // Lit in the base colour ⇒ lit on the wire, channel by channel.
          for (let ch = 0; ch < 3; ch++)
            expect(bytes[i]![ch]! > 0, `${PALETTE_KEYS[i]} ch${ch} at ${b}`).toBe(colors[i]![ch]! > 0);
          for (let j = i + 1; j < colors.length; j++) {
            if (key(colors[i]!) === key(colors[j]!)) continue;
            expect(key(bytes[i]!), `${PALETTE_KEYS[i]} vs ${PALETTE_KEYS[j]} at ${b}`).not.toBe(key(bytes[j]!));
          }
        }
      }
      await dev.driver.stop(false);
    },
  );

  it('a stale frame differs from the live one on every LED that can still dim', async () => {
    const dev = await open();
    const hex = presetColors(PRESETS.default);
    const colors = PALETTE_KEYS.map((k) => parseHex(hex[k]));
    for (const b of BRIGHTNESS) {
      const live = await bytesOf(dev, colors, b);
      const stale = await bytesOf(dev, colors, b, true);
      live.forEach((l, i) => {
        if (l.every((v) => v <= 1)) expect(stale[i]).toEqual(l);
        else expect(key(stale[i]!), `${PALETTE_KEYS[i]} at ${b}`).not.toBe(key(l));
        // Dimmed, never brighter, and still lit where it was.
        for (let ch = 0; ch < 3; ch++) {
          expect(stale[i]![ch]!).toBeLessThanOrEqual(l[ch]!);
          expect(stale[i]![ch]! > 0).toBe(l[ch]! > 0);
        }
      });
    }
    await dev.driver.stop(false);
  });
});

describe('the Unicorn HAT cap', () => {
  it('peaks at 128 at brightness 1, never more, and is never dimmer than Pimoroni’s library', async () => {
    const dev = await hat();
    const white = (await bytesOf(dev, [[255, 255, 255]], 1))[0]!;
    expect(white).toEqual([128, 128, 128]);
    const all = PRESET_NAMES.flatMap((p) => PALETTE_KEYS.map((k) => parseHex(presetColors(PRESETS[p])[k])));
    const peak = Math.max(...(await bytesOf(dev, all, 1)).flat());
    expect(peak).toBe(128);
    // Pimoroni's unicornhat.py (library/UnicornHat/unicornhat.py): brightness(b) sets the C
    // library's brightness to int(b × 128); ws2811.c scales a channel by (brightness + 1) >> 8 and
    // then looks it up in LED_GAMMA, whose entries at 128, 64, 25 and 6 are 55, 11, 1 and 0.
    const pimoroniFull = { 1: 55, 0.5: 11, 0.2: 1, 0.05: 0 } as const;
    for (const b of BRIGHTNESS) {
      const full = (await bytesOf(dev, [[255, 0, 0]], b))[0]![0];
      expect(full).toBeGreaterThanOrEqual(pimoroniFull[b]);
    }
    await dev.driver.stop(false);
  });

  it('sets the C library to pass bytes through (brightness 255: (255 + 1) >> 8 = ×1)', async () => {
    const ws = new FakeWs281x();
    const config = outputConfig({ type: 'unicornhat' });
    const driver = await createUnicornHatDriver(config, driverContext(config).ctx, ws.loaders(0));
    await driver.start();
    expect(ws.inits[0]!.options.brightness).toBe(255);
    await driver.stop(false);
  });
});

describe('blinkstick-classic on a Nano', () => {
  it('sends the original monitor’s bytes at brightness 50/255', async () => {
    const dev = await blinkstick('Nano', 0x202);
    const hex = presetColors(PRESETS['blinkstick-classic']);
    const keys = ['running', 'pending', 'terminating', 'failed'] as const;
    const bytes = await bytesOf(
      dev,
      keys.map((k) => parseHex(hex[k])),
      50 / 255,
    );
    // The original BlinkStick monitor (SPEC §5 blinkstick-classic): green 0,25,0; yellow 50,50,0; blue 0,0,50; red 50,0,0.
    expect(bytes).toEqual([
      [0, 25, 0],
      [50, 50, 0],
      [0, 0, 50],
      [50, 0, 0],
    ]);
    await dev.driver.stop(false);
  });
});
