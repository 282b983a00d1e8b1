import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/color.js';
import { PALETTE_KEYS } from '../../src/config/schema.js';
import { resolvePalette } from '../../src/layout/palette.js';
import type { ResolvedPalette } from '../../src/layout/types.js';

const hexes = (p: ResolvedPalette) => Object.fromEntries(PALETTE_KEYS.map((k) => [k, toHex(p.colors[k])]));

describe('resolvePalette', () => {
  it('has the SPEC §5 default palette with crashing, critical alerts and broken queries blinking', () => {
    const p = resolvePalette({ preset: 'default', colors: {} });
    expect(hexes(p)).toEqual({
      running: '#00ff00', // green
      pending: '#ff9900', // amber
      terminating: '#0000ff', // blue
      crashing: '#ff0000', // red
      failed: '#ff0000', // red
      unknown: '#8000ff', // purple
      succeeded: '#303030', // dim white
      overflow: '#ffffff', // white
      notReady: '#400000', // dim red
      cordoned: '#402600', // dim amber
      status: '#ff9900', // amber
      // SPEC §4b
      alertCritical: '#ff0040', // red, blinking
      alertWarning: '#ffd000', // yellow
      alertInfo: '#0080ff', // light blue
      condition: '#003838', // dim teal: apart from cordoned's dim amber down to brightness 0.05
      queryError: '#ff00ff', // magenta, blinking
    });
    expect([...p.blink]).toEqual(['crashing', 'alertCritical', 'queryError']);
  });

  it('unicorn-classic: running green, pending blue, nothing else lit (but podglow status and a broken query), nothing blinks', () => {
    const p = resolvePalette({ preset: 'unicorn-classic', colors: {} });
    const lit = Object.entries(hexes(p)).filter(([, h]) => h !== '#000000');
    expect(lit).toEqual([
      ['pending', '#0000ff'],
      ['running', '#00ff00'],
      ['status', '#ff9900'],
      ['queryError', '#ff00ff'],
    ]);
    expect(p.blink.size).toBe(0);
  });

  it("blinkstick-classic: the original monitor's green, yellow, blue and red, at full scale", () => {
    const p = resolvePalette({ preset: 'blinkstick-classic', colors: {} });
    // PWM 50 (its red) is full scale; green 25 is half its light: inverse WS2812 curve, (0.5)^(1/2.8) × 255 = 199.
    expect(p.colors.running).toEqual([0, 199, 0]);
    expect(p.colors.pending).toEqual([255, 255, 0]);
    expect(p.colors.terminating).toEqual([0, 0, 255]);
    expect(p.colors.failed).toEqual([255, 0, 0]);
    expect(p.colors.crashing).toEqual([255, 0, 0]);
    // The original's dimness comes from the brightness setting now: at 50/255 a gamma-corrected
    // stick gets the original bytes back (test/output/deviceBytes.test.ts).
    expect(p.blink.size).toBe(0);
  });

  it('applies colour overrides and a blink list over a preset', () => {
    const p = resolvePalette({ preset: 'blinkstick-classic', colors: { running: '#00FF00' }, blink: ['failed', 'crashing'] });
    expect(p.colors.running).toEqual([0, 255, 0]);
    expect(p.colors.pending).toEqual([255, 255, 0]);
    expect([...p.blink].sort()).toEqual(['crashing', 'failed']);
  });

  it('merges an output palette over the global one', () => {
    const global = { preset: 'blinkstick-classic' as const, colors: { running: '#00aa00' }, blink: ['failed' as const] };
    const p = resolvePalette(global, { preset: 'default', colors: { pending: '#ffff00' } });
    expect(toHex(p.colors.running)).toBe('#00aa00');
    expect(toHex(p.colors.pending)).toBe('#ffff00');
    expect(toHex(p.colors.terminating)).toBe('#0000ff');
    expect([...p.blink]).toEqual(['failed']);
    const q = resolvePalette(global, { preset: 'default', colors: {}, blink: [] });
    expect(q.blink.size).toBe(0);
  });

  it('lets an output palette naming a preset start afresh from it', () => {
    const global = { preset: 'default' as const, colors: { running: '#00aa00' } };
    const p = resolvePalette(global, { preset: 'unicorn-classic', colors: { failed: '#ff0000' } });
    expect(toHex(p.colors.running)).toBe('#00ff00');
    expect(toHex(p.colors.pending)).toBe('#0000ff');
    expect(toHex(p.colors.failed)).toBe('#ff0000');
    expect(p.blink.size).toBe(0);
  });

  it('is the same with or without an absent override', () => {
    const g = { preset: 'default' as const, colors: { running: '#010203' } };
    expect(resolvePalette(g, undefined)).toEqual(resolvePalette(g));
  });
});
