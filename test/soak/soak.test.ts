// A shortened soak in `npm test` (2,000 polls, about a minute); `npm run soak` runs the full
// 10,000 polls on the built code. Bounds are generous: they catch leaks (a retained snapshot,
// frame or socket per poll grows by tens of kB per poll), not noise.
import { describe, expect, it } from 'vitest';
import { runSoak, slope } from './soak.js';

describe('slope', () => {
  it('is the least-squares slope', () => {
    expect(slope([0, 1, 2, 3], [1, 3, 5, 7])).toBeCloseTo(2);
    expect(slope([0, 1, 2, 3], [5, 5, 5, 5])).toBe(0);
  });
});

describe('soak (real Prometheus, back-to-back polls)', () => {
  it('2,000 polls: every poll succeeds, memory flat, no growing timers, sockets or listeners', async () => {
    const r = await runSoak({ polls: 2000, runtime: 'tsx', timeoutMs: 150_000 });
    expect(r.successes).toBe(2000);
    expect(r.failures).toBe(0);
    expect(r.gc).toBe(true);
    // Frames changed as the fixture flipped scenarios: the effects pipelines really ran.
    expect(r.framesWritten).toBeGreaterThan(20);
    // Heap after GC over the second half: V8 still warms up at 1,000 polls (about 0.4 MB per
    // 1,000 polls here, 0.03 MB over the second half of the full 10,000), so the bound is
    // 1 MiB per 1,000 polls: it catches a leak of 1 kB per poll (one poll's four answers are ~10 kB).
    expect(r.heapSlopeBytesPer1000Polls).toBeLessThan(1024 * 1024);
    expect(r.rssSlopeBytesPer1000Polls).toBeLessThan(4 * 1024 * 1024);
    // tsx's loader is in this process too; the built code's figure is in the README.
    expect(r.rssMaxMiB).toBeLessThan(250);
    for (const [type, n] of Object.entries(r.resourcesMaxLastQuarter)) {
      expect(n, `${type} in the last quarter`).toBeLessThanOrEqual((r.resourcesMaxFirstQuarter[type] ?? 0) + 1);
    }
    expect(r.resourcesLast.Timeout ?? 0).toBeLessThanOrEqual(12);
    expect(r.resourcesLast.TCPSocketWrap ?? 0).toBeLessThanOrEqual(10);
    expect(r.processListenersLast).toBe(r.processListenersFirst);
    expect(r.warnings).toEqual([]);
  }, 180_000);
});
