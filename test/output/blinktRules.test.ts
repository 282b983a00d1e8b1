import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseHex, type Rgb } from '../../src/color.js';
import { PALETTE_KEYS } from '../../src/config/schema.js';
import { OutputPipeline } from '../../src/effects/pipeline.js';
import type { Frame } from '../../src/frame.js';
import { PRESETS, presetColors, type PresetName } from '../../src/layout/palette.js';
import { silentLogger } from '../../src/log.js';
import { BlinktDriver, type BlinktConfig } from '../../src/output/blinkt.js';
import { SysfsGpio } from '../../src/output/sysfsGpio.js';
import { FakeSysfsGpio, PI_CHIPS } from '../fakes/fakeSysfsGpio.js';
import { WireReader, type WireLed } from './blinktWire.js';
import { driverContext, outputConfig } from './helpers.js';

// SPEC §6 on the Blinkt!'s decoded wire (pimoroni/blinkt library/blinkt.py's sequence,
// sampled on rising clock edges): the light of a LED is its 5-bit field / 31 × its byte.

const BRIGHTNESS = [1, 0.5, 0.2, 0.05] as const;
const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

let fake: FakeSysfsGpio;
let driver: BlinktDriver;
let reader: WireReader;

beforeEach(async () => {
  vi.useFakeTimers();
  fake = new FakeSysfsGpio(PI_CHIPS.pi4);
  const config = outputConfig({ type: 'blinkt' }) as BlinktConfig;
  driver = new BlinktDriver(config, driverContext(config).ctx, { gpio: new SysfsGpio({ root: fake.root, io: fake.io }) });
  await driver.start();
  reader = new WireReader(fake.valueWrites, 535, 536);
});
afterEach(async () => {
  await driver.stop(false);
  fake.cleanup();
  vi.useRealTimers();
});

function frames(): WireLed[][] {
  return reader.read();
}

function pipeline(brightness: number, transitionMs = 0) {
  const p = new OutputPipeline({
    name: 'blinkt',
    type: 'blinkt',
    driver,
    geometry: { width: 8, height: 1 },
    brightness,
    transitionMs,
    fps: 30,
    statusColor: [255, 153, 0],
    log: silentLogger,
  });
  p.start();
  return p;
}

function solid(c: Rgb): Frame {
  return { width: 8, height: 1, leds: new Array<Rgb>(8).fill(c), blink: new Array<boolean>(8).fill(false), pages: 1 };
}

/** Shows each colour on every LED and returns LED 0 as decoded from the wire. */
async function wireOf(colors: readonly Rgb[], brightness: number, stale = false): Promise<WireLed[]> {
  const p = pipeline(brightness);
  const out: WireLed[] = [];
  for (const c of colors) {
    p.setFrame(solid(c), 0, stale);
    await vi.advanceTimersByTimeAsync(0);
    out.push(frames().at(-1)![0]!);
  }
  await p.halt();
  return out;
}

const key = (l: WireLed) => [l.field, l.r, l.g, l.b].join(',');

describe('Blinkt! under the effects pipeline (SPEC §6 on decoded bytes)', () => {
  it.each(PRESET_NAMES)(
    'palette %s: the field carries the brightness; colours distinct at 1, 0.5, 0.2, 0.05; no lit LED dark',
    async (preset) => {
      const hex = presetColors(PRESETS[preset]);
      const colors = PALETTE_KEYS.map((k) => parseHex(hex[k]));
      for (const b of BRIGHTNESS) {
        const leds = await wireOf(colors, b);
        for (let i = 0; i < colors.length; i++) {
          expect(leds[i]!.top).toBe(0b111);
          expect(leds[i]!.field, `field at ${b}`).toBe(Math.max(1, Math.floor(31 * b)));
          const wire = [leds[i]!.r, leds[i]!.g, leds[i]!.b];
          for (let ch = 0; ch < 3; ch++) expect(wire[ch]! > 0, `${PALETTE_KEYS[i]} ch${ch} at ${b}`).toBe(colors[i]![ch]! > 0);
          for (let j = i + 1; j < colors.length; j++) {
            if (colors[i]!.join() === colors[j]!.join()) continue;
            expect(key(leds[i]!), `${PALETTE_KEYS[i]} vs ${PALETTE_KEYS[j]} at ${b}`).not.toBe(key(leds[j]!));
          }
        }
      }
    },
  );

  it('keeps 8-bit colour at night: the colour bytes at 0.05 are those at 1 (gamma on)', async () => {
    const colors = PALETTE_KEYS.map((k) => parseHex(presetColors(PRESETS.default)[k]));
    const full = await wireOf(colors, 1);
    const night = await wireOf(colors, 0.05);
    expect(night.map((l) => [l.r, l.g, l.b])).toEqual(full.map((l) => [l.r, l.g, l.b]));
    // Gamma: a half-level channel is far below half on the wire (light is linear in the byte).
    const [mid] = await wireOf([[128, 128, 128]], 1);
    expect(mid!.r).toBeLessThan(64);
    expect(mid!.r).toBeGreaterThan(0);
  });

  it('a stale frame differs from the live one on every LED that can still dim, and stays lit', async () => {
    const colors = PALETTE_KEYS.map((k) => parseHex(presetColors(PRESETS.default)[k]));
    for (const b of BRIGHTNESS) {
      const live = await wireOf(colors, b);
      const stale = await wireOf(colors, b, true);
      live.forEach((l, i) => {
        const lw = [l.r, l.g, l.b];
        const sw = [stale[i]!.r, stale[i]!.g, stale[i]!.b];
        if (lw.every((v) => v <= 1)) expect(sw).toEqual(lw);
        else expect(key(stale[i]!)).not.toBe(key(l));
        for (let ch = 0; ch < 3; ch++) {
          expect(sw[ch]!).toBeLessThanOrEqual(lw[ch]!);
          expect(sw[ch]! > 0).toBe(lw[ch]! > 0);
        }
      });
    }
  });

  it('a fade ends exactly on its target bytes; a brightness change alone rewrites the field', async () => {
    const p = pipeline(0.5, 400);
    p.setFrame(solid([255, 0, 0]), 0);
    await vi.advanceTimersByTimeAsync(1000);
    const red = frames().at(-1)!;
    p.setFrame(solid([0, 200, 0]), 0);
    await vi.advanceTimersByTimeAsync(100);
    const mid = frames().at(-1)!;
    await vi.advanceTimersByTimeAsync(1000);
    const all = frames();
    const end = all.at(-1)!;
    expect(mid[0]!.r).toBeGreaterThan(0);
    expect(mid[0]!.g).toBeGreaterThan(0);
    const target = (await import('../../src/effects/compose.js')).deviceColor([0, 200, 0], {
      brightness: 1,
      cap: 1,
      gamma: true,
    });
    expect(end.map((l) => [l.field, l.r, l.g, l.b])).toEqual(new Array(8).fill([15, ...target]));
    expect(red[0]).toMatchObject({ field: 15, r: 255, g: 0, b: 0 });
    const before = all.length;
    p.setBrightness(1);
    await vi.advanceTimersByTimeAsync(1000);
    const after = frames();
    expect(after.length).toBeGreaterThan(before);
    expect(after.at(-1)!.map((l) => [l.field, l.r, l.g, l.b])).toEqual(new Array(8).fill([31, ...target]));
    // The preview shows the light the board gives: 31/31 now.
    expect(p.view().brightness).toBe(1);
    await p.halt();
  });
});
