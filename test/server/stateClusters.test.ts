// /api/state and the SSE snapshot event with clusters: (SPEC §3c, §9): the per-cluster JSON contract.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { previewContext, stateBody } from '../../src/server/state.js';
import { emptyAlerts, withClusters } from '../../src/snapshot.js';
import { emptyCounts } from '../../src/states.js';
import { FakeStatusView, node, outputView } from '../fakes/fakeStatusView.js';

describe('/api/state with clusters', () => {
  it('carries one block per cluster (each node once, no flat list) and cluster names in the labels', () => {
    const config = parseConfig(
      {
        source: 'demo',
        clusters: ['home', 'cloud'],
        outputs: [{ name: 'strip', type: 'web', width: 4, height: 1, layout: { type: 'nodes' } }],
      },
      { env: {} },
    );
    const view = new FakeStatusView([outputView('strip', 'web', 4, 1)]);
    const block = (name: string) => ({
      name,
      nodes: [node('pi-1', { running: 1 })],
      unscheduled: emptyCounts(),
      alerts: emptyAlerts(),
      dataAgeSeconds: 2,
      stale: false,
    });
    view.good(
      withClusters({ time: '2026-11-21T12:00:00.000Z', alerts: emptyAlerts(), queries: {} }, [block('home'), block('cloud')]),
    );
    const body = stateBody(view, previewContext(config));
    expect(Object.keys(body.snapshot!)).toEqual(['time', 'clusters', 'alerts', 'queries']);
    expect(body.outputs[0]!.ledNodes).toEqual([
      { node: 'pi-1', index: 0, cluster: 'home' },
      { node: 'pi-1', index: 1, cluster: 'cloud' },
    ]);
    // The SSE snapshot event sends the same contract (src/server/events.ts uses snapshotContract too).
    expect(JSON.parse(JSON.stringify(body.snapshot))).toMatchObject({ clusters: [{ name: 'home' }, { name: 'cloud' }] });
  });
});
