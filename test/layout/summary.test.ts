import { describe, expect, it } from 'vitest';
import { parseLayout, type SummaryLayoutConfig } from '../../src/config/schema.js';
import { resolvePalette } from '../../src/layout/palette.js';
import { renderSummary, summaryCounts } from '../../src/layout/summary.js';
import type { LayoutContext } from '../../src/layout/types.js';
import type { StateCounts } from '../../src/states.js';
import { DEFAULT_LEGEND, art, blinkArt, node, snapshot } from './helpers.js';

const summary = (extra: Record<string, unknown> = {}) => parseLayout({ type: 'summary', ...extra }) as SummaryLayoutConfig;
const NANO = { width: 2, height: 1 };
const classic = resolvePalette({ preset: 'blinkstick-classic', colors: {} });
// The original BlinkStick monitor's colours (green 0,25,0; yellow 50,50,0; blue 0,0,50; red 50,0,0 in
// PWM) as full-brightness screen colours (src/layout/palette.ts, pwmFullScale); the device bytes are
// pinned in test/output/deviceBytes.test.ts.
const CLASSIC_LEGEND = { '#00c700': 'g', '#ffff00': 'y', '#0000ff': 'b', '#ff0000': 'r' };

function nano(pods: Partial<StateCounts>, palette = classic): { leds: string; blink: string } {
  const ctx: LayoutContext = { geometry: NANO, palette, page: 0, nodeName: 'pi-2' };
  const frame = renderSummary(summary(), snapshot([node('pi-1', { failed: 9 }), node('pi-2', pods)]), ctx);
  expect(frame.leds).toHaveLength(2);
  expect(frame.pages).toBe(1);
  return { leds: art(frame, CLASSIC_LEGEND)[0]!, blink: blinkArt(frame)[0]! };
}

describe('summary layout: the original BlinkStick monitor on two LEDs (SPEC §5)', () => {
  // LED 0 = [running, terminating, pending] else off; LED 1 = [failed, crashing, terminating, pending] else running.
  it.each([
    ['running pods: both green', { running: 3 }, 'gg'],
    ['running and failed: green over red', { running: 3, failed: 1 }, 'gr'],
    ['running and crashing: green over red', { running: 3, crashing: 1 }, 'gr'],
    ['running and terminating: green over blue', { running: 3, terminating: 1 }, 'gb'],
    ['running and pending: green over yellow', { running: 3, pending: 2 }, 'gy'],
    ['failed beats terminating and pending on LED 1', { running: 1, failed: 1, terminating: 1, pending: 1 }, 'gr'],
    ['crashing beats terminating on LED 1', { running: 1, crashing: 1, terminating: 1 }, 'gr'],
    ['terminating beats pending on LED 1', { running: 1, terminating: 1, pending: 1 }, 'gb'],
    ['only terminating: both blue', { terminating: 2 }, 'bb'],
    ['only pending: both yellow', { pending: 2 }, 'yy'],
    ['terminating and pending: both blue', { terminating: 1, pending: 1 }, 'bb'],
    ['only failed: LED 0 off, LED 1 red', { failed: 1 }, '.r'],
    ['nothing: LED 0 off, LED 1 the running colour', {}, '.g'],
    ['succeeded and unknown pods are not listed: as nothing', { succeeded: 4, unknown: 1 }, '.g'],
  ])('%s', (_name, pods, expected) => {
    expect(nano(pods).leds).toBe(expected);
  });

  it('blinks only an LED that shows a blinking state (crashing by default)', () => {
    const palette = resolvePalette({ preset: 'default', colors: {} });
    const ctx: LayoutContext = { geometry: NANO, palette, page: 0, nodeName: 'pi-2' };
    const frame = renderSummary(summary(), snapshot([node('pi-2', { running: 1, crashing: 1 })]), ctx);
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['GX']);
    expect(blinkArt(frame)).toEqual(['.*']);
    // The otherwise colour is a fallback, never a pod: it does not blink.
    const blinking = resolvePalette({ preset: 'default', colors: {}, blink: ['running'] });
    const idle = renderSummary(summary(), snapshot([node('pi-2')]), { ...ctx, palette: blinking });
    expect(blinkArt(idle)).toEqual(['..']);
  });
});

describe('summary layout: node selection', () => {
  const s = snapshot([node('pi-1', { running: 2 }), node('pi-2', { failed: 1 })], { pending: 3 });
  const palette = resolvePalette({ preset: 'default', colors: {} });

  it('uses layout.node before the NODE_NAME fallback', () => {
    const frame = renderSummary(summary({ node: 'pi-2' }), s, { geometry: NANO, palette, page: 0, nodeName: 'pi-1' });
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['.X']);
    const fallback = renderSummary(summary(), s, { geometry: NANO, palette, page: 0, nodeName: 'pi-1' });
    expect(art(fallback, DEFAULT_LEGEND)).toEqual(['GG']);
  });

  it('sums every node and the unscheduled pods for "*"', () => {
    expect(summaryCounts(s, '*')).toMatchObject({ running: 2, failed: 1, pending: 3 });
    const frame = renderSummary(summary({ node: '*' }), s, { geometry: NANO, palette, page: 0 });
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['GX']);
    const onlyUnscheduled = snapshot([node('pi-1')], { pending: 1 });
    const f2 = renderSummary(summary({ node: '*' }), onlyUnscheduled, { geometry: NANO, palette, page: 0 });
    expect(art(f2, DEFAULT_LEGEND)).toEqual(['AA']);
  });

  it('lights the listed LEDs in the notReady colour when the node is not in the snapshot or none is set', () => {
    for (const nodeName of ['pi-9', undefined]) {
      const frame = renderSummary(summary(), s, { geometry: NANO, palette, page: 0, nodeName });
      expect(art(frame, DEFAULT_LEGEND)).toEqual(['NN']);
      expect(frame.blink).toEqual([false, false]);
    }
  });
});

describe('summary layout: custom LEDs', () => {
  const palette = resolvePalette({ preset: 'default', colors: {} });
  const layout = summary({
    node: '*',
    leds: [
      { states: ['failed', 'crashing'], otherwise: '#00ff00' },
      { states: ['pending'], otherwise: 'terminating' },
      { states: ['unknown'] },
    ],
  });

  it('shows the first state with a pod, else the otherwise colour (#hex, a state colour, or off)', () => {
    const quiet = renderSummary(layout, snapshot([node('a', { running: 1 })]), {
      geometry: { width: 3, height: 1 },
      palette,
      page: 0,
    });
    expect(art(quiet, DEFAULT_LEGEND)).toEqual(['GB.']);
    const busy = renderSummary(layout, snapshot([node('a', { crashing: 1, pending: 1, unknown: 1 })]), {
      geometry: { width: 3, height: 1 },
      palette,
      page: 0,
    });
    expect(art(busy, DEFAULT_LEGEND)).toEqual(['XAU']);
    expect(blinkArt(busy)).toEqual(['*..']);
  });

  it('spreads a short list over every LED in equal groups and drops list entries beyond the LEDs', () => {
    // Issue 11: a BlinkStick Strip (8 LEDs) with the default two entries lit only 2 of them.
    const wide = renderSummary(layout, snapshot([node('a')]), { geometry: { width: 8, height: 1 }, palette, page: 0 });
    // Three entries over 8 LEDs: 0–2, 3–5, 6–7 (the third entry's LEDs are off: no unknown pod).
    expect(art(wide, DEFAULT_LEGEND)).toEqual(['GGGBBB..']);
    const two = renderSummary(summary({ node: '*', leds: layout.leds.slice(0, 2) }), snapshot([node('a')]), {
      geometry: { width: 8, height: 1 },
      palette,
      page: 0,
    });
    expect(art(two, DEFAULT_LEGEND)).toEqual(['GGGGBBBB']);
    const narrow = renderSummary(layout, snapshot([node('a')]), { geometry: { width: 1, height: 1 }, palette, page: 0 });
    expect(art(narrow, DEFAULT_LEGEND)).toEqual(['G']);
  });
});

describe('summary layout: alert, condition and query entries (SPEC §4b)', () => {
  const palette = resolvePalette({ preset: 'default', colors: {} });
  const s = snapshot(
    [
      node('pi-1', { running: 2 }, { alerts: { critical: 0, warning: 1, info: 0 }, conditions: ['DiskPressure'] }),
      node('pi-2', { running: 1 }, { alerts: { critical: 1, warning: 0, info: 0 } }),
    ],
    {},
    {
      alerts: { critical: 0, warning: 0, info: 1 },
      queries: {
        slo: { value: 0.9995, color: '#00ff00' },
        low: { value: 0.2 },
        broken: { value: null, error: 'query broken: returned 3 series; it must return one number' },
      },
    },
  );
  const leds = [
    { states: ['alert:critical'], otherwise: 'off' },
    { states: ['alert:warning'], otherwise: 'off' },
    { states: ['alert:info'], otherwise: 'off' },
    { states: ['condition:DiskPressure'], otherwise: 'running' },
    { states: ['query:slo'], otherwise: 'off' },
    { states: ['query:low'], otherwise: '#0000ff' },
    { states: ['query:broken', 'running'], otherwise: 'off' },
    { states: ['query:missing'], otherwise: 'off' },
  ];
  const render = (node: string) =>
    renderSummary(summary({ node, leds }), s, { geometry: { width: 8, height: 1 }, palette, page: 0 });

  it('one node: its alerts plus the cluster-wide ones, its conditions, the queries', () => {
    const frame = render('pi-1');
    // A query below every threshold falls through to otherwise; a broken or absent one shows queryError, blinking.
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['.WIPGBEE']);
    expect(blinkArt(frame)).toEqual(['......**']);
    expect(art(render('pi-2'), DEFAULT_LEGEND)).toEqual(['K.IGGBEE']);
  });

  it('the whole cluster: every node and the cluster-wide alerts', () => {
    const frame = render('*');
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['KWIPGBEE']);
    expect(blinkArt(frame)).toEqual(['*.....**']);
  });

  it('blinkstick-classic keeps the dim look for alerts and conditions', () => {
    const frame = renderSummary(summary({ node: '*', leds: leds.slice(0, 4) }), s, {
      geometry: { width: 4, height: 1 },
      palette: classic,
      page: 0,
    });
    // The preset's PWM values (50,0,0), (50,50,0), (0,0,50), (60,20,0) as full-brightness screen
    // colours (pwmFullScale 50): brightness 50/255 on a Nano sends the original's bytes again.
    expect(art(frame, { '#ff0000': 'r', '#ffff00': 'y', '#0000ff': 'b', '#ffb800': 'o' })).toEqual(['rybo']);
    expect(frame.blink.every((b) => !b)).toBe(true);
  });
});
