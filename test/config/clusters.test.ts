// clusters: (SPEC §3c): the list or auto, display names, and what is refused with its path.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';

const base = { prometheus: { url: 'http://prom:9090' }, outputs: [{ type: 'terminal' }] };

function problems(raw: unknown): string[] {
  try {
    parseConfig(raw, { env: {} });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('clusters:', () => {
  it('takes a list of label values, each maybe with a display name, in the given order', () => {
    const c = parseConfig({ ...base, clusters: ['pi', { name: 'eks-prod-1', displayName: 'cloud' }, 'staging'] }, { env: {} });
    expect(c.clusters).toEqual([{ name: 'pi' }, { name: 'eks-prod-1', displayName: 'cloud' }, { name: 'staging' }]);
  });

  it('takes auto', () => {
    expect(parseConfig({ ...base, clusters: 'auto' }, { env: {} }).clusters).toBe('auto');
  });

  it('is absent by default (one cluster, as before)', () => {
    expect(parseConfig(base, { env: {} }).clusters).toBeUndefined();
  });

  it('is refused together with prometheus.cluster, with its path', () => {
    expect(problems({ ...base, prometheus: { url: 'http://p', cluster: 'prod' }, clusters: ['a'] })).toEqual([
      'clusters: set clusters: or prometheus.cluster, not both (prometheus.cluster selects one cluster)',
    ]);
  });

  it('refuses duplicates, empty lists and other values', () => {
    expect(problems({ ...base, clusters: ['a', { name: 'a' }] })).toEqual(['clusters[1]: duplicate cluster "a"']);
    expect(problems({ ...base, clusters: [] })).toEqual(['clusters: list at least one cluster']);
    expect(problems({ ...base, clusters: 'all' })).toEqual(['clusters: must be auto or a list of cluster label values']);
  });

  it('refuses an unknown cluster in a summary layout, and cluster: without clusters:', () => {
    const summary = (cluster: string) => ({ type: 'blinkstick', layout: { type: 'summary', node: '*', cluster } });
    expect(problems({ ...base, clusters: ['home', 'cloud'], outputs: [summary('lab')] })).toEqual([
      'outputs[0].layout.cluster: no cluster "lab" under clusters: (home, cloud)',
    ]);
    expect(problems({ ...base, outputs: [summary('home')] })).toEqual([
      'outputs[0].layout.cluster: cluster: needs clusters: (a list, or auto)',
    ]);
    expect(
      parseConfig({ ...base, clusters: ['home'], outputs: [summary('home')] }, { env: {} }).outputs[0]!.layout,
    ).toMatchObject({ cluster: 'home' });
    expect(parseConfig({ ...base, clusters: 'auto', outputs: [summary('anything')] }, { env: {} }).clusters).toBe('auto');
  });

  it('the clusters layout needs clusters:', () => {
    expect(problems({ ...base, outputs: [{ type: 'blinkstick', layout: { type: 'clusters' } }] })).toEqual([
      'outputs[0].layout.type: the clusters layout needs clusters: (a list, or auto)',
    ]);
  });
});
