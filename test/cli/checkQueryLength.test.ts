// `podglow check` warns when a query is longer than VictoriaMetrics accepts by default
// (-search.maxQueryLen=16384, measured against Debian's victoria-metrics 1.79.5 in
// test/source/prometheus.real.test.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main, queryLengthWarnings } from '../../src/cli/check.js';
import { stubPodglowEnv } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'podglow-check-len-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let out = '';
beforeEach(() => {
  out = '';
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += a.join(' ') + '\n'));
  vi.spyOn(console, 'error').mockImplementation(() => {});
  stubPodglowEnv();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

function config(namespaces: string[]): string {
  const p = join(dir, `c${namespaces.length}.yaml`);
  writeFileSync(
    p,
    `prometheus: { url: http://prom:9090 }\nnamespaces: { include: ${JSON.stringify(namespaces)} }\noutputs: [ { type: terminal } ]\n`,
  );
  return p;
}

describe('podglow check: query length', () => {
  it('says nothing for 83 namespaces (the list is in the query once), warns for a list that passes 16 KiB', async () => {
    const ns = (n: number, len: number) => Array.from({ length: n }, (_, i) => `ns-${i}-`.padEnd(len, 'x'));
    expect(await main(['--config', config(ns(83, 30))])).toBe(0);
    expect(out).not.toMatch(/warning/);
    expect(await main(['--config', config(ns(600, 30))])).toBe(0);
    expect(out).toMatch(
      /warning: the pods query is \d+ bytes, over 16 KiB: VictoriaMetrics refuses it by default \(-search.maxQueryLen=16384\)/,
    );
    expect(out).not.toMatch(/the nodes query is/);
  });

  it('counts UTF-8 bytes, as the server does', () => {
    expect(queryLengthWarnings({ a: 'é'.repeat(8 * 1024 + 1) })).toHaveLength(1);
    expect(queryLengthWarnings({ a: 'e'.repeat(16 * 1024) })).toEqual([]);
  });
});
