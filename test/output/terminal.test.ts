import { describe, expect, it } from 'vitest';
import type { Rgb } from '../../src/color.js';
import { renderTerminalFrame, terminalDriverFactory, terminalNote, type TerminalStream } from '../../src/output/terminal.js';
import { createWebDriver } from '../../src/output/web.js';
import { silentLogger } from '../../src/log.js';
import type { OutputConfig } from '../../src/config/schema.js';
import { FakeStatusView, node, outputView, snapshotOf } from '../fakes/fakeStatusView.js';
import { startPodglow } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { PollError } from '../../src/source/errors.js';
import type { Source } from '../../src/source/source.js';

class Recorder implements TerminalStream {
  chunks: string[] = [];
  errorListener: ((e: Error) => void) | undefined;
  columns: number | undefined;
  constructor(readonly isTTY: boolean) {}
  on(_event: 'error', listener: (e: Error) => void): void {
    this.errorListener = listener;
  }
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}

const config = { type: 'terminal', brightness: 1, schedule: [] } as unknown as OutputConfig;
const off = (n: number): Rgb[] => Array.from({ length: n }, () => [0, 0, 0] as const);
const strip = (n: number, c: Rgb): Rgb[] => Array.from({ length: n }, () => c);
const plain = (s: string): string => s.replace(/\x1b\[[0-9;]*[A-Za-z]|\r/g, '');

const T0 = new Date('2026-12-01T12:00:00.000Z');

async function driver(stream: Recorder, name: string, width: number, height: number) {
  const d = await terminalDriverFactory(stream, { now: () => T0 })(config, {
    name,
    geometry: { width, height },
    log: silentLogger,
  });
  await d.start();
  return d;
}

describe('terminal output', () => {
  it('draws each LED as a truecolour glyph in its row, off LEDs as dark dots', () => {
    const leds: Rgb[] = [
      [255, 0, 0],
      [0, 0, 0],
      [0, 128, 0],
      [1, 2, 3],
    ];
    const lines = renderTerminalFrame('hat', { width: 2, height: 2 }, leds);
    expect(lines).toHaveLength(3);
    expect(plain(lines[0]!)).toBe('hat');
    expect(lines[1]).toBe(' \x1b[38;2;255;0;0m● \x1b[38;2;48;48;48m●\x1b[0m');
    expect(lines[2]).toBe(' \x1b[38;2;0;128;0m● \x1b[38;2;1;2;3m●\x1b[0m');
  });

  it('wraps long strips', () => {
    const lines = renderTerminalFrame('strip', { width: 70, height: 1 }, strip(70, [0, 0, 255]));
    expect(lines.slice(1).map((l) => (plain(l).match(/●/g) ?? []).length)).toEqual([32, 32, 6]);
  });

  it('prints only changed frames when not on a TTY', async () => {
    const s = new Recorder(false);
    const d = await driver(s, 'stick', 2, 1);
    expect(d.up).toBe(true);
    expect(d.maxBrightness).toBe(1);
    expect(d.gamma).toBe(false);
    await d.show([
      [0, 255, 0],
      [0, 0, 0],
    ]);
    await d.show([
      [0, 255, 0],
      [0, 0, 0],
    ]);
    await d.show([
      [0, 255, 0],
      [255, 0, 0],
    ]);
    expect(s.chunks).toHaveLength(2);
    expect(s.text).not.toContain('\x1b[2K');
    expect(s.chunks[1]).toContain('\x1b[38;2;255;0;0m●');
  });

  it('redraws in place on a TTY, all outputs of the stream together', async () => {
    const s = new Recorder(true);
    const a = await driver(s, 'a', 2, 2);
    const b = await driver(s, 'b', 3, 1);
    await a.show(strip(4, [0, 255, 0]));
    expect(s.chunks[0]!.startsWith('\x1b[2K')).toBe(true);
    expect(plain(s.chunks[0]!).split('\n')).toEqual(['a', ' ● ●', ' ● ●', '']);
    await b.show(strip(3, [0, 0, 255]));
    // Up over a's 3 lines, then a and b again.
    expect(s.chunks[1]!.startsWith('\r\x1b[3A')).toBe(true);
    expect(plain(s.chunks[1]!).split('\n')).toEqual(['a', ' ● ●', ' ● ●', 'b', ' ● ● ●', '']);
    await a.show(strip(4, [0, 255, 0]));
    expect(s.chunks).toHaveLength(2);
    await a.show(strip(4, [255, 0, 0]));
    expect(s.chunks[2]!.startsWith('\r\x1b[5A')).toBe(true);
    expect(s.chunks[2]).toContain('\x1b[38;2;255;0;0m●');
  });

  it('keeps a note below the outputs when redrawing in place', async () => {
    const s = new Recorder(true);
    const a = await driver(s, 'a', 2, 1);
    await a.show(strip(2, [0, 255, 0]));
    terminalNote('preview at http://127.0.0.1:9810/', s);
    expect(plain(s.chunks[1]!).split('\n')).toEqual(['a', ' ● ●', 'preview at http://127.0.0.1:9810/', '']);
    await a.show(strip(2, [255, 0, 0]));
    expect(s.chunks[2]!.startsWith('\r\x1b[3A')).toBe(true);
    expect(plain(s.chunks[2]!).split('\n')).toEqual(['a', ' ● ●', 'preview at http://127.0.0.1:9810/', '']);
  });

  it('counts wrapped lines when moving the cursor up', async () => {
    const s = new Recorder(true);
    s.columns = 20;
    const a = await driver(s, 'a', 2, 1);
    await a.show(strip(2, [0, 255, 0]));
    terminalNote('x'.repeat(45), s);
    await a.show(strip(2, [255, 0, 0]));
    // 'a', one LED row, and a note that wraps over three rows.
    expect(s.chunks[2]!.startsWith('\r\x1b[5A')).toBe(true);
  });

  it('prints a note once when not on a TTY', () => {
    const s = new Recorder(false);
    terminalNote('hello', s);
    expect(s.chunks).toEqual(['hello\n']);
  });

  it('blanks on stop, once, and then writes nothing', async () => {
    const s = new Recorder(false);
    const d = await driver(s, 'stick', 2, 1);
    await d.show([
      [0, 255, 0],
      [255, 0, 0],
    ]);
    await d.stop(true);
    expect(s.chunks).toHaveLength(2);
    // Off a TTY the blank is one log line too (SPEC §10).
    expect(s.chunks[1]).toBe('2026-12-01T12:00:00.000Z stick off: \x1b[38;2;48;48;48m● \x1b[38;2;48;48;48m●\x1b[0m\n');
    await d.stop(true);
    await d.show([
      [0, 255, 0],
      [255, 0, 0],
    ]);
    expect(s.chunks).toHaveLength(2);
    expect(d.up).toBe(false);
  });

  it('goes down and stops writing when the stream breaks (a closed pipe)', async () => {
    const s = new Recorder(false);
    const d = await driver(s, 'stick', 2, 1);
    await d.show([
      [0, 255, 0],
      [0, 0, 0],
    ]);
    s.errorListener!(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await d.show([
      [255, 0, 0],
      [0, 0, 0],
    ]);
    expect(s.chunks).toHaveLength(1);
    expect(d.up).toBe(false);
  });

  it('keeps the last frame when stopped with keep', async () => {
    const s = new Recorder(false);
    const d = await driver(s, 'stick', 2, 1);
    await d.show([
      [0, 255, 0],
      [255, 0, 0],
    ]);
    await d.stop(false);
    expect(s.chunks).toHaveLength(1);
  });
});

describe('terminal output off a TTY, following the controller (SPEC §10)', () => {
  const GREEN = '#00ff00';
  const OFF = '#000000';
  const lines = (r: Recorder) => r.text.split('\n').filter(Boolean);

  async function followed(width = 4, color = true) {
    const s = new Recorder(false);
    const view = new FakeStatusView([outputView('strip', 'web', width, 1), outputView('other', 'web', 2, 1)]);
    const d = await terminalDriverFactory(s, { now: () => T0, color })(config, {
      name: 'strip',
      geometry: { width, height: 1 },
      log: silentLogger,
    });
    await d.start();
    d.follow!(view);
    return { s, view, d };
  }

  it('prints one line while the walker walks, none per step', async () => {
    const { s, view, d } = await followed();
    for (let i = 0; i < 40; i++) {
      const leds = [OFF, OFF, OFF, OFF];
      leds[i % 4] = '#ff9900';
      view.show('strip', leds);
      await d.show(leds.map(() => [0, 0, 0] as const));
    }
    expect(lines(s)).toEqual(['2026-12-01T12:00:00.000Z strip waiting: waiting for the first successful poll']);
  });

  it('prints one line per changed base frame, not per fade or blink step, and one per state change', async () => {
    const { s, view } = await followed();
    view.good(snapshotOf([node('pi-1', { running: 1 })]));
    view.frame('strip', [GREEN, OFF, OFF, OFF]);
    // Fade steps and blink toggles: the displayed colours change, the base frame does not.
    for (let i = 0; i < 30; i++)
      view.show('strip', [`#00${(i * 8).toString(16).padStart(2, '0')}00`, OFF, OFF, OFF], [false, false, false, false]);
    expect(lines(s)).toEqual([
      '2026-12-01T12:00:00.000Z strip live: \x1b[38;2;0;255;0m● \x1b[38;2;48;48;48m● \x1b[38;2;48;48;48m● \x1b[38;2;48;48;48m●\x1b[0m',
    ]);

    // Stale: the status LED blinks twice a second for minutes; one line says so.
    view.setStale(true);
    for (let i = 0; i < 20; i++) view.show('strip', [GREEN, OFF, OFF, i % 2 ? '#ff9900' : OFF]);
    expect(lines(s)).toHaveLength(2);
    expect(lines(s)[1]).toMatch(/^2026-12-01T12:00:00.000Z strip stale: /);

    // Recovery with a new picture, then a new page.
    view.setStale(false);
    view.frame('strip', [GREEN, '#ff0000', OFF, OFF], [false, true, false, false]);
    view.frame('strip', [OFF, OFF, OFF, GREEN], undefined, { page: 1, pages: 2 });
    expect(lines(s).slice(2)).toEqual([
      '2026-12-01T12:00:00.000Z strip live: \x1b[38;2;0;255;0m● \x1b[5m\x1b[38;2;255;0;0m●\x1b[25m \x1b[38;2;48;48;48m● \x1b[38;2;48;48;48m●\x1b[0m',
      '2026-12-01T12:00:00.000Z strip live page 2/2: \x1b[38;2;48;48;48m● \x1b[38;2;48;48;48m● \x1b[38;2;48;48;48m● \x1b[38;2;0;255;0m●\x1b[0m',
    ]);
  });

  it('says how old the cluster data is, when the source knows it (SPEC §3b), without a line per tick of that age', async () => {
    const { s, view } = await followed(4, false);
    view.good(snapshotOf([node('pi-1', { running: 1 })]));
    view.setData({ ageMs: 3400, sampleTime: T0.getTime() - 3400, lane: null, landsEveryMs: 5000 });
    view.frame('strip', [GREEN, OFF, OFF, OFF]);
    view.setData({ ageMs: 4400, sampleTime: T0.getTime() - 3400, lane: null, landsEveryMs: 5000 });
    view.frame('strip', [GREEN, OFF, OFF, OFF]);
    expect(lines(s)).toEqual(['2026-12-01T12:00:00.000Z strip live (cluster as of 3s ago): #00ff00  #000000  #000000  #000000']);
  });

  it('ignores the frames of other outputs and writes hex without colour', async () => {
    const { s, view, d } = await followed(2, false);
    view.good(snapshotOf([node('pi-1', { running: 1 })]));
    view.frame('other', [GREEN, GREEN]);
    expect(s.chunks).toEqual([]);
    view.frame('strip', [GREEN, '#ff0000'], [false, true]);
    await d.stop(true);
    expect(lines(s)).toEqual([
      '2026-12-01T12:00:00.000Z strip live: #00ff00  #ff0000*',
      '2026-12-01T12:00:00.000Z strip off: #000000  #000000',
    ]);
    // Stopped: nothing more, and the listener is given back.
    view.frame('strip', [OFF, GREEN]);
    expect(lines(s)).toHaveLength(2);
    expect(view.listenerCount).toBe(0);
  });

  it('on a TTY ignores follow() and redraws what it is shown', async () => {
    const s = new Recorder(true);
    const view = new FakeStatusView([outputView('strip', 'web', 2, 1)]);
    const d = await driver(s, 'strip', 2, 1);
    d.follow!(view);
    expect(view.listenerCount).toBe(0);
    await d.show(strip(2, [0, 255, 0]));
    await d.show(strip(2, [0, 128, 0]));
    expect(s.chunks).toHaveLength(2);
  });
});

describe('terminal output off a TTY in podglow run (the real poll loop and effects)', () => {
  it('logs one line for the walker, one for the live frame and one when stale, whatever the fades and blinks do', async () => {
    const s = new Recorder(false);
    let polls = 0;
    const source: Source = {
      async poll() {
        polls++;
        if (polls === 2)
          return snapshotOf([node('pi-1', { running: 3, crashing: 1 }), node('pi-2', { pending: 2 })], new Date().toISOString());
        throw new PollError('connection', 'connect ECONNREFUSED 127.0.0.1:1');
      },
    };
    const config = parseConfig(
      {
        source: 'demo',
        interval: '1s',
        staleAfter: '2s',
        outputs: [{ name: 'term', type: 'terminal', width: 8, height: 8, brightness: 1 }],
        server: { enabled: false },
      },
      { env: {} },
    );
    const app = await startPodglow(config, {
      log: silentLogger,
      source,
      createDriver: terminalDriverFactory(s, { now: () => T0 }),
    });
    try {
      const t0 = Date.now();
      while (!app.controller.stale() && Date.now() - t0 < 8000) await new Promise((r) => setTimeout(r, 50));
      expect(app.controller.stale()).toBe(true);
      // Blinking crashing pod and status LED for a while: still no new line.
      await new Promise((r) => setTimeout(r, 1200));
    } finally {
      await app.stop();
    }
    const states = s.text
      .split('\n')
      .filter(Boolean)
      .map((l) => /^\S+ term (\w+)/.exec(l)?.[1]);
    expect(states).toEqual(['waiting', 'live', 'stale', 'off']);
    // The live line shows the base frame: a crashing pod blinks (SGR 5) in the palette's red.
    expect(s.text.split('\n')[1]).toContain('\x1b[5m\x1b[38;2;255;0;0m●\x1b[25m');
  }, 15_000);
});

describe('web output', () => {
  it('is an always-up virtual device without caps or gamma', async () => {
    const d = await createWebDriver({ type: 'web' } as unknown as OutputConfig, {
      name: 'web',
      geometry: { width: 8, height: 8 },
      log: silentLogger,
    });
    await d.start();
    await d.show(off(64));
    await d.stop(true);
    expect([d.up, d.maxBrightness, d.gamma]).toEqual([true, 1, false]);
  });
});
