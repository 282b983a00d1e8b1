// Issue 17, "Fades that finish", on a real process: `podglow run` under Debian's libfaketime
// with only the wall clock faked (FAKETIME_DONT_FAKE_MONOTONIC=1), stepped −1 h and +1 day in
// the middle of a 3 s fade, against a real Prometheus whose clock is not faked. Polls every
// second bring the same picture during the fade, so this also covers "the same picture
// never restarts a fade" end to end. What the LEDs show is read from /api/state (`leds`, the
// device bytes as screen colours; with brightness 1 on a web output they equal `base` once still).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrometheus, type TestPrometheus } from '../helpers/prometheus.js';
import { startKsmFixture, type KsmCluster, type KsmFixture } from '../helpers/ksmFixture.js';
import { FakedPodglow, setFakeOffset } from '../helpers/faketime.js';

const FADE_MS = 3000;

const clusterA: KsmCluster = {
  nodes: [{ name: 'pi-1' }, { name: 'pi-2' }],
  pods: [
    { name: 'a', node: 'pi-1', phase: 'Running' },
    { name: 'b', node: 'pi-1', phase: 'Running' },
  ],
};
const clusterB: KsmCluster = {
  nodes: clusterA.nodes,
  pods: [...clusterA.pods, { name: 'c', node: 'pi-2', phase: 'Failed' }, { name: 'd', node: 'pi-2', phase: 'Pending' }],
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Output {
  base: string[];
  leds: string[];
}

/** A `podglow run` child under libfaketime with a slow fade, read through its web output. */
class FakedRun extends FakedPodglow {
  constructor(dir: string, promUrl: string, stampFile: string) {
    setFakeOffset(stampFile, 0);
    super(
      dir,
      [
        `prometheus: { url: "${promUrl}", timeout: 1s, matchers: ['job="kube-state-metrics"'] }`,
        'interval: 1s',
        'staleAfter: 5s',
        `effects: { transitionMs: ${FADE_MS}, fps: 30 }`,
        'outputs: [ { type: web, width: 4, height: 2, brightness: 1, layout: { type: nodes } } ]',
        'server: { enabled: true, address: 127.0.0.1, port: 0 }',
        'log: { level: info, format: json }',
      ],
      stampFile,
    );
  }

  async output(): Promise<Output> {
    return (JSON.parse(await this.text('api/state')) as { outputs: Output[] }).outputs[0]!;
  }

  /** podglow_frames_total of the web output: device writes so far. */
  async frames(): Promise<number> {
    return Number(/^podglow_frames_total\{output="[^"]*"\} (\d+)/m.exec(await this.text('metrics'))?.[1] ?? 0);
  }

  override log(): string {
    return super.log().slice(-2000);
  }
}

const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

describe('fades under libfaketime: a wall-clock step mid-fade changes nothing (real podglow, real Prometheus)', () => {
  let dir: string;
  let ksm: KsmFixture;
  let prom: TestPrometheus;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'podglow-fade-faketime-'));
    ksm = await startKsmFixture({ cluster: clusterA });
    prom = await startPrometheus({ jobs: [{ job: 'kube-state-metrics', targets: ksm.targets }] });
  }, 60_000);
  afterAll(async () => {
    await prom?.stop();
    await ksm?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function waitStill(run: FakedRun, ms: number): Promise<Output> {
    const deadline = Date.now() + ms;
    for (;;) {
      const o = await run.output().catch(() => null);
      if (o && o.base.some((c) => c !== '#000000') && same(o.leds, o.base)) return o;
      if (Date.now() > deadline) throw new Error(`no still picture within ${ms} ms: ${JSON.stringify(o)}\n${run.log()}`);
      await sleep(100);
    }
  }

  async function fadeAcrossStep(stepSeconds: number): Promise<void> {
    ksm.set(clusterA);
    const run = new FakedRun(dir, prom.url, join(dir, `stamp-${Math.random().toString(36).slice(2)}`));
    try {
      await run.started();
      const before = await waitStill(run, 20_000);
      ksm.set(clusterB);
      // The fade begins when a poll brings the new picture (`base` changes).
      let o = before;
      const deadline = Date.now() + 10_000;
      while (same(o.base, before.base)) {
        if (Date.now() > deadline) throw new Error(`the new picture never came\n${run.log()}`);
        await sleep(50);
        o = await run.output();
      }
      const began = Date.now();
      const target = o.base;
      expect(same(o.leds, target), 'the fade had already ended when first seen').toBe(false);
      setFakeOffset(run.stampFile, stepSeconds);
      const seen: Output[] = [];
      while (Date.now() - began < FADE_MS + 2_000) {
        seen.push(await run.output());
        if (same(seen.at(-1)!.leds, target)) break;
        await sleep(100);
      }
      const ended = Date.now() - began;
      // It ends on its target bytes, on time: neither stuck at `from` for an hour (−1 h with a
      // wall-clock fade) nor cut short (+1 day), nor creeping because polls restart it.
      expect(same(seen.at(-1)!.leds, target), `not on target after ${ended} ms: ${JSON.stringify(seen.at(-1))}`).toBe(true);
      expect(ended).toBeGreaterThan(FADE_MS - 800);
      expect(ended).toBeLessThan(FADE_MS + 1_000);
      // After the step it was still fading: some LED between where it came from and where it goes.
      const between = seen.filter((s) => s.leds.some((c, i) => c !== target[i] && c !== before.leds[i]));
      expect(between.length).toBeGreaterThanOrEqual(5);
      // Still afterwards: no writes (no fps timer), the target kept, polls going on meanwhile.
      const frames = await run.frames();
      await sleep(2_500);
      expect(await run.frames()).toBe(frames);
      expect((await run.output()).leds).toEqual(target);
    } finally {
      await run.stop();
    }
  }

  it('−1 h step mid-fade', async () => {
    await fadeAcrossStep(-3600);
  }, 60_000);

  it('+1 day step mid-fade', async () => {
    await fadeAcrossStep(86_400);
  }, 60_000);
});
