import { describe, expect, it } from 'vitest';
import {
  parseLayout,
  type ClustersLayoutConfig,
  type MatrixLayoutConfig,
  type NodesLayoutConfig,
  type SummaryLayoutConfig,
} from '../../src/config/schema.js';
import { pageSlots } from '../../src/layout/clusterPages.js';
import { renderClusters } from '../../src/layout/clusters.js';
import { layoutPages } from '../../src/layout/index.js';
import { matrixBands, renderMatrix } from '../../src/layout/matrix.js';
import { renderNodes } from '../../src/layout/nodes.js';
import { resolvePalette } from '../../src/layout/palette.js';
import { renderSummary } from '../../src/layout/summary.js';
import type { LayoutContext } from '../../src/layout/types.js';
import { emptyAlerts, withClusters, type ClusterSnapshot, type NodeSnapshot, type Snapshot } from '../../src/snapshot.js';
import { emptyCounts, type StateCounts } from '../../src/states.js';
import { DEFAULT_LEGEND, art, blinkArt, node } from './helpers.js';

// Golden frames for several clusters on one light (SPEC §5 "Several clusters").
// The status colour marking a stale cluster is the default palette's amber (#ff9900, as `A`);
// blinkArt tells the mark from a pending pod.
const LEGEND = DEFAULT_LEGEND;
const ctx = (geometry: { width: number; height: number }, extra: Partial<LayoutContext> = {}): LayoutContext => ({
  geometry,
  palette: resolvePalette({ preset: 'default', colors: {} }),
  page: 0,
  ...extra,
});

function cluster(name: string, nodes: NodeSnapshot[], extra: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return { name, nodes, unscheduled: emptyCounts(), alerts: emptyAlerts(), dataAgeSeconds: 5, stale: false, ...extra };
}
function multi(...clusters: ClusterSnapshot[]): Snapshot {
  return withClusters({ time: '2026-11-21T12:00:00.000Z', alerts: emptyAlerts(), queries: {} }, clusters);
}
const nodes = (prefix: string, n: number, pods: Partial<StateCounts> = { running: 1 }) =>
  Array.from({ length: n }, (_, i) => node(`${prefix}-${i}`, pods));
/** Dim flags as art: `d` dims (stale cluster), `.` does not. */
const dimArt = (f: { width: number; height: number; stale?: boolean[] }) =>
  Array.from({ length: f.height }, (_, y) =>
    Array.from({ length: f.width }, (_, x) => (f.stale?.[y * f.width + x] ? 'd' : '.')).join(''),
  );

describe('status colour', () => {
  it('is amber in the default palette', () => {
    expect(resolvePalette({ preset: 'default', colors: {} }).colors.status).toEqual([0xff, 0x99, 0x00]);
  });
});

describe('clusters layout: one LED per cluster', () => {
  const layout = parseLayout({ type: 'clusters' }) as ClustersLayoutConfig;
  const strip = { width: 8, height: 1 };

  it('colours each cluster by the severity order over all its nodes, unscheduled pods and cluster-wide alerts', () => {
    const s = multi(
      cluster('home', [node('pi-1', { running: 3 }), node('pi-2', { running: 1, pending: 1 })]),
      cluster('cloud', [node('c-1', { running: 9 }), node('c-2', { running: 1 }, { ready: false })]),
      cluster('staging', [node('s-1', { running: 2, crashing: 1 }), node('s-2', { failed: 1 })]),
      cluster('lab', [node('l-1', { running: 1 })], { unscheduled: { ...emptyCounts(), pending: 2 } }),
      cluster('edge', [node('e-1', { running: 1 })], { alerts: { critical: 0, warning: 1, info: 0 } }),
      cluster('empty', [node('x-1')]),
    );
    const f = renderClusters(layout, s, ctx(strip));
    // notReady outranks the cloud's pods; failed outranks crashing; succeeded-only/empty is off.
    expect(art(f, LEGEND)).toEqual(['ANXAW...']);
    expect(f.stale).toBeUndefined();
    expect(f.pages).toBe(1);
  });

  it('a stale cluster shows the blinking status colour on its own LED only', () => {
    const s = multi(
      cluster('a', [node('a-1', { running: 1 })]),
      cluster('b', [node('b-1', { running: 1 })], { stale: true, dataAgeSeconds: 300 }),
      cluster('c', [node('c-1', { running: 1 })]),
    );
    const f = renderClusters(layout, s, ctx(strip));
    expect(art(f, LEGEND)).toEqual(['GAG.....']);
    expect(blinkArt(f)).toEqual(['.*......']);
  });

  it('pages clusters beyond the LED count', () => {
    const s = multi(
      ...Array.from({ length: 10 }, (_, i) => cluster(`k${i}`, [node(`n${i}`, i < 8 ? { running: 1 } : { failed: 1 })])),
    );
    expect(layoutPages(layout, s, strip)).toBe(2);
    expect(art(renderClusters(layout, s, ctx(strip, { page: 1 })), LEGEND)).toEqual(['XX......']);
  });
});

describe('matrix layout, cluster by cluster', () => {
  const layout = parseLayout({ type: 'matrix', columnsPerNode: 2 }) as MatrixLayoutConfig;
  const hat = { width: 8, height: 2 };

  it('lays bands cluster by cluster; a page holds whole clusters where they fit', () => {
    // Bands per page: 4. a (2) + b (1) fit page 0; c (3) does not fit the one band left: page 1; d (1) joins it.
    const s = multi(
      cluster('a', nodes('a', 2, { running: 1 })),
      cluster('b', nodes('b', 1, { pending: 1 })),
      cluster('c', nodes('c', 3, { failed: 1 })),
      cluster('d', nodes('d', 1, { unknown: 2 })),
    );
    expect(layoutPages(layout, s, hat)).toBe(2);
    const p0 = renderMatrix(layout, s, ctx(hat));
    expect(art(p0, LEGEND)).toEqual(['........', 'G.G.A...']);
    expect(matrixBands(layout, s, hat, 0).map((b) => `${b.cluster}/${b.node}@${b.x}`)).toEqual(['a/a-0@0', 'a/a-1@2', 'b/b-0@4']);
    const p1 = renderMatrix(layout, s, ctx(hat, { page: 1 }));
    expect(art(p1, LEGEND)).toEqual(['......U.', 'X.X.X.U.']);
    expect(matrixBands(layout, s, hat, 1).map((b) => `${b.cluster}/${b.node}`)).toEqual(['c/c-0', 'c/c-1', 'c/c-2', 'd/d-0']);
  });

  it('splits a cluster over pages only when it alone is bigger than a page', () => {
    const s = multi(
      cluster('a', nodes('a', 1)),
      cluster('big', nodes('big', 6, { pending: 1 })),
      cluster('z', nodes('z', 2, { failed: 1 })),
    );
    const pages = pageSlots(s, 4).map((p) => p.map((x) => x.node.name).join(' '));
    expect(pages).toEqual(['a-0', 'big-0 big-1 big-2 big-3', 'big-4 big-5 z-0 z-1']);
    expect(layoutPages(layout, s, hat)).toBe(3);
    expect(art(renderMatrix(layout, s, ctx(hat, { page: 2 })), LEGEND)).toEqual(['........', 'A.A.X.X.']);
  });

  it('a stale cluster dims its own bands and marks its last LED; the others stay live', () => {
    const s = multi(
      cluster('live', nodes('l', 2, { running: 2 })),
      cluster('old', nodes('o', 2, { running: 1 }), { stale: true, dataAgeSeconds: 120 }),
    );
    const f = renderMatrix(layout, s, ctx(hat));
    // Bottom-up bands: the last LED of the old cluster's last band is its top-right LED.
    expect(art(f, LEGEND)).toEqual(['G.G....A', 'G.G.G.G.']);
    expect(dimArt(f)).toEqual(['....ddd.', '....dddd']);
    expect(blinkArt(f)).toEqual(['.......*', '........']);
  });

  it('without clusters the frame has no stale flags (the existing frames unchanged)', () => {
    const s: Snapshot = { time: 't', nodes: nodes('n', 2), unscheduled: emptyCounts(), alerts: emptyAlerts(), queries: {} };
    expect(renderMatrix(layout, s, ctx(hat)).stale).toBeUndefined();
    expect(pageSlots(s, 4).map((p) => p.length)).toEqual([2]);
  });
});

describe('nodes layout, cluster by cluster', () => {
  const layout = parseLayout({ type: 'nodes' }) as NodesLayoutConfig;
  const stick = { width: 4, height: 1 };

  it('pages whole clusters, marks a stale one on its own LEDs', () => {
    const s = multi(
      cluster('a', nodes('a', 3, { running: 1 })),
      cluster('b', nodes('b', 2, { failed: 1 }), { stale: true, dataAgeSeconds: 99 }),
      cluster('c', nodes('c', 1, { pending: 1 })),
    );
    expect(layoutPages(layout, s, stick)).toBe(2);
    const p0 = renderNodes(layout, s, ctx(stick));
    expect(art(p0, LEGEND)).toEqual(['GGG.']);
    const p1 = renderNodes(layout, s, ctx(stick, { page: 1 }));
    expect(art(p1, LEGEND)).toEqual(['XAA.']);
    expect(dimArt(p1)).toEqual(['d...']);
    expect(blinkArt(p1)).toEqual(['.*..']);
  });
});

describe('summary layout with cluster:', () => {
  const s = multi(
    cluster('home', [node('pi-1', { running: 2 })]),
    cluster('cloud', [node('pi-1', { failed: 1 })], { alerts: { critical: 1, warning: 0, info: 0 } }),
  );
  const two = { width: 2, height: 1 };
  const summary = (extra: Record<string, unknown>) => parseLayout({ type: 'summary', ...extra }) as SummaryLayoutConfig;

  it('summarises a node of the named cluster (the same node name in another cluster does not count)', () => {
    expect(art(renderSummary(summary({ node: 'pi-1', cluster: 'home' }), s, ctx(two)), LEGEND)).toEqual(['GG']);
    expect(art(renderSummary(summary({ node: 'pi-1', cluster: 'cloud' }), s, ctx(two)), LEGEND)).toEqual(['.X']);
  });

  it('summarises a whole cluster with node "*", its cluster-wide alerts included', () => {
    const leds = [{ states: ['alert:critical'], otherwise: 'running' }];
    expect(art(renderSummary(summary({ node: '*', cluster: 'cloud', leds }), s, ctx({ width: 1, height: 1 })), LEGEND)).toEqual([
      'K',
    ]);
    expect(art(renderSummary(summary({ node: '*', cluster: 'home', leds }), s, ctx({ width: 1, height: 1 })), LEGEND)).toEqual([
      'G',
    ]);
    expect(art(renderSummary(summary({ node: '*', leds }), s, ctx({ width: 1, height: 1 })), LEGEND)).toEqual(['K']);
  });

  it('a cluster missing from the snapshot shows notReady; a stale one is marked', () => {
    expect(art(renderSummary(summary({ node: '*', cluster: 'gone' }), s, ctx(two)), LEGEND)).toEqual(['NN']);
    const stale = multi(cluster('home', [node('pi-1', { running: 2 })], { stale: true }));
    const f = renderSummary(summary({ node: '*', cluster: 'home' }), stale, ctx(two));
    expect(art(f, LEGEND)).toEqual(['GA']);
    expect(dimArt(f)).toEqual(['d.']);
  });
});
