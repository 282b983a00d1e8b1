// Issue 10, "Time", on real processes: `podglow run` under Debian's libfaketime (package
// `faketime`), wall clock only (FAKETIME_DONT_FAKE_MONOTONIC=1: timers and performance.now
// stay real), stepped mid-run through a timestamp file re-read on every call
// (FAKETIME_TIMESTAMP_FILE + FAKETIME_NO_CACHE=1), against a real Prometheus whose clock is
// not faked. The library is preloaded directly because the `faketime` wrapper's own FAKETIME
// variable would take precedence over the timestamp file (libfaketime README, "Changing the
// 'x' factor / timestamp file" sections).
//
// Polls keeping their rate depends only on the poll loop. The Snapshot staying current also
// needs the query evaluation time to come from Prometheus' clock (SPEC §6), not podglow's
// faked one: those assertions are marked below.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrometheus, type TestPrometheus } from '../helpers/prometheus.js';
import { startKsmFixture, type KsmCluster, type KsmFixture } from '../helpers/ksmFixture.js';
import { FakedPodglow, setFakeOffset } from '../helpers/faketime.js';

const clusterA: KsmCluster = {
  nodes: [{ name: 'pi-1' }, { name: 'pi-2' }],
  pods: [
    { name: 'a', node: 'pi-1', phase: 'Running' },
    { name: 'b', node: 'pi-1', phase: 'Running' },
  ],
};
const clusterB: KsmCluster = {
  nodes: clusterA.nodes,
  pods: [...clusterA.pods, { name: 'c', node: 'pi-2', phase: 'Running' }, { name: 'd', node: 'pi-2', phase: 'Pending' }],
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface State {
  ready: boolean;
  stale: boolean;
  snapshot: { nodes: { name: string; pods: Record<string, number> }[] } | null;
}

/** A `podglow run` child under libfaketime (Europe/Berlin), read through its metrics and state. */
class FakedRun extends FakedPodglow {
  constructor(dir: string, promUrl: string, stampFile: string, offsetSeconds: number) {
    setFakeOffset(stampFile, offsetSeconds);
    super(
      dir,
      [
        `prometheus: { url: "${promUrl}", timeout: 1s, matchers: ['job="kube-state-metrics"'] }`,
        'interval: 1s',
        'staleAfter: 3s',
        'timezone: Europe/Berlin',
        'effects: { transitionMs: 0 }',
        'outputs: [ { type: web, width: 4, height: 2, layout: { type: nodes } } ]',
        'server: { enabled: true, address: 127.0.0.1, port: 0 }',
        'log: { level: info, format: json }',
      ],
      stampFile,
      { TZ: 'Europe/Berlin' },
    );
  }

  /** Steps podglow's wall clock to real time + `seconds`. */
  setOffset(seconds: number): void {
    setFakeOffset(this.stampFile, seconds);
  }

  /** podglow_polls_total over both results. */
  async polls(): Promise<number> {
    let n = 0;
    for (const m of (await this.text('metrics')).matchAll(/^podglow_polls_total\{result="\w+"\} (\d+)/gm)) n += Number(m[1]);
    return n;
  }

  async state(): Promise<State> {
    return JSON.parse(await this.text('api/state')) as State;
  }
}

describe('podglow run under libfaketime against a real Prometheus (interval 1s, TZ Europe/Berlin)', () => {
  let dir: string;
  let ksm: KsmFixture;
  let prom: TestPrometheus;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'podglow-faketime-'));
    ksm = await startKsmFixture({ cluster: clusterA });
    prom = await startPrometheus({ jobs: [{ job: 'kube-state-metrics', targets: ksm.targets }] });
  }, 60_000);
  afterAll(async () => {
    await prom?.stop();
    await ksm?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Starts podglow with its wall clock at real time + `startOffset`, waits for live data,
   * steps the clock to `stepOffset` (null: no step; with `windowAt`, wait until podglow's
   * clock reads that time, e.g. just before a DST change), then for 8 s checks polls keep
   * their 1 s rate and the display stays current.
   */
  async function scenario(
    startOffset: number,
    stepOffset: number | null,
    windowAt?: number,
  ): Promise<{ pollsIn8s: number; run: FakedRun }> {
    ksm.set(clusterA);
    const run = new FakedRun(dir, prom.url, join(dir, `stamp-${Math.random().toString(36).slice(2)}`), startOffset);
    try {
      await run.started();
      await waitFor(async () => (await run.polls()) >= 1, 10_000, 'the first poll', run);
      if (stepOffset !== null) run.setOffset(stepOffset);
      if (windowAt !== undefined) {
        const wait = windowAt - (Date.now() + startOffset * 1000);
        if (wait < 0) throw new Error(`podglow took too long to start: its clock is ${-wait} ms past the window`);
        await sleep(wait);
      }
      const before = await run.polls();
      const t0 = Date.now();
      const generation = ksm.set(clusterB);
      await prom.waitForGeneration(generation);
      const seen: State[] = [];
      while (Date.now() - t0 < 8_000) {
        seen.push(await run.state());
        await sleep(250);
      }
      const pollsIn8s = (await run.polls()) - before;
      // A poll a second: the rate holds (no stall, no burst) whatever the wall clock did.
      expect(pollsIn8s).toBeGreaterThanOrEqual(7);
      expect(pollsIn8s).toBeLessThanOrEqual(9);
      // Depends on the query time coming from Prometheus (promsource): a stepped clock asks for the wrong instant otherwise.
      expect(
        seen.filter((s) => s.stale || !s.ready),
        'the display went stale',
      ).toEqual([]);
      const last = seen.at(-1)!.snapshot!;
      expect(last.nodes.map((n) => [n.name, n.pods.running, n.pods.pending])).toEqual([
        ['pi-1', 2, 0],
        ['pi-2', 1, 1],
      ]);
      return { pollsIn8s, run };
    } finally {
      await run.stop();
    }
  }

  async function waitFor(check: () => Promise<boolean>, ms: number, what: string, run: FakedRun): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}; state ${JSON.stringify(await run.state().catch(() => null))}\n${run.log().slice(-2000)}`,
        );
      await sleep(200);
    }
  }

  it('across the 2026-10-25 fall-back (03:00 CEST → 02:00 CET)', async () => {
    // 01:00Z: Berlin's local clock goes from 02:59:59 CEST back to 02:00:00 CET.
    const change = Date.parse('2026-10-25T01:00:00Z');
    const offset = Math.round((change - 15_000 - Date.now()) / 1000);
    // The 8 s window opens 2 s before the change, on podglow's clock, without any step.
    const { pollsIn8s } = await scenario(offset, null, change - 2_000);
    expect(Date.now() + offset * 1000).toBeGreaterThan(change + 5_000);
    expect(pollsIn8s).toBeGreaterThanOrEqual(7);
  }, 90_000);

  it('across a 1 h backward step', async () => {
    const { pollsIn8s } = await scenario(0, -3600);
    expect(pollsIn8s).toBeGreaterThanOrEqual(7);
  }, 60_000);

  it('across a 1 day forward step', async () => {
    const { pollsIn8s } = await scenario(0, 86_400);
    expect(pollsIn8s).toBeGreaterThanOrEqual(7);
  }, 60_000);
});
