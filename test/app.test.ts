import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startPodglow } from '../src/app.js';
import { silentLogger } from '../src/log.js';
import { Metrics } from '../src/metrics.js';
import { recordingFactory } from './fakes/recordingDriver.js';
import { ScriptedSource, snap, testConfig } from './loop/helpers.js';

const GREEN = [0, 255, 0];

function out(name: string, extra: Record<string, unknown> = {}) {
  return { type: 'terminal' as const, name, width: 2, height: 1, brightness: 1, layout: { type: 'nodes' as const }, ...extra };
}

describe('startPodglow with fake timers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date(2026, 10, 21, 12, 0, 0, 0));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts outputs in order and stops them in reverse: blank then release, onExit keep honoured', async () => {
    const events: string[] = [];
    const f = recordingFactory({ events });
    const source = new ScriptedSource(() => snap({ n1: { running: 1 }, n2: { running: 1 } }));
    const config = testConfig({
      outputs: [out('a', { schedule: [{ cron: '0 22 * * *', brightness: 0.2 }] }), out('b', { onExit: 'keep' }), out('c')],
    });
    const app = await startPodglow(config, {
      log: silentLogger,
      source,
      createDriver: f.create,
      metrics: new Metrics({ defaultMetrics: false }),
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.drivers.get('a')!.last).toEqual([
      [0, 51, 0],
      [0, 51, 0],
    ]);
    expect(f.drivers.get('b')!.last).toEqual([GREEN, GREEN]);
    expect(events).toEqual(['start:a', 'start:b', 'start:c']);
    await app.stop();
    expect(events.slice(3)).toEqual(['stop:c:blank', 'release:c', 'stop:b:keep', 'release:b', 'stop:a:blank', 'release:a']);
    expect(f.drivers.get('a')!.last).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(f.drivers.get('b')!.last).toEqual([GREEN, GREEN]);
    expect(f.drivers.get('c')!.last).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(source.closed).toBe(true);
    // Poll schedule, stale timer and brightness schedule are all gone.
    expect(vi.getTimerCount()).toBe(0);
    // Nothing runs afterwards, and a second stop() is harmless.
    const counts = [...f.drivers.values()].map((d) => d.calls.length);
    await vi.advanceTimersByTimeAsync(60_000);
    expect([...f.drivers.values()].map((d) => d.calls.length)).toEqual(counts);
    expect(source.polls).toHaveLength(1);
    await app.stop();
    expect(events).toHaveLength(9);
  });

  it('uses the global onExit unless the output overrides it', async () => {
    const events: string[] = [];
    const f = recordingFactory({ events });
    const source = new ScriptedSource(() => snap({ n1: { running: 1 } }));
    const config = testConfig({ onExit: 'keep', outputs: [out('a'), out('b', { onExit: 'blank' })] });
    const app = await startPodglow(config, {
      log: silentLogger,
      source,
      createDriver: f.create,
      metrics: new Metrics({ defaultMetrics: false }),
    });
    await vi.advanceTimersByTimeAsync(0);
    await app.stop();
    expect(events.filter((e) => e.startsWith('stop:'))).toEqual(['stop:b:blank', 'stop:a:keep']);
  });

  it('aborts the poll in flight before it stops the outputs', async () => {
    const events: string[] = [];
    const f = recordingFactory({ events });
    const source = new ScriptedSource(() => snap({ n1: { running: 1 } }));
    source.hang = true;
    const app = await startPodglow(testConfig({ outputs: [out('a')] }), {
      log: silentLogger,
      source,
      createDriver: f.create,
      metrics: new Metrics({ defaultMetrics: false }),
    });
    await vi.advanceTimersByTimeAsync(500);
    source.polls[0]!.signal.addEventListener('abort', () => events.push('poll aborted'));
    await app.stop();
    expect(events).toEqual(['start:a', 'poll aborted', 'stop:a:blank', 'release:a']);
  });

  it('one stop failing does not keep the others from stopping', async () => {
    const events: string[] = [];
    const f = recordingFactory({ events });
    const source = new ScriptedSource(() => snap({ n1: { running: 1 } }));
    const app = await startPodglow(testConfig({ outputs: [out('a'), out('b')] }), {
      log: silentLogger,
      source,
      createDriver: f.create,
      metrics: new Metrics({ defaultMetrics: false }),
    });
    f.drivers.get('b')!.stop = async () => {
      throw new Error('USB gone');
    };
    await app.stop();
    expect(events.slice(2)).toEqual(['stop:a:blank', 'release:a']);
  });

  it('fails fast with the output named when a device cannot start, before the source is used', async () => {
    const events: string[] = [];
    const f = recordingFactory({ events, perOutput: { b: { failStart: new Error('no BlinkStick found') } } });
    const source = new ScriptedSource(() => snap({}));
    const config = testConfig({ outputs: [out('a'), out('b'), out('c')] });
    await expect(startPodglow(config, { log: silentLogger, source, createDriver: f.create })).rejects.toThrow(
      'output "b" (terminal): no BlinkStick found',
    );
    expect(events).toEqual(['start:a', 'start:b', 'stop:a:blank', 'release:a']);
    expect(source.polls).toHaveLength(0);
  });
});

describe('startPodglow with the HTTP server', () => {
  it('serves the controller and closes the server on stop', async () => {
    const f = recordingFactory();
    const source = new ScriptedSource(() => snap({ n1: { running: 1 } }));
    const config = testConfig({ server: { enabled: true, address: '127.0.0.1', port: 0 }, outputs: [out('a')] });
    const app = await startPodglow(config, {
      log: silentLogger,
      source,
      createDriver: f.create,
      metrics: new Metrics({ defaultMetrics: false }),
    });
    try {
      expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      await vi.waitFor(async () => expect((await fetch(new URL('readyz', app.url))).status).toBe(200));
      const state = (await (await fetch(new URL('api/state', app.url))).json()) as {
        outputs: { name: string; base: string[] }[];
      };
      expect(state.outputs[0]).toMatchObject({ name: 'a', base: ['#00ff00', '#000000'] });
      const metrics = await (await fetch(new URL('metrics', app.url))).text();
      expect(metrics).toContain('podglow_frames_total{output="a"}');
    } finally {
      await app.stop();
    }
    await expect(fetch(new URL('healthz', app.url))).rejects.toThrow();
  });

  it('does not start the server when asked not to', async () => {
    const f = recordingFactory();
    const source = new ScriptedSource(() => snap({}));
    const config = testConfig({ server: { enabled: true, address: '127.0.0.1', port: 0 }, outputs: [out('a')] });
    const app = await startPodglow(config, {
      log: silentLogger,
      source,
      createDriver: f.create,
      server: false,
      metrics: new Metrics({ defaultMetrics: false }),
    });
    expect(app.url).toBeUndefined();
    await app.stop();
  });
});
