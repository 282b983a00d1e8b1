import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { defaultLayout, parseLayout } from '../../src/config/schema.js';
import { layoutPageSeconds, layoutPages, renderLayout, resolvePalette } from '../../src/layout/index.js';
import { outputGeometry } from '../../src/output/geometry.js';
import { DEFAULT_LEGEND, art, node, snapshot } from './helpers.js';

const palette = resolvePalette({ preset: 'default', colors: {} });
const s = snapshot([
  node('pi-1', { running: 3, crashing: 1 }),
  node('pi-2', { pending: 2 }, { unschedulable: true }),
  node('pi-3', {}, { ready: false }),
]);

describe('renderLayout', () => {
  it('dispatches on the layout type', () => {
    const geometry = { width: 3, height: 1 };
    expect(art(renderLayout(parseLayout({ type: 'nodes' }), s, { geometry, palette, page: 0 }), DEFAULT_LEGEND)).toEqual(['XAN']);
    expect(art(renderLayout(parseLayout({ type: 'matrix' }), s, { geometry, palette, page: 0 }), DEFAULT_LEGEND)).toEqual([
      'OON',
    ]);
    expect(
      art(renderLayout(parseLayout({ type: 'summary', node: 'pi-1' }), s, { geometry, palette, page: 0 }), DEFAULT_LEGEND),
    ).toEqual(['GGX']); // the default two entries spread over three LEDs: 0–1 and 2
  });

  it('always returns width × height LEDs and blink flags', () => {
    for (const layout of [parseLayout({ type: 'matrix' }), parseLayout({ type: 'nodes' }), parseLayout({ type: 'summary' })]) {
      const f = renderLayout(layout, s, { geometry: { width: 5, height: 3 }, palette, page: 7, nodeName: 'pi-1' });
      expect(f.width).toBe(5);
      expect(f.height).toBe(3);
      expect(f.leds).toHaveLength(15);
      expect(f.blink).toHaveLength(15);
    }
  });

  it('is pure: the snapshot is not modified and the same input gives the same frame', () => {
    const copy = structuredClone(s);
    const layout = parseLayout({ type: 'matrix' });
    const a = renderLayout(layout, s, { geometry: { width: 8, height: 8 }, palette, page: 0 });
    const b = renderLayout(layout, s, { geometry: { width: 8, height: 8 }, palette, page: 0 });
    expect(a).toEqual(b);
    expect(s).toEqual(copy);
  });
});

describe('layoutPages', () => {
  const many = snapshot(Array.from({ length: 9 }, (_, i) => node(`n${i}`)));

  it('counts pages for matrix and nodes layouts, and 1 for a summary', () => {
    expect(layoutPages(parseLayout({ type: 'matrix', columnsPerNode: 2 }), many, { width: 8, height: 8 })).toBe(3);
    expect(layoutPages(parseLayout({ type: 'matrix' }), many, { width: 8, height: 8 })).toBe(2);
    expect(layoutPages(parseLayout({ type: 'nodes' }), many, { width: 8, height: 1 })).toBe(2);
    expect(layoutPages(parseLayout({ type: 'nodes' }), many, { width: 8, height: 8 })).toBe(1);
    expect(layoutPages(parseLayout({ type: 'summary' }), many, { width: 2, height: 1 })).toBe(1);
  });

  it('matches Frame.pages', () => {
    const layout = parseLayout({ type: 'matrix', columnsPerNode: 3 });
    const geometry = { width: 8, height: 4 };
    expect(renderLayout(layout, many, { geometry, palette, page: 0 }).pages).toBe(layoutPages(layout, many, geometry));
  });

  it('gives the page time: pageSeconds of a matrix, 10 s otherwise', () => {
    expect(layoutPageSeconds(parseLayout({ type: 'matrix', pageSeconds: 4 }))).toBe(4);
    expect(layoutPageSeconds(parseLayout({ type: 'nodes' }))).toBe(10);
  });
});

describe('logical frames', () => {
  it('do not depend on the output rotation (drivers map logical to physical)', () => {
    const frames = [0, 90, 180, 270].map((rotation) => {
      const config = parseConfig({ source: 'demo', outputs: [{ type: 'unicornhat', rotation }] }, { env: {} });
      const o = config.outputs[0]!;
      return renderLayout(o.layout ?? defaultLayout(o.type), s, { geometry: outputGeometry(o), palette, page: 0 });
    });
    for (const f of frames.slice(1)) expect(f).toEqual(frames[0]);
    // Logical (x, y): pi-1's band is columns 0-1, filled from the bottom row (y = 7) up;
    // columns 6-7 are left over.
    expect(art(frames[0]!, DEFAULT_LEGEND)).toEqual([
      ...Array<string>(4).fill('..CCNN..'),
      'X.CCNN..',
      'G.CCNN..',
      'G.ACNN..',
      'G.ACNN..',
    ]);
  });
});
