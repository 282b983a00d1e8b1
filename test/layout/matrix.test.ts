import { describe, expect, it } from 'vitest';
import { parseLayout, type MatrixLayoutConfig } from '../../src/config/schema.js';
import { allocateBand, matrixPlan, renderMatrix } from '../../src/layout/matrix.js';
import { layoutPages } from '../../src/layout/index.js';
import { resolvePalette } from '../../src/layout/palette.js';
import type { LayoutContext } from '../../src/layout/types.js';
import { emptyCounts } from '../../src/states.js';
import { DEFAULT_LEGEND, art, blinkArt, node, snapshot } from './helpers.js';

const HAT = { width: 8, height: 8 };
const matrix = (extra: Record<string, unknown> = {}) => parseLayout({ type: 'matrix', ...extra }) as MatrixLayoutConfig;
const ctx = (extra: Partial<LayoutContext> = {}): LayoutContext => ({
  geometry: HAT,
  palette: resolvePalette({ preset: 'default', colors: {} }),
  page: 0,
  ...extra,
});

describe('matrix layout: the original Unicorn HAT monitor scene', () => {
  // Four workers, two columns (16 LEDs) each, running pods then pending pods, bottom-up.
  const scene = snapshot([
    node('pi-1', { running: 5, pending: 2 }),
    node('pi-2', { running: 9, pending: 1 }),
    node('pi-3'),
    node('pi-4', { running: 16 }),
  ]);
  const classic = resolvePalette({ preset: 'unicorn-classic', colors: {} });
  const expected = [
    // pi-1  pi-2  pi-3  pi-4
    '..' + 'G.' + '..' + 'GG',
    'b.' + 'G.' + '..' + 'GG',
    'b.' + 'G.' + '..' + 'GG',
    'G.' + 'G.' + '..' + 'GG',
    'G.' + 'G.' + '..' + 'GG',
    'G.' + 'G.' + '..' + 'GG',
    'G.' + 'Gb' + '..' + 'GG',
    'G.' + 'GG' + '..' + 'GG',
  ];

  it('draws running green then pending blue, two columns per node, with the unicorn-classic preset', () => {
    const frame = renderMatrix(matrix(), scene, ctx({ palette: classic }));
    expect(frame.leds).toHaveLength(64);
    expect(frame.pages).toBe(1);
    expect(art(frame, { '#00ff00': 'G', '#0000ff': 'b' })).toEqual(expected);
    expect(frame.blink.every((b) => !b)).toBe(true);
  });

  it('gives the same picture with columnsPerNode: 2 as with auto', () => {
    const auto = renderMatrix(matrix(), scene, ctx({ palette: classic }));
    const two = renderMatrix(matrix({ columnsPerNode: 2 }), scene, ctx({ palette: classic }));
    expect(two).toEqual(auto);
  });

  it('uses the default palette colours (pending amber)', () => {
    const frame = renderMatrix(matrix(), scene, ctx());
    expect(art(frame, DEFAULT_LEGEND)).toEqual(expected.map((r) => r.replaceAll('b', 'A')));
  });

  it('leaves dark in unicorn-classic what the original did not show', () => {
    const frame = renderMatrix(
      matrix(),
      snapshot([node('pi-1', { running: 2, crashing: 1, pending: 1 })]),
      ctx({
        palette: classic,
        geometry: { width: 2, height: 4 },
      }),
    );
    // Fill order running, pending, terminating, unknown, crashing: the crashing pod is dark.
    expect(art(frame, { '#00ff00': 'G', '#0000ff': 'b' })).toEqual(['..', 'b.', 'G.', 'G.']);
    expect(frame.blink.every((b) => !b)).toBe(true);
  });
});

describe('matrix layout: fill order and origin', () => {
  const one = snapshot([
    node('n1', { running: 3, pending: 2, terminating: 1, unknown: 1, crashing: 1, failed: 1, succeeded: 4 }),
  ]);
  const small = { width: 3, height: 4 };

  it('origin bottom fills each column bottom-up, left column first, in fillOrder; succeeded hidden', () => {
    const frame = renderMatrix(matrix({ columnsPerNode: 3 }), one, ctx({ geometry: small }));
    expect(art(frame, DEFAULT_LEGEND)).toEqual([
      'AX.', // crashing (blinks) then failed continue in the next columns
      'GU.',
      'GB.',
      'GAX',
    ]);
    expect(blinkArt(frame)).toEqual(['.*.', '...', '...', '...']);
  });

  it('origin top fills each column top-down', () => {
    const frame = renderMatrix(matrix({ columnsPerNode: 3, origin: 'top' }), one, ctx({ geometry: small }));
    expect(art(frame, DEFAULT_LEGEND)).toEqual([
      'GAX', //
      'GB.',
      'GU.',
      'AX.',
    ]);
    expect(blinkArt(frame)).toEqual(['...', '...', '...', '.*.']);
  });

  it('follows a custom fillOrder and shows succeeded when listed', () => {
    const frame = renderMatrix(
      matrix({ columnsPerNode: 3, fillOrder: ['failed', 'succeeded', 'running'] }),
      one,
      ctx({ geometry: small }),
    );
    expect(art(frame, DEFAULT_LEGEND)).toEqual([
      'SG.', //
      'SG.',
      'SG.',
      'XS.',
    ]);
  });
});

describe('matrix layout: overflow', () => {
  it('keeps an alarm beyond capacity visible: severity first, then fill order, last LED overflow', () => {
    // 22 pods in 16 LEDs: failed and crashing (at the end of the fill order) still get LEDs.
    const s = snapshot([node('n1', { running: 20, crashing: 1, failed: 1 }), node('n2'), node('n3'), node('n4')]);
    const frame = renderMatrix(matrix(), s, ctx());
    expect(art(frame, DEFAULT_LEGEND)).toEqual([
      'GO......',
      'GX......',
      'GX......',
      'GG......',
      'GG......',
      'GG......',
      'GG......',
      'GG......',
    ]);
    // Crashing blinks (row 2), failed does not (row 1), the marker does not.
    expect(blinkArt(frame)[2]).toBe('.*......');
    expect(blinkArt(frame)[1]).toBe('........');
    expect(blinkArt(frame)[0]).toBe('........');
  });

  it('fills the band with alarms when there are more alarms than LEDs', () => {
    const s = snapshot([node('n1', { running: 5, pending: 3, failed: 30 })]);
    const frame = renderMatrix(matrix({ columnsPerNode: 1 }), s, ctx({ geometry: { width: 1, height: 4 } }));
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['O', 'X', 'X', 'X']);
  });

  it('shows exactly full bands without a marker', () => {
    const s = snapshot([node('n1', { running: 3, pending: 1 })]);
    const frame = renderMatrix(matrix(), s, ctx({ geometry: { width: 1, height: 4 } }));
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['A', 'G', 'G', 'G']);
  });

  it('gives the overflow LEDs by severity, then lays them out in fill order', () => {
    const pods = { ...emptyCounts(), running: 10, pending: 4, terminating: 2, unknown: 1, crashing: 1, failed: 1 };
    const { runs, overflow } = allocateBand(pods, ['running', 'pending', 'terminating', 'unknown', 'crashing', 'failed'], 8);
    expect(overflow).toBe(true);
    // 7 LEDs: failed 1, crashing 1, terminating 2, unknown 1, pending 2, running 0.
    expect(runs).toEqual([
      ['running', 0],
      ['pending', 2],
      ['terminating', 2],
      ['unknown', 1],
      ['crashing', 1],
      ['failed', 1],
    ]);
  });

  it('does not count hidden states towards overflow', () => {
    const pods = { ...emptyCounts(), running: 4, succeeded: 50 };
    expect(allocateBand(pods, ['running', 'pending'], 4)).toEqual({
      runs: [
        ['running', 4],
        ['pending', 0],
      ],
      overflow: false,
    });
  });
});

describe('matrix layout: node background', () => {
  const geometry = { width: 8, height: 2 };
  const s = snapshot([
    node('ready', { running: 1 }),
    node('not-ready', { running: 1 }, { ready: false }),
    node('unknown', {}, { ready: null }),
    node('cordoned', { running: 1 }, { unschedulable: true }),
  ]);

  it('shows notReady behind a NotReady or unknown node, cordoned behind a cordoned node, else off', () => {
    const frame = renderMatrix(matrix(), s, ctx({ geometry }));
    expect(art(frame, DEFAULT_LEGEND)).toEqual([
      '..NNNNCC', //
      'G.GNNNGC',
    ]);
    expect(frame.blink.every((b) => !b)).toBe(true);
  });

  it('lets notReady win over cordoned', () => {
    const both = snapshot([node('drained', {}, { ready: false, unschedulable: true })]);
    const frame = renderMatrix(matrix({ columnsPerNode: 1 }), both, ctx({ geometry: { width: 1, height: 2 } }));
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['N', 'N']);
  });

  it('shows the overflow marker on a NotReady node too', () => {
    const full = snapshot([node('n', { running: 5 }, { ready: false })]);
    const frame = renderMatrix(matrix(), full, ctx({ geometry: { width: 1, height: 4 } }));
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['O', 'G', 'G', 'G']);
  });
});

describe('matrix layout: paging and leftover columns', () => {
  const nodes = (n: number) => Array.from({ length: n }, (_, i) => node(`node-${i + 1}`, { running: i + 1 }));

  it('pages nodes when they exceed the bands; page is taken modulo the page count', () => {
    const s = snapshot(nodes(5));
    const layout = matrix({ columnsPerNode: 2 });
    const geometry = { width: 8, height: 3 };
    const p0 = renderMatrix(layout, s, ctx({ geometry, page: 0 }));
    const p1 = renderMatrix(layout, s, ctx({ geometry, page: 1 }));
    expect(p0.pages).toBe(2);
    expect(p1.pages).toBe(2);
    expect(art(p0, DEFAULT_LEGEND)).toEqual([
      '....G.G.', //
      '..G.G.G.',
      'G.G.G.GG',
    ]);
    expect(art(p1, DEFAULT_LEGEND)).toEqual([
      'G.......', // node-5: five pods, bottom-up
      'GG......',
      'GG......',
    ]);
    expect(renderMatrix(layout, s, ctx({ geometry, page: 2 }))).toEqual(p0);
    expect(renderMatrix(layout, s, ctx({ geometry, page: -1 }))).toEqual(p1);
  });

  it('auto gives one column per node when nodes outnumber columns, and pages the rest', () => {
    const s = snapshot(nodes(10));
    const frame = renderMatrix(matrix(), s, ctx({ geometry: { width: 8, height: 1 }, page: 1 }));
    expect(frame.pages).toBe(2);
    // node-9 and node-10 (9 and 10 running pods on one LED each: overflow marker).
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['OO......']);
  });

  it('leaves leftover columns off, even behind NotReady nodes', () => {
    const s = snapshot([node('a', {}, { ready: false }), node('b', {}, { ready: false }), node('c', {}, { ready: false })]);
    const frame = renderMatrix(matrix(), s, ctx({ geometry: { width: 8, height: 2 } }));
    expect(matrixPlan(matrix(), 3, { width: 8, height: 2 })).toEqual({ columnsPerNode: 2, bandsPerPage: 4, pages: 1 });
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['NNNNNN..', 'NNNNNN..']);
  });

  it('leaves the columns after the last band off when the width is not a multiple of columnsPerNode', () => {
    const s = snapshot([node('a', {}, { ready: false }), node('b', {}, { ready: false }), node('c', {}, { ready: false })]);
    const frame = renderMatrix(matrix({ columnsPerNode: 3 }), s, ctx({ geometry: { width: 8, height: 1 } }));
    expect(frame.pages).toBe(2);
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['NNNNNN..']);
  });

  it('clamps columnsPerNode to the width', () => {
    expect(matrixPlan(matrix({ columnsPerNode: 12 }), 2, { width: 8, height: 8 })).toEqual({
      columnsPerNode: 8,
      bandsPerPage: 1,
      pages: 2,
    });
  });

  it('draws nothing (and one page) for a cluster without nodes', () => {
    const frame = renderMatrix(matrix(), snapshot([]), ctx());
    expect(frame.pages).toBe(1);
    expect(frame.leds.every((c) => c.every((v) => v === 0))).toBe(true);
  });
});

describe('matrix layout: alerts and conditions behind the pods (SPEC §4b severity order)', () => {
  const alerts = (critical: number, warning = 0, info = 0) => ({ critical, warning, info });
  const s = snapshot([
    node('critical', { running: 1 }, { alerts: alerts(1, 3) }),
    node('warning', { running: 1, failed: 1 }, { alerts: alerts(0, 1), conditions: ['DiskPressure'] }),
    node('pressure', { running: 2 }, { conditions: ['MemoryPressure'], unschedulable: true }),
    node('info-only', { running: 1 }, { alerts: alerts(0, 0, 4) }),
    node('down', {}, { ready: false, alerts: alerts(2), conditions: ['DiskPressure'] }),
    node('cordoned', {}, { unschedulable: true }),
  ]);

  it('a band background: NotReady, then critical alert (blinking), warning, condition, cordoned; info alerts do not colour it', () => {
    const frame = renderMatrix(matrix({ columnsPerNode: 1 }), s, ctx({ geometry: { width: 8, height: 4 } }));
    expect(art(frame, DEFAULT_LEGEND)).toEqual([
      'KWP.NC..', //
      'KWP.NC..',
      'KXG.NC..',
      'GGGGNC..',
    ]);
    expect(blinkArt(frame)).toEqual(['*.......', '*.......', '*.......', '........']);
  });

  it('unicorn-classic shows none of it, as the original did not', () => {
    const classic = resolvePalette({ preset: 'unicorn-classic', colors: {} });
    const frame = renderMatrix(matrix({ columnsPerNode: 1 }), s, ctx({ geometry: { width: 8, height: 4 }, palette: classic }));
    expect(art(frame, { '#00ff00': 'G' })).toEqual(['........', '........', '..G.....', 'GGGG....']);
    expect(frame.blink.every((b) => !b)).toBe(true);
  });
});

describe('matrix layout: one node only (`node:`), as on a Pi showing its own pods', () => {
  const STRIP = { width: 8, height: 1 };
  const scene = snapshot([node('pi-1', { running: 2 }), node('pi-2', { pending: 3 }), node('pi-3', { failed: 1 })]);

  it('a node name gives that node the whole output; `$NODE_NAME` takes the NODE_NAME node', () => {
    expect(art(renderMatrix(matrix({ node: 'pi-2' }), scene, ctx({ geometry: STRIP })), DEFAULT_LEGEND)).toEqual(['AAA.....']);
    expect(
      art(renderMatrix(matrix({ node: '$NODE_NAME' }), scene, ctx({ geometry: STRIP, nodeName: 'pi-3' })), DEFAULT_LEGEND),
    ).toEqual(['X.......']);
    // On an 8×8 the band is all eight columns: two pods fill column 0 from the bottom up.
    expect(art(renderMatrix(matrix({ node: 'pi-1' }), scene, ctx()), DEFAULT_LEGEND).slice(-3)).toEqual([
      '........',
      'G.......',
      'G.......',
    ]);
    const wide = snapshot([node('pi-1', { running: 10 }), node('pi-2')]);
    expect(art(renderMatrix(matrix({ node: 'pi-1' }), wide, ctx()), DEFAULT_LEGEND).slice(-2)).toEqual(['GG......', 'GG......']);
  });

  it('a node not in the snapshot (or no NODE_NAME) shows nothing, and one node never pages', () => {
    expect(art(renderMatrix(matrix({ node: 'pi-9' }), scene, ctx({ geometry: STRIP })), DEFAULT_LEGEND)).toEqual(['........']);
    expect(art(renderMatrix(matrix({ node: '$NODE_NAME' }), scene, ctx({ geometry: STRIP })), DEFAULT_LEGEND)).toEqual([
      '........',
    ]);
    const many = snapshot(Array.from({ length: 20 }, (_, i) => node(`n${i}`, { running: 1 })));
    expect(layoutPages(matrix({ node: 'n3' }), many, STRIP)).toBe(1);
    expect(layoutPages(matrix(), many, STRIP)).toBeGreaterThan(1);
  });
});
