// The short soak in `npm test`: 3,000 back-to-back polls through the real controller, outputs,
// effects and HTTP server in a podglow child process, answered by an in-process server with
// what Prometheus would answer for two 20-node clusters flipping every 2 s (test/soak/soak.ts,
// source 'canned'); about 10 s. `npm run soak` runs the full 10,000 polls against a real
// Prometheus on the built code.
// How it catches a leak of 1 kB per poll: the heap after a forced GC is sampled every 100
// polls, and the least-squares slope over the second half (polls 1,500-3,000, after V8's
// warm-up) must stay under 640 KiB per 1,000 polls. A clean run measures 0.17-0.22 MB per
// 1,000 polls here; 1 kB per poll adds 1 MB per 1,000 polls (1.3 MB measured with one
// injected), so the bound sits about 3× above the noise and 2× below such a leak. The second
// test injects exactly that leak and checks the bound trips.
import { describe, expect, it } from 'vitest';
import { runSoak, slope, type SoakResult } from './soak.js';

/** Heap growth allowed over the second half of the run, bytes per 1,000 polls. */
const HEAP_BOUND = 640 * 1024;
const POLLS = 3000;

describe('slope', () => {
  it('is the least-squares slope', () => {
    expect(slope([0, 1, 2, 3], [1, 3, 5, 7])).toBeCloseTo(2);
    expect(slope([0, 1, 2, 3], [5, 5, 5, 5])).toBe(0);
  });
});

describe('soak (canned answers in process, back-to-back polls)', () => {
  // Both runs at once: the heap figures come from forced GCs, not from timing, so sharing the CPU does not disturb them.
  const runs: Promise<[SoakResult, SoakResult]> = Promise.all([
    runSoak({ polls: POLLS, source: 'canned', runtime: 'tsx', timeoutMs: 100_000 }),
    runSoak({ polls: POLLS, source: 'canned', runtime: 'tsx', leakBytesPerPoll: 1024, timeoutMs: 100_000 }),
  ]);
  // Handled in the tests below; this keeps a failure from surfacing as an unhandled rejection first.
  runs.catch(() => undefined);

  it('3,000 polls: every poll succeeds, memory flat, no growing timers, sockets or listeners', async () => {
    const [r] = await runs;
    expect(r.source).toBe('canned');
    // Plus the 1 s schedule's own polls, which run between the back-to-back ones when they are this quick.
    expect(r.successes).toBeGreaterThanOrEqual(POLLS);
    expect(r.successes).toBeLessThanOrEqual(POLLS + Math.ceil(r.seconds) + 1);
    expect(r.failures).toBe(0);
    expect(r.gc).toBe(true);
    expect(r.leakedBytes).toBe(0);
    // Frames changed as the answers flipped: the effects pipelines really ran.
    expect(r.framesWritten).toBeGreaterThan(20);
    expect(r.heapSlopeBytesPer1000Polls).toBeLessThan(HEAP_BOUND);
    expect(r.rssSlopeBytesPer1000Polls).toBeLessThan(4 * 1024 * 1024);
    // tsx's loader is in this process too; the built code's figure is in docs/performance.md.
    expect(r.rssMaxMiB).toBeLessThan(250);
    for (const [type, n] of Object.entries(r.resourcesMaxLastQuarter)) {
      expect(n, `${type} in the last quarter`).toBeLessThanOrEqual((r.resourcesMaxFirstQuarter[type] ?? 0) + 1);
    }
    expect(r.resourcesLast.Timeout ?? 0).toBeLessThanOrEqual(12);
    expect(r.resourcesLast.TCPSocketWrap ?? 0).toBeLessThanOrEqual(10);
    expect(r.processListenersLast).toBe(r.processListenersFirst);
    expect(r.warnings).toEqual([]);
  }, 120_000);

  it('the heap bound catches a leak of 1 kB per poll', async () => {
    const [clean, leaky] = await runs;
    expect(leaky.failures).toBe(0);
    expect(leaky.leakedBytes).toBe(POLLS * 1024);
    expect(leaky.heapSlopeBytesPer1000Polls).toBeGreaterThan(HEAP_BOUND);
    // The slope sees the leak itself (1,024,000 bytes per 1,000 polls), not noise.
    expect(leaky.heapSlopeBytesPer1000Polls - clean.heapSlopeBytesPer1000Polls).toBeGreaterThan(0.75 * 1024 * 1000);
  }, 120_000);
});
