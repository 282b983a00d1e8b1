// The demo with several clusters (podglow demo --clusters 3): one block per simulated cluster;
// the last one stops sending during DEMO_OUTAGE, goes stale on its own and comes back.
import { describe, expect, it } from 'vitest';
import { demoClustersConfig, demoConfig } from '../../src/cli/demo.js';
import { parseConfig } from '../../src/config/load.js';
import { DEMO_OUTAGE, DemoSource, demoClusterNames } from '../../src/source/demo.js';

describe('demo --clusters', () => {
  const raw = demoConfig({ address: '127.0.0.1', port: 0 });
  const config = parseConfig({ ...raw, ...demoClustersConfig(3, raw) }, { env: {} });

  it('configures three named clusters and a one-LED-per-cluster output', () => {
    expect(config.clusters).toEqual([{ name: 'home' }, { name: 'cloud' }, { name: 'lab' }]);
    expect(config.outputs.at(-1)).toMatchObject({
      name: 'clusters',
      type: 'web',
      width: 8,
      height: 1,
      layout: { type: 'clusters' },
    });
    expect(demoClusterNames(10).slice(7)).toEqual(['attic', 'cluster-9', 'cluster-10']);
  });

  it('the last cluster goes stale alone during the outage and recovers after it', async () => {
    let now = 0;
    const source = new DemoSource(config, { now: () => now });
    const at = async (tick: number) => {
      now = tick * 1000;
      return source.poll();
    };
    // interval 2s → staleAfter 6s.
    const before = await at(DEMO_OUTAGE.from - 1);
    expect(before.clusters!.map((c) => [c.name, c.stale, c.dataAgeSeconds])).toEqual([
      ['home', false, 0],
      ['cloud', false, 0],
      ['lab', false, 0],
    ]);
    expect(before.nodes).toHaveLength(12);
    const early = await at(DEMO_OUTAGE.from + 5);
    expect(early.clusters!.map((c) => [c.name, c.stale])).toEqual([
      ['home', false],
      ['cloud', false],
      ['lab', false],
    ]);
    const late = await at(DEMO_OUTAGE.from + 10);
    expect(late.clusters!.map((c) => [c.name, c.stale])).toEqual([
      ['home', false],
      ['cloud', false],
      ['lab', true],
    ]);
    // Frozen: the same nodes and counts as when its samples stopped, an age that grows.
    expect(late.clusters![2]!.nodes).toEqual(early.clusters![2]!.nodes);
    expect(late.clusters![2]!.dataAgeSeconds).toBe(11);
    const after = await at(DEMO_OUTAGE.to + 1);
    expect(after.clusters!.map((c) => [c.name, c.stale, c.dataAgeSeconds])).toEqual([
      ['home', false, 0],
      ['cloud', false, 0],
      ['lab', false, 0],
    ]);
  });
});
