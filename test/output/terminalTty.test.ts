// The terminal output as a person sees it: `podglow demo` under a real pseudo-terminal (util-linux
// `script`), where it labels the picture with node names and a legend of the colours in use,
// and through a pipe (a log), where it stays one line per change.
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderTerminalFrame, terminalLabels } from '../../src/output/terminal.js';
import type { LegendEntry } from '../../src/layout/labels.js';

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]|\\r`, 'g');
const plain = (s: string): string => s.replace(ANSI, '');
const haveScript = spawnSync('script', ['--version']).status === 0;

/** Runs `podglow demo` (optionally under `script`, i.e. on a pty) until `done(output)` or the deadline, then stops it. */
async function demo(tty: boolean, done: (out: string) => boolean): Promise<string> {
  const cmd = `${process.execPath} --import tsx src/cli.ts demo --port 0`;
  const child = tty
    ? spawn('script', ['-qfec', cmd, '/dev/null'], {
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, COLUMNS: '100', NO_COLOR: '' },
      })
    : spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'demo', '--port', '0'], {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '' },
      });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 20_000;
  try {
    while (!done(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  } finally {
    // The process group this test started (script, its shell, podglow).
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
    await new Promise((r) => child.once('exit', r));
  }
  return out;
}

describe('terminal output on a pseudo-terminal', () => {
  it.skipIf(!haveScript)(
    'labels the bands with node names and shows a one-line legend of the colours in use',
    async () => {
      const out = plain(await demo(true, (o) => /● running/.test(plain(o)) && /1 pi-1/.test(plain(o))));
      const lines = out.split('\n');
      // The demo's 8×8 matrix has four nodes of two columns: marks under the bands, their key below.
      expect(lines).toContain(' 1   2   3   4');
      expect(lines).toContain(' 1 pi-1  2 pi-2  3 pi-3  4 pi-4');
      const legend = lines.filter((l) => / ● running/.test(l) || /^ ● \w+/.test(l));
      expect(legend.length).toBeGreaterThan(0);
      // One line, only palette names (colours present in the picture), never the whole palette.
      for (const l of legend) {
        expect(l).toMatch(/^ ● \w+( {2}● \w+)*$/);
        expect(l).not.toContain('overflow');
      }
    },
    30_000,
  );

  it('off a TTY stays one line per change, without labels or legend', async () => {
    const out = await demo(false, (o) => o.split('\n').filter((l) => / terminal live/.test(l)).length >= 1);
    const lines = out.split('\n').filter(Boolean);
    expect(lines.some((l) => /^\S+Z terminal live: /.test(l))).toBe(true);
    expect(out).not.toMatch(/1 pi-1|● running/);
    expect(out).not.toContain('\x1b[2K');
  }, 30_000);
});

describe('terminalLabels', () => {
  const legend: LegendEntry[] = [
    { key: 'running', color: '#00ff00', blink: false },
    { key: 'pending', color: '#ffaa00', blink: false },
    { key: 'crashing', color: '#ff0000', blink: true },
    { key: 'overflow', color: '#ffffff', blink: false },
  ];
  const base = ['#00ff00', '#000000', '#ff0000', '#00ff00', '#000000', '#000000', '#000000', '#000000'];

  it('writes names under the bands when they fit, and the colours in use in palette order', () => {
    const geometry = { width: 8, height: 1 };
    const l = terminalLabels(
      geometry,
      {
        layout: 'matrix',
        bands: [
          { node: 'a1', x: 0, width: 4 },
          { node: 'worker', x: 4, width: 4 },
        ],
        ledNodes: [],
        subject: null,
      },
      legend,
      base,
      false,
    );
    expect([...l.under]).toEqual([
      [0, 'a1'],
      [4, 'worker'],
    ]);
    expect(l.below).toEqual([' #00ff00 running  #ff0000* crashing']);
    const lines = renderTerminalFrame(
      'hat',
      geometry,
      base.map(() => [0, 0, 0] as const),
      l,
    ).map(plain);
    expect(lines).toEqual(['hat', ' ● ● ● ● ● ● ● ●', ' a1      worker', ' #00ff00 running  #ff0000* crashing']);
  });

  it('marks LEDs of a nodes layout under their row (wrapped rows too) and keys the marks', () => {
    const geometry = { width: 3, height: 2 };
    const l = terminalLabels(
      geometry,
      {
        layout: 'nodes',
        bands: [],
        ledNodes: ['n-a', 'n-b', 'n-c', 'n-d'].map((node, index) => ({ node, index })),
        subject: null,
      },
      legend,
      [],
      true,
    );
    const lines = renderTerminalFrame(
      'strip',
      geometry,
      Array.from({ length: 6 }, () => [0, 0, 0] as const),
      l,
    ).map(plain);
    expect(lines).toEqual(['strip', ' ● ● ●', ' 1 2 3', ' ● ● ●', ' 4', ' 1 n-a  2 n-b  3 n-c  4 n-d']);
  });

  it('names the node a summary shows', () => {
    const l = terminalLabels(
      { width: 1, height: 1 },
      { layout: 'summary', bands: [], ledNodes: [], subject: '*' },
      legend,
      ['#ffaa00'],
      true,
    );
    expect(l.below.map(plain)).toEqual([' the whole cluster', ' ● pending']);
  });
});
