// The terminal output names clusters (with clusters:).
import { describe, expect, it } from 'vitest';

describe('terminal output with clusters', () => {
  it('names each cluster and its staleness (clusterLine); nothing without clusters', async () => {
    const { clusterLine } = await import('../../src/output/terminal.js');
    const { withClusters, emptyAlerts } = await import('../../src/snapshot.js');
    const { emptyCounts } = await import('../../src/states.js');
    const block = (name: string, extra: object) => ({
      name,
      nodes: [],
      unscheduled: emptyCounts(),
      alerts: emptyAlerts(),
      dataAgeSeconds: 1,
      stale: false,
      ...extra,
    });
    const s = withClusters({ time: 't', alerts: emptyAlerts(), queries: {} }, [
      block('home', { displayName: 'Pis' }),
      block('cloud', { stale: true, dataAgeSeconds: 45 }),
      block('lab\u001b[2J', { stale: true, dataAgeSeconds: null }),
    ]);
    expect(clusterLine(s)).toBe('clusters: Pis live · cloud STALE (data 45s old) · lab?[2J STALE (no data)');
    expect(clusterLine({ time: 't', nodes: [], unscheduled: emptyCounts(), alerts: emptyAlerts(), queries: {} })).toBeNull();
    expect(clusterLine(null)).toBeNull();
  });
});
