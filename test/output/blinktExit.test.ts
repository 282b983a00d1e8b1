import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ValueWrite } from '../fakes/fakeSysfsGpio.js';
import { decodeFrames, sampleRisingEdges } from './blinktWire.js';

// SPEC §6 for the Blinkt!: off on SIGTERM and SIGINT (as pimoroni/blinkt library/blinkt.py's
// clear-on-exit), blanked after a crash, decoded from the value-file writes of a real child.

const dir = mkdtempSync(join(tmpdir(), 'podglow-blinkt-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs test/fakes/blinktRun.ts; sends `signal` once it is running (and has lit the board). */
function child(kind: 'SIGTERM' | 'SIGINT' | 'exception') {
  const rec = join(dir, `${kind}.json`);
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/fakes/blinktRun.ts'], {
    cwd: process.cwd(),
    env: { ...process.env, PODGLOW_TEST_RECORD: rec, ...(kind === 'exception' ? { PODGLOW_TEST_CRASH: kind } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let signalled = false;
  const onData = (d: Buffer) => {
    out += d.toString();
    if (kind === 'exception' || signalled || !out.includes('"msg":"podglow running"')) return;
    signalled = true;
    setTimeout(() => proc.kill(kind), 1500);
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const killer = setTimeout(() => proc.kill('SIGKILL'), 25_000);
  return new Promise<{ code: number | null; out: string; writes: ValueWrite[] }>((resolve) =>
    proc.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, out, writes: JSON.parse(readFileSync(rec, 'utf8')) as ValueWrite[] });
    }),
  );
}

describe('a Blinkt! under podglow run (fake sysfs tree, real signal and crash handlers)', () => {
  it.each(['SIGTERM', 'SIGINT', 'exception'] as const)(
    '%s: lit while running, the all-off frame last',
    async (kind) => {
      const { code, out, writes } = await child(kind);
      expect(code, out).toBe(kind === 'exception' ? 1 : 0);
      // Pi 5 tree: the RP1 header chip at base 571.
      const r = sampleRisingEdges(writes, 571 + 23, 571 + 24);
      const frames = decodeFrames(r.bits);
      expect(frames.length).toBeGreaterThan(1);
      expect(frames.some((f) => f.some((l) => l.r + l.g + l.b > 0))).toBe(true);
      expect(frames.at(-1)!.map((l) => [l.r, l.g, l.b])).toEqual(new Array(8).fill([0, 0, 0]));
      expect(r.clock).toBe(0);
    },
    30_000,
  );
});
