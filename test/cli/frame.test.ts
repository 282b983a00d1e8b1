import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatBlocks, main, outputFrames, parseSnapshot } from '../../src/cli/frame.js';
import { UsageError } from '../../src/cli/common.js';
import { parseConfig } from '../../src/config/load.js';
import { node, snapshot } from '../layout/helpers.js';

// Characters of the expected pictures → the default palette's colours.
const HEX: Record<string, string> = {
  '.': '#000000',
  G: '#00ff00',
  A: '#ff9900',
  B: '#0000ff',
  X: '#ff0000',
  N: '#400000',
  C: '#402600',
  O: '#ffffff',
};
const leds = (rows: string[]) =>
  rows
    .join('')
    .split('')
    .map((c) => HEX[c]!);

const SNAPSHOT = snapshot(
  [
    node('pi-1', { running: 3, pending: 1 }),
    node('pi-2', { running: 1, terminating: 1, crashing: 1 }, { unschedulable: true }),
    node('pi-3', { running: 2 }, { ready: false }),
  ],
  { pending: 2 },
);

const CONFIG = `
prometheus:
  url: http://127.0.0.1:9/
outputs:
  - name: phat
    type: unicornphat
    rotation: 180
    layout: { type: matrix, columnsPerNode: 2 }
  - type: blinkstick
    layout: { type: summary, node: pi-2 }
  - name: strip
    type: ws281x
    count: 4
    layout: { type: nodes }
  - type: web
    palette: { preset: unicorn-classic }
`;

let dir: string;
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'podglow-frame-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** Runs main() and returns what it printed on stdout. */
async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const code = await main(argv);
  return { code, out: lines.join('\n') };
}

describe('podglow frame --json --snapshot S.json --config C.yaml', () => {
  it('prints exactly the SPEC §10 document (logical order, base colours, first page)', () => {
    const s = file('S.json', JSON.stringify(SNAPSHOT));
    const c = file('C.yaml', CONFIG);
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k === 'NODE_NAME' || k.startsWith('PODGLOW_')) delete env[k];
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'frame', '--json', '--snapshot', s, '--config', c], {
      encoding: 'utf8',
      env,
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const expected = {
      outputs: [
        {
          name: 'phat',
          type: 'unicornphat',
          width: 8,
          height: 4,
          // pi-1 | pi-2 (cordoned; crashing blinks later, in the effects) | pi-3 (NotReady) | left over
          leds: leds([
            'A.' + 'CC' + 'NN' + '..', //
            'G.' + 'XC' + 'NN' + '..',
            'G.' + 'BC' + 'GN' + '..',
            'G.' + 'GC' + 'GN' + '..',
          ]),
        },
        // LED 0: running; LED 1: crashing comes before terminating.
        { name: 'blinkstick', type: 'blinkstick', width: 2, height: 1, leds: leds(['GX']) },
        { name: 'strip', type: 'ws281x', width: 4, height: 1, leds: leds(['AXN.']) },
        {
          name: 'web',
          type: 'web',
          width: 8,
          height: 8,
          // Default matrix, auto = 2 columns per node; unicorn-classic: pending blue, terminating,
          // crashing and the node backgrounds dark.
          leds: leds([...Array<string>(4).fill('........'), 'B.......', 'G.......', 'G...G...', 'G.G.G...']),
        },
      ],
    };
    expect(r.stdout).toBe(JSON.stringify(expected) + '\n');
  });
});

describe('podglow frame (in process)', () => {
  it('takes the summary node from NODE_NAME and needs no Prometheus URL with --snapshot', async () => {
    vi.stubEnv('NODE_NAME', 'pi-1');
    const s = file('S2.json', JSON.stringify(SNAPSHOT));
    const c = file('C2.yaml', 'outputs:\n  - type: blinkstick\n');
    const { code, out } = await run(['--json', '--snapshot', s, '--config', c]);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({
      outputs: [{ name: 'blinkstick', type: 'blinkstick', width: 2, height: 1, leds: leds(['GA']) }],
    });
  });

  it('prints hex blocks when stdout is not a terminal, `*` marking a blinking LED', async () => {
    vi.stubEnv('NODE_NAME', 'pi-2');
    const s = file('S3.json', JSON.stringify(SNAPSHOT));
    const c = file('C3.yaml', 'outputs:\n  - type: blinkstick\n  - type: ws281x\n    count: 2\n    layout: { type: nodes }\n');
    const { code, out } = await run(['--snapshot', s, '--config', c]);
    expect(code).toBe(0);
    // Two nodes-layout LEDs for three nodes: two pages.
    expect(out).toBe(
      ['blinkstick (blinkstick, 2×1)', '#00ff00  #ff0000*', '', 'ws281x (ws281x, 2×1, page 1 of 2)', '#ff9900  #ff0000*'].join(
        '\n',
      ),
    );
  });

  it('reports every problem of an invalid snapshot with its path', async () => {
    const c = file('C4.yaml', CONFIG);
    const bad = { ...SNAPSHOT, nodes: [{ name: 'pi-1', ready: 'yes', unschedulable: false, pods: { running: -1 } }] };
    const s = file('bad.json', JSON.stringify(bad));
    const err = await main(['--snapshot', s, '--config', c]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    const msg = (err as Error).message;
    expect(msg).toContain(s + ' is not a valid snapshot (the JSON of `podglow snapshot --json`)');
    expect(msg).toContain('nodes[0].ready: must be true, false or null');
    expect(msg).toContain('nodes[0].pods.running: must not be negative');
    expect(msg).toContain('nodes[0].pods.pending: missing');
  });

  it('rejects a missing file and a file that is not JSON', async () => {
    const c = file('C5.yaml', CONFIG);
    await expect(main(['--snapshot', join(dir, 'nope.json'), '--config', c])).rejects.toThrow(
      /cannot read snapshot .*nope\.json/,
    );
    const s = file('text.json', 'time: now');
    await expect(main(['--snapshot', s, '--config', c])).rejects.toThrow(/is not JSON/);
  });

  it('exits 1 with the reason when the poll fails', async () => {
    const c = file('C6.yaml', CONFIG);
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
    const { code, out } = await run(['--json', '--config', c]);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(errors.join('\n')).toMatch(/^podglow: poll failed: /);
  });

  it('prints help and exits 0', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out).toContain('Usage: podglow frame');
    expect(out).toContain('--snapshot FILE');
  });
});

describe('parseSnapshot', () => {
  it('accepts the SPEC §4 example and rejects duplicate nodes and unknown states', () => {
    const ok = parseSnapshot(JSON.parse(JSON.stringify(SNAPSHOT)), 's');
    expect(ok).toEqual(SNAPSHOT);
    expect(() => parseSnapshot({ ...SNAPSHOT, nodes: [SNAPSHOT.nodes[0], SNAPSHOT.nodes[0]] }, 's')).toThrow(
      'nodes[1].name: duplicate node "pi-1"',
    );
    expect(() => parseSnapshot({ ...SNAPSHOT, unscheduled: { ...SNAPSHOT.unscheduled, evicted: 1 } }, 's')).toThrow(
      /unscheduled/,
    );
  });
});

describe('parseSnapshot: conditions, alerts and queries (SPEC §4b)', () => {
  const old = {
    time: '2026-11-21T12:00:00.000Z',
    nodes: [{ name: 'pi-1', ready: true, unschedulable: false, pods: SNAPSHOT.nodes[0]!.pods }],
    unscheduled: SNAPSHOT.unscheduled,
  };

  it('loads a file written before they existed, with empty lists and zero counts', () => {
    const s = parseSnapshot(old, 's');
    expect(s.nodes[0]!.conditions).toEqual([]);
    expect(s.nodes[0]!.alerts).toEqual({ critical: 0, warning: 0, info: 0 });
    expect(s.alerts).toEqual({ critical: 0, warning: 0, info: 0 });
    expect(s.queries).toEqual({});
  });

  it('keeps them when present (conditions sorted) and names every bad one with its path', () => {
    const full = {
      ...old,
      nodes: [{ ...old.nodes[0], conditions: ['MemoryPressure', 'DiskPressure'], alerts: { critical: 1, warning: 0, info: 2 } }],
      alerts: { critical: 0, warning: 1, info: 0 },
      queries: { slo: { value: 0.999, color: '#00ff00' }, bad: { value: null, error: 'query bad: returned NaN' } },
    };
    const s = parseSnapshot(full, 's');
    expect(s.nodes[0]!.conditions).toEqual(['DiskPressure', 'MemoryPressure']);
    expect(s.nodes[0]!.alerts).toEqual({ critical: 1, warning: 0, info: 2 });
    expect(s.queries).toEqual(full.queries);
    const bad = {
      ...full,
      nodes: [{ ...full.nodes[0], conditions: 'DiskPressure', alerts: { critical: -1, fatal: 1 } }],
      alerts: { warning: 1.5 },
      queries: { q: { value: 'x', color: 'red' } },
    };
    const msg = (() => {
      try {
        parseSnapshot(bad, 's');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    for (const path of [
      'nodes[0].conditions: must be a list of condition names',
      'nodes[0].alerts.critical: must not be negative',
      'nodes[0].alerts: must be an object with counts for critical, warning and info',
      'alerts.warning: must be a whole number of alerts',
      'queries.q.value: must be a number or null',
      'queries.q.color: must be a colour like #00ff00',
    ]) {
      expect(msg).toContain(path);
    }
  });
});

describe('formatBlocks on a terminal', () => {
  it("draws truecolour LEDs with the terminal output's renderer, dark dots for off LEDs and the blink attribute for blinking LEDs", () => {
    const config = parseConfig(
      { source: 'demo', outputs: [{ type: 'terminal', width: 3, height: 1, layout: { type: 'nodes' } }] },
      { env: {} },
    );
    const frames = outputFrames(config, snapshot([node('a', { running: 1 }), node('b', { crashing: 1 }), node('c')]));
    const text = formatBlocks(frames, true);
    expect(text.split('\n')).toEqual([
      'terminal (terminal, 3×1)',
      // One renderer (src/output/terminal.ts ledRows): blink is switched on and off around its LED only.
      '\x1b[38;2;0;255;0m● ' + '\x1b[5m\x1b[38;2;255;0;0m●\x1b[25m ' + '\x1b[38;2;48;48;48m●\x1b[0m',
    ]);
  });
});
