import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'podglow-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs test/fakes/crashRun.ts (the real runPodglow with a recording output) until it exits. */
function crashChild(kind: 'exception' | 'rejection') {
  const record = join(dir, `${kind}.jsonl`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fakes/crashRun.ts'], {
    cwd: process.cwd(),
    env: { ...process.env, PODGLOW_TEST_RECORD: record, PODGLOW_TEST_CRASH: kind },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise<{ code: number | null; out: string; lines: { show?: number[][]; stop?: boolean }[] }>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      const lines = readFileSync(record, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { show?: number[][]; stop?: boolean });
      resolve({ code, out, lines });
    }),
  );
}

describe('podglow run: no silent freeze (SPEC §6)', () => {
  it.each(['exception', 'rejection'] as const)(
    'an uncaught %s is logged, every output is blanked (onExit: keep too), exit 1',
    async (kind) => {
      const { code, out, lines } = await crashChild(kind);
      expect(code).toBe(1);
      expect(out).toMatch(
        kind === 'exception' ? /uncaught exception: injected crash/ : /unhandled rejection: injected rejection/,
      );
      // Something was lit before the crash, and the last thing the output got is a blank stop.
      expect(lines.some((l) => l.show?.some((c) => c.some((v) => v > 0)))).toBe(true);
      const last = lines.at(-1)!;
      expect(last.stop).toBe(true);
      expect(last.show).toEqual(new Array(8).fill([0, 0, 0]));
    },
    30_000,
  );
});
