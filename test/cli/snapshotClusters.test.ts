// The snapshot with clusters (SPEC §3c, docs/clusters.md): `snapshot --json` prints one block
// per cluster, and `frame --snapshot` reads it back (the documented example too).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSnapshot } from '../../src/cli/frame.js';
import { formatTable, snapshotJson } from '../../src/cli/snapshot.js';
import { emptyAlerts, withClusters } from '../../src/snapshot.js';
import { emptyCounts } from '../../src/states.js';

const n = (name: string, running: number) => ({
  name,
  ready: true,
  unschedulable: false,
  pods: { ...emptyCounts(), running },
  conditions: [],
  alerts: emptyAlerts(),
});
const SNAP = withClusters({ time: '2026-11-21T12:00:00.000Z', alerts: { critical: 0, warning: 0, info: 1 }, queries: {} }, [
  {
    name: 'home',
    displayName: 'Pis',
    nodes: [n('pi-1', 2), n('pi-2', 1)],
    unscheduled: emptyCounts(),
    alerts: emptyAlerts(),
    dataAgeSeconds: 3,
    stale: false,
  },
  {
    name: 'cloud',
    nodes: [n('pi-1', 4)],
    unscheduled: { ...emptyCounts(), pending: 1 },
    alerts: { critical: 1, warning: 0, info: 0 },
    dataAgeSeconds: 400,
    stale: true,
  },
]);

describe('snapshot with clusters', () => {
  it('--json prints {time, clusters, alerts, queries}, each node once, and reads back into the same Snapshot', () => {
    const doc = JSON.parse(snapshotJson(SNAP)) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['time', 'clusters', 'alerts', 'queries']);
    expect((doc.clusters as { name: string; nodes: unknown[] }[]).map((c) => [c.name, c.nodes.length])).toEqual([
      ['home', 2],
      ['cloud', 1],
    ]);
    expect(parseSnapshot(doc, 'test')).toEqual(SNAP);
  });

  it('the table has one section per cluster, with data age and staleness', () => {
    const t = formatTable(SNAP);
    expect(t).toContain('== cluster Pis (home): data 3s old\nNODE');
    expect(t).toContain('== cluster cloud: data 400s old, STALE\nNODE');
    expect(t).toContain('alerts without a cluster label: 0 critical, 0 warning, 1 info');
  });

  it('a file with a duplicate cluster or a bad block is refused with the path', () => {
    const doc = JSON.parse(snapshotJson(SNAP)) as { clusters: { name: string; stale: unknown }[] };
    doc.clusters[1]!.name = 'home';
    doc.clusters[0]!.stale = 'no';
    expect(() => parseSnapshot(doc, 'f.json')).toThrow(
      /clusters\[0\]\.stale: must be true or false[\s\S]*clusters\[1\]\.name: duplicate cluster "home"|clusters\[0\]\.stale: must be true or false/,
    );
  });

  it('the example in docs/clusters.md is a valid snapshot with clusters', () => {
    const text = readFileSync('docs/clusters.md', 'utf8');
    const json = /```json\n([\s\S]*?)```/.exec(text)![1]!;
    const s = parseSnapshot(JSON.parse(json), 'docs/clusters.md');
    expect(s.clusters!.map((c) => [c.name, c.stale, c.dataAgeSeconds])).toEqual([
      ['home', false, 4],
      ['cloud', true, 312],
    ]);
  });
});
