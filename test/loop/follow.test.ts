import { describe, expect, it, vi } from 'vitest';
import { Controller } from '../../src/loop/controller.js';
import type { Config } from '../../src/config/schema.js';
import { LOOP_T0 as T0, stripController, stripOutput as strip, testConfig, useLoopClock } from './helpers.js';
import { LandingSource } from './landingSource.js';

// SPEC §3b: with `interval: auto` the loop polls when new data has landed, learned from the
// probe alone; podglow's share (answerable → full poll) is at most 1 s, one poll per scrape.

let controller: Controller | undefined;

useLoopClock(async () => {
  await controller?.stop();
  controller = undefined;
});

function setup(
  source: LandingSource,
  config: Config = testConfig({ source: 'prometheus', prometheus: { url: 'http://p' }, outputs: [strip] }),
) {
  const { c, metrics } = stripController(config, source);
  controller = c;
  return { c, metrics };
}

/** For each landing answerable in [from, to]: the delay to the first full poll after it (ms), or null when none came before the next landing. */
function shares(source: LandingSource, lagMs: number, from: number, to: number): (number | null)[] {
  // Answerable times on the local clock (the reads are recorded on it).
  const landed = source.samplesBetween(from, to).map((t) => t + lagMs - source.skewMs);
  return landed.map((at, i) => {
    const next = landed[i + 1] ?? Infinity;
    const poll = source.reads.find((r) => r >= at && r < next);
    return poll === undefined ? null : poll - at;
  });
}

describe('interval: auto follows the data', () => {
  for (const periodMs of [5000, 30_000]) {
    for (const phase of [0, 0.13, 0.37, 0.5, 0.71, 0.93]) {
      it(`a landing at phase ${phase} of a ${periodMs / 1000} s scrape is polled within 1 s, once`, async () => {
        const lag = 80;
        const source = new LandingSource(periodMs, T0 + phase * periodMs, lag);
        setup(source).c.start();
        // Three landings to learn the rhythm, then measure over ten more.
        const learn = 3 * periodMs;
        await vi.advanceTimersByTimeAsync(learn);
        const before = source.reads.length;
        const probesBefore = source.probes.length;
        await vi.advanceTimersByTimeAsync(10 * periodMs);
        const delays = shares(source, lag, T0 + learn, Date.now() - lag - 1);
        expect(delays.length).toBeGreaterThanOrEqual(9);
        for (const d of delays) {
          expect(d).not.toBeNull();
          expect(d!).toBeLessThanOrEqual(1000);
        }
        // At most one full poll per new scrape.
        expect(source.reads.length - before).toBeLessThanOrEqual(delays.length + 1);
        // Cheap between landings: about two probes per landing, plus one every 5 s while waiting.
        const probes = source.probes.length - probesBefore;
        expect(probes / delays.length).toBeLessThanOrEqual(periodMs <= 5000 ? 2.5 : 9);
      });
    }
  }

  it('a server clock far from the local one changes nothing (server time only)', async () => {
    const skew = -3 * 3600_000;
    const source = new LandingSource(5000, T0 + skew + 1234, 60, skew);
    setup(source).c.start();
    await vi.advanceTimersByTimeAsync(15_000);
    await vi.advanceTimersByTimeAsync(50_000);
    for (const d of shares(source, 60, T0 + skew + 15_000, Date.now() + skew - 61)) expect(d!).toBeLessThanOrEqual(1000);
  });

  it('no new data: no full poll, until the ceiling (follow.maxInterval)', async () => {
    const source = new LandingSource(5000, T0 + 1000, 50);
    setup(source).c.start();
    await vi.advanceTimersByTimeAsync(20_000);
    source.stopsAt = source.serverNow();
    const before = source.reads.length;
    await vi.advanceTimersByTimeAsync(55_000);
    expect(source.reads.length).toBe(before);
    // Probing slows down while nothing lands (one every 5 s after the first minute), instead of every second.
    await vi.advanceTimersByTimeAsync(60_000);
    const late = source.probes.filter((t) => t > Date.now() - 30_000);
    expect(late.length).toBeLessThanOrEqual(7);
    // The ceiling polled meanwhile (once a minute: one or two in these 60 s), nothing else did.
    expect(source.reads.length - before).toBeGreaterThanOrEqual(1);
    expect(source.reads.length - before).toBeLessThanOrEqual(2);
  });

  it('a scrape interval that changes from 30 s to 5 s is followed within two scrapes', async () => {
    const lag = 100;
    const source = new LandingSource(30_000, T0 + 2000, lag);
    setup(source).c.start();
    await vi.advanceTimersByTimeAsync(100_000);
    // Right after a 30 s landing, scrapes come every 5 s.
    const change = source.newestAt(source.serverNow())! + 1;
    source.changePeriod(change, 5000);
    await vi.advanceTimersByTimeAsync(60_000);
    const delays = shares(source, lag, change, Date.now() - lag - 1);
    expect(delays.length).toBeGreaterThanOrEqual(10);
    // The first two new scrapes may be caught late (the old rhythm), every later one within 1 s.
    for (const d of delays.slice(2)) {
      expect(d).not.toBeNull();
      expect(d!).toBeLessThanOrEqual(1000);
    }
    expect(controller!.dataAge()!.landsEveryMs).toBe(5000);
  });

  it('a scrape interval that grows from 5 s to 30 s is followed too, without probing every second', async () => {
    const lag = 100;
    const source = new LandingSource(5000, T0 + 2000, lag);
    setup(source).c.start();
    await vi.advanceTimersByTimeAsync(30_000);
    const change = source.newestAt(source.serverNow())! + 1;
    source.changePeriod(change, 30_000);
    await vi.advanceTimersByTimeAsync(120_000);
    const probes = source.probes.length;
    await vi.advanceTimersByTimeAsync(120_000);
    const delays = shares(source, lag, Date.now() - 120_000, Date.now() - lag - 1);
    for (const d of delays) expect(d!).toBeLessThanOrEqual(1000);
    expect(controller!.dataAge()!.landsEveryMs).toBe(30_000);
    // Locked onto 30 s: a probe every 5 s at most between landings, a few around each.
    expect(source.probes.length - probes).toBeLessThanOrEqual(4 * 8);
  });

  it('a fixed interval keeps the fixed grid and never probes', async () => {
    const source = new LandingSource(5000, T0 + 1000, 50);
    setup(
      source,
      testConfig({ source: 'prometheus', prometheus: { url: 'http://p' }, interval: '10s', outputs: [strip] }),
    ).c.start();
    await vi.advanceTimersByTimeAsync(30_001);
    expect(source.probes).toHaveLength(0);
    expect(source.reads.map((t) => t - T0)).toEqual([0, 10_000, 20_000, 30_000]);
  });
});

describe('the rules of SPEC §6 still hold when following the data', () => {
  it('a failing probe polls at once (the error is shown), then no more than every 10 s', async () => {
    const source = new LandingSource(5000, T0 + 1000, 50);
    const { c } = setup(source);
    c.start();
    await vi.advanceTimersByTimeAsync(12_000);
    source.failReads = new Error('connection refused');
    source.failProbes = new Error('connection refused');
    const before = source.reads.length;
    const failedAt = Date.now();
    await vi.advanceTimersByTimeAsync(41_000);
    const reads = source.reads.slice(before);
    // The first failed probe polls at once (within the probe spacing), then one per 10 s at most.
    expect(reads[0]! - failedAt).toBeLessThanOrEqual(5000);
    expect(reads.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < reads.length; i++) expect(reads[i]! - reads[i - 1]!).toBeGreaterThanOrEqual(10_000);
    expect(c.lastError()).toBe('connection refused');
    // Back: the next landing is shown within a probe or two.
    source.failReads = source.failProbes = null;
    await vi.advanceTimersByTimeAsync(7000);
    expect(c.lastError()).toBeNull();
  });

  it('stale after staleAfter without a good poll; recovers on the next', async () => {
    const source = new LandingSource(5000, T0 + 1000, 50);
    const { c, metrics } = setup(source);
    c.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(c.stale()).toBe(false);
    source.failReads = new Error('boom');
    await vi.advanceTimersByTimeAsync(c.staleAfterMs + 1000);
    expect(c.stale()).toBe(true);
    expect((await metrics.stale.get()).values[0]!.value).toBe(1);
    source.failReads = null;
    await vi.advanceTimersByTimeAsync(6000);
    expect(c.stale()).toBe(false);
  });

  it('a probe that never answers (ignoring its abort) is abandoned at the deadline: polls go on, /healthz stays ok', async () => {
    const source = new LandingSource(5000, T0 + 1000, 50);
    const { c } = setup(source);
    c.start();
    await vi.advanceTimersByTimeAsync(10_000);
    source.hangProbes = true;
    const before = source.reads.length;
    await vi.advanceTimersByTimeAsync(c.wedgedAfterMs + 10_000);
    // Each hung probe counts as failed: a full poll at the first, then one per 10 s at most.
    expect(source.reads.length - before).toBeGreaterThanOrEqual(Math.floor(c.wedgedAfterMs / 20_000));
    expect(c.health()).toEqual({ ok: true });
    expect(c.stale()).toBe(false);
  });

  it('a loop that stops polling wedges: /healthz fails after wedgedAfterMs, not before', async () => {
    const source = new LandingSource(5000, T0 + 1000, 50);
    const { c } = setup(source);
    c.start();
    await vi.advanceTimersByTimeAsync(10_000);
    // Stand-in for a stuck loop: the schedule stops, nothing polls any more.
    (c as unknown as { schedule: { stop(): void } }).schedule.stop();
    await vi.advanceTimersByTimeAsync(c.wedgedAfterMs - 10_000);
    expect(c.health().ok).toBe(true);
    await vi.advanceTimersByTimeAsync(11_000);
    expect(c.health()).toMatchObject({ ok: false });
  });

  it('a poll that overruns its deadline is abandoned and the next landing polls again', async () => {
    const source = new LandingSource(5000, T0 + 1000, 50);
    const { c } = setup(source);
    const read = source.read.bind(source);
    let hang = true;
    source.read = () => {
      if (!hang) return read();
      source.reads.push(Date.now());
      return new Promise(() => {});
    };
    c.start();
    await vi.advanceTimersByTimeAsync(c.deadlineMs + 100);
    expect(c.lastError()).toMatch(/abandoned/);
    hang = false;
    await vi.advanceTimersByTimeAsync(6000);
    expect(c.snapshot()).not.toBeNull();
  });
});

describe('the age of the truth (SPEC §3b)', () => {
  it('podglow_data_age_seconds is evaluation time minus the newest sample, ticking on the monotonic clock', async () => {
    // Lands every 30 s, answerable 2 s after its time; the poll runs when it is answerable.
    const source = new LandingSource(30_000, T0 + 1000, 2000);
    const { c, metrics } = setup(source);
    c.start();
    await vi.advanceTimersByTimeAsync(40_000);
    const newest = source.newestAt(source.serverNow())!;
    const age = source.serverNow() - newest;
    expect(c.dataAge()!.sampleTime).toBe(newest);
    expect(Math.abs(c.dataAge()!.ageMs - age)).toBeLessThanOrEqual(1);
    expect(Math.abs((await metrics.dataAge.get()).values[0]!.value * 1000 - age)).toBeLessThanOrEqual(1);
  });

  it('data older than staleAfter shows stale while polls succeed', async () => {
    const source = new LandingSource(5000, T0 + 1000, 50);
    const config = testConfig({
      source: 'prometheus',
      prometheus: { url: 'http://p' },
      staleAfter: '2m',
      follow: { maxInterval: '20s' },
      outputs: [strip],
    });
    const { c, metrics } = setup(source, config);
    c.start();
    await vi.advanceTimersByTimeAsync(10_000);
    // The backend keeps answering, with old samples only (remote write stopped).
    source.stopsAt = source.serverNow();
    await vi.advanceTimersByTimeAsync(100_000);
    expect(c.stale()).toBe(false);
    const failures = (await metrics.polls.get()).values.find((v) => v.labels.result === 'failure')?.value;
    await vi.advanceTimersByTimeAsync(25_000);
    expect(c.stale()).toBe(true);
    expect(c.readiness().reason).toMatch(/^stale: the newest kube-state-metrics data is 2m\d*s? old \(limit 2m\)/);
    expect((await metrics.stale.get()).values[0]!.value).toBe(1);
    // Polls kept succeeding all along (the ceiling's).
    expect((await metrics.polls.get()).values.find((v) => v.labels.result === 'failure')?.value).toBe(failures);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(c.stale()).toBe(true);
    // Data lands again: live at once.
    source.stopsAt = Infinity;
    await vi.advanceTimersByTimeAsync(6000);
    expect(c.stale()).toBe(false);
    expect(c.dataAge()!.ageMs).toBeLessThan(6000);
  });

  it('the default data limit is at least 90 s, so a fixed 10 s interval reading a 30 s scrape never flaps stale', async () => {
    const source = new LandingSource(30_000, T0 + 1000, 50);
    const { c } = setup(
      source,
      testConfig({ source: 'prometheus', prometheus: { url: 'http://p' }, interval: '10s', outputs: [strip] }),
    );
    expect(c.staleAfterMs).toBe(30_000);
    expect(c.dataStaleAfterMs).toBe(90_000);
    c.start();
    for (let i = 0; i < 30; i++) {
      await vi.advanceTimersByTimeAsync(5000);
      expect(c.stale()).toBe(false);
    }
  });
});
