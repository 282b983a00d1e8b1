import { describe, expect, it } from 'vitest';
import { parseLayout, type NodesLayoutConfig } from '../../src/config/schema.js';
import { nodesPages, renderNodes } from '../../src/layout/nodes.js';
import { resolvePalette } from '../../src/layout/palette.js';
import type { LayoutContext } from '../../src/layout/types.js';
import { DEFAULT_LEGEND, art, blinkArt, node, snapshot } from './helpers.js';

const nodesLayout = (extra: Record<string, unknown> = {}) => parseLayout({ type: 'nodes', ...extra }) as NodesLayoutConfig;
const ctx = (extra: Partial<LayoutContext> = {}): LayoutContext => ({
  geometry: { width: 8, height: 1 },
  palette: resolvePalette({ preset: 'default', colors: {} }),
  page: 0,
  ...extra,
});

describe('nodes layout', () => {
  const s = snapshot([
    node('healthy', { running: 4, succeeded: 3 }),
    node('pending', { running: 4, pending: 1 }),
    node('crashing', { running: 4, pending: 1, crashing: 1 }),
    node('failed', { crashing: 1, failed: 1 }),
    node('not-ready', { running: 4, failed: 2 }, { ready: false }),
    node('ready-unknown', {}, { ready: null }),
    node('empty'),
    node('done', { succeeded: 5 }),
  ]);

  it('shows one LED per node in display order: notReady wins, else the most severe state, else off', () => {
    const frame = renderNodes(nodesLayout(), s, ctx());
    expect(frame.pages).toBe(1);
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['GAXXNN..']);
    expect(blinkArt(frame)).toEqual(['..*.....']);
  });

  it('counts only the configured states', () => {
    const frame = renderNodes(nodesLayout({ states: ['running', 'pending', 'succeeded'] }), s, ctx());
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['GAA.NN.S']);
    expect(frame.blink.every((b) => !b)).toBe(true);
  });

  it('fills a matrix in index order and leaves spare LEDs off', () => {
    const frame = renderNodes(
      nodesLayout(),
      snapshot([node('a', { running: 1 }), node('b', { terminating: 1 }), node('c', { unknown: 1 })]),
      ctx({ geometry: { width: 2, height: 2 } }),
    );
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['GB', 'U.']);
  });

  it('pages nodes beyond the LED count (page modulo pages)', () => {
    const many = snapshot(Array.from({ length: 10 }, (_, i) => node(`n${i}`, i < 8 ? { running: 1 } : { failed: 1 })));
    expect(nodesPages(10, { width: 8, height: 1 })).toBe(2);
    const p1 = renderNodes(nodesLayout(), many, ctx({ page: 1 }));
    expect(p1.pages).toBe(2);
    expect(art(p1, DEFAULT_LEGEND)).toEqual(['XX......']);
    expect(art(renderNodes(nodesLayout(), many, ctx({ page: 4 })), DEFAULT_LEGEND)).toEqual(['GGGGGGGG']);
  });
});

describe('nodes layout: the SPEC §4b severity order', () => {
  const alerts = (critical: number, warning = 0) => ({ critical, warning, info: 0 });
  // One node per rung of NODE_SEVERITY_ORDER (src/states.ts), from the top.
  const s = snapshot([
    node('not-ready', { failed: 1 }, { ready: false, alerts: alerts(1) }),
    node('critical', { failed: 1, running: 3 }, { alerts: alerts(1, 1), conditions: ['DiskPressure'] }),
    node('failed', { failed: 1, pending: 1 }, { alerts: alerts(0, 1) }),
    node('warning', { pending: 1, terminating: 1 }, { alerts: alerts(0, 1), conditions: ['DiskPressure'] }),
    node('pressure', { pending: 1, running: 5 }, { conditions: ['PIDPressure'] }),
    node('pending', { pending: 1, running: 5 }, { unschedulable: true }),
    node('running', { running: 5 }, { unschedulable: true }),
    node('cordoned', {}, { unschedulable: true }),
  ]);

  it('NotReady > critical alert > failed/crashing > warning > condition > milder pod states > running > cordoned', () => {
    const frame = renderNodes(nodesLayout(), s, ctx());
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['NKXWPAGC']);
    expect(blinkArt(frame)).toEqual(['.*......']);
  });

  it('pod states the layout does not list are skipped, the rest of the order stays', () => {
    const frame = renderNodes(nodesLayout({ states: ['running'] }), s, ctx());
    expect(art(frame, DEFAULT_LEGEND)).toEqual(['NKWWPGGC']);
  });
});
