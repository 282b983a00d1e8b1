import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function demo(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'demo', ...args], {
    cwd: ROOT,
    env: { ...process.env, PODGLOW_CONFIG: '', PODGLOW_PORT: '', NO_COLOR: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitFor<T>(fn: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let run: Run | undefined;
let blocker: Server | undefined;
afterEach(async () => {
  if (run && run.child.exitCode === null && run.child.signalCode === null) {
    run.child.kill('SIGKILL');
    await run.exited;
  }
  run = undefined;
  await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
  blocker = undefined;
});

describe('podglow demo', () => {
  it('starts, prints the preview URL, serves the page, frames change over time, and SIGTERM exits 0', async () => {
    run = demo(['--port', '0']);
    const r = run;
    const url = await waitFor(
      () => /preview at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(r.stdout())?.[1],
      `the preview URL (stderr: ${r.stderr()})`,
    );

    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="app.js" defer></script>');

    type State = {
      ready: boolean;
      snapshot: { nodes: { name: string }[] } | null;
      outputs: { name: string; type: string; width: number; height: number; leds: string[] }[];
    };
    const state = async (): Promise<State> => (await fetch(new URL('api/state', url))).json() as Promise<State>;
    let s = await state();
    for (let i = 0; i < 100 && !s.ready; i++) {
      await new Promise((res) => setTimeout(res, 100));
      s = await state();
    }
    expect(s.ready).toBe(true);
    expect(s.snapshot!.nodes.map((n) => n.name)).toEqual(['pi-1', 'pi-2', 'pi-3', 'pi-4']);
    expect(s.outputs.map((o) => [o.name, o.type, o.width, o.height])).toEqual([
      ['terminal', 'terminal', 8, 8],
      ['unicornhat', 'web', 8, 8],
      ['blinkstick', 'web', 2, 1],
    ]);
    const lit = (o: State['outputs'][number]) => o.leds.filter((c) => c !== '#000000').length;
    expect(lit(s.outputs[1]!)).toBeGreaterThan(8);

    // The simulated cluster scales up within seconds: the matrix fills.
    const seen = new Set<string>([s.outputs[1]!.leds.join()]);
    const t0 = Date.now();
    while (seen.size < 3 && Date.now() - t0 < 15_000) {
      await new Promise((res) => setTimeout(res, 500));
      seen.add((await state()).outputs[1]!.leds.join());
    }
    expect(seen.size).toBeGreaterThanOrEqual(3);

    // The terminal output drew truecolour LEDs.
    expect(r.stdout()).toMatch(/\x1b\[38;2;0;255;0m●/);
    const metrics = await (await fetch(new URL('metrics', url))).text();
    expect(metrics).toMatch(/^podglow_nodes 4$/m);

    const t1 = Date.now();
    r.child.kill('SIGTERM');
    const exit = await r.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - t1).toBeLessThan(5000);
    // The terminal output was blanked on the way out: its last log line is all dark dots.
    const frames = r
      .stdout()
      .split('\n')
      .filter((l) => l.includes(' terminal '));
    expect(frames.at(-1)).toContain(' terminal off: ');
    expect(frames.at(-1)!.match(/\x1b\[38;2;48;48;48m●/g)).toHaveLength(64);
  }, 60_000);

  it('--blinkt adds an 8 × 1 Blinkt! preview of node pi-2: one LED per pod, labelled with the node', async () => {
    run = demo(['--port', '0', '--blinkt']);
    const r = run;
    const url = await waitFor(
      () => /preview at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(r.stdout())?.[1],
      `the preview URL (stderr: ${r.stderr()})`,
    );
    type Out = {
      name: string;
      type: string;
      width: number;
      height: number;
      base: string[];
      bands: { node: string; x: number; width: number }[];
    };
    type State = { ready: boolean; snapshot: { nodes: { name: string; pods: Record<string, number> }[] } | null; outputs: Out[] };
    const state = async (): Promise<State> => (await fetch(new URL('api/state', url))).json() as Promise<State>;
    let s = await state();
    for (let i = 0; i < 100 && !s.ready; i++) {
      await new Promise((res) => setTimeout(res, 100));
      s = await state();
    }
    const blinkt = s.outputs.find((o) => o.name === 'blinkt')!;
    expect([blinkt.type, blinkt.width, blinkt.height]).toEqual(['web', 8, 1]);
    expect(blinkt.bands).toEqual([{ node: 'pi-2', x: 0, width: 8 }]);
    // One LED per shown pod of pi-2 (succeeded pods are not shown), at most eight.
    const pods = s.snapshot!.nodes.find((n) => n.name === 'pi-2')!.pods;
    const shown = Object.entries(pods).reduce((n, [st, c]) => (st === 'succeeded' ? n : n + c), 0);
    expect(blinkt.base.filter((c) => c !== '#000000').length).toBeGreaterThanOrEqual(Math.min(8, shown));
    r.child.kill('SIGTERM');
    expect((await r.exited).code).toBe(0);
  }, 60_000);

  it('says clearly when the port is taken', async () => {
    blocker = createServer();
    await new Promise<void>((res) => blocker!.listen(0, '127.0.0.1', res));
    const port = (blocker.address() as AddressInfo).port;
    run = demo(['--port', String(port)]);
    const exit = await run.exited;
    expect(exit.code).toBe(1);
    expect(run.stderr()).toContain(`port ${port} on 127.0.0.1 is already in use`);
    expect(run.stderr()).toContain('--port');
  }, 30_000);

  it('rejects a bad --port with exit 2', async () => {
    run = demo(['--port', 'abc']);
    const exit = await run.exited;
    expect(exit.code).toBe(2);
    expect(run.stderr()).toContain('--port must be a port number');
  }, 30_000);
});
