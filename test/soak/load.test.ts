// The short load soak in `npm test` (issue 20; `npm run bench:load` is the 30-minute one): the
// CLI compiled here into a scratch directory runs `podglow run` with the node flags of its
// shebang, as npm's bin link, systemd and the image run it, under 75 s of bench/load.ts: 1 s
// polls, scrapes and /healthz probes every second, waves of event stream clients, 100
// slow-header clients throughout and a flood of 2,000 event stream connections every 25 s.
// Bounds: the peak RSS stays under the manifests' memory limit with 25 % to spare; the live
// heap at the end (heap used after the full GC a heap snapshot makes) is less than 8 MiB
// above the lowest heap used before the first flood, after three floods, 6,000 connections:
// a leak of 1.5 KiB per connection trips it, where the heap used sampled between major GCs
// swings by 20 MiB of plain garbage; the RSS ends within 20 MiB of where it was before the first flood; polls
// keep their pace, and /healthz answers promptly.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBench, type LoadResult } from '../../bench/load.js';

const ROOT = join(import.meta.dirname, '../..');

/** The container memory limit of deploy/base/deployment.yaml, MiB. */
export function manifestMemoryLimitMiB(): number {
  const text = readFileSync(join(ROOT, 'deploy/base/deployment.yaml'), 'utf8');
  const m = /limits:\s*\n(?:\s+\w+:.*\n)*?\s+memory:\s*(\d+)Mi/.exec(text);
  if (!m) throw new Error('no limits.memory in deploy/base/deployment.yaml');
  return Number(m[1]);
}

describe('load soak (built CLI, floods every 25 s)', () => {
  let out: string | undefined;
  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('keeps its peak under the limit with 25 % to spare, a flat trend, its poll pace and a prompt /healthz', async () => {
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    out = mkdtempSync(join(ROOT, '.tmp', 'load-'));
    spawnSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', out], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const cli = join(out, 'src/cli.js');
    expect(existsSync(cli)).toBe(true);
    const r: LoadResult = await loadBench({
      cli,
      seconds: 75,
      floodEvery: 25,
      floodSize: 2000,
      slow: 100,
      waveSize: 40,
      waveIdle: 10,
      liveHeap: true,
    });
    const limit = manifestMemoryLimitMiB();
    // What a reader of a failure needs first.
    console.log(JSON.stringify(r));
    expect(r.floods).toBe(3);
    expect(r.peakMiB).toBeLessThan(0.75 * limit);
    expect(r.liveHeapEndMiB! - r.steadyHeapMinMiB).toBeLessThan(8);
    expect(r.liveHeapSlopeMiBPerHour!).toBeLessThan((8 * 3600) / 75);
    // After the last flood the RSS is back near where it was before the first.
    expect(r.lastMiB - r.steadyMiB).toBeLessThan(20);
    expect(r.maxPollGapSeconds).toBeLessThan(5);
    expect(r.healthzProbes).toBeGreaterThan(60);
    expect(r.healthzP99Ms).toBeLessThan(2000);
    expect(r.warnings).toEqual([]);
  }, 240_000);
});
