import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { runUntilSignal } from '../../src/cli/run.js';

function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  return {
    proc: { on: (e: 'SIGTERM' | 'SIGINT', l: (s: NodeJS.Signals) => void) => emitter.on(e, l) },
    signal: (s: NodeJS.Signals) => emitter.emit(s, s),
    exit: (code: number) => void exits.push(code),
    exits,
  };
}

describe('runUntilSignal', () => {
  it('stops once on the first signal and resolves 0; a second signal exits at once', async () => {
    const p = fakeProcess();
    let release!: () => void;
    const stop = vi.fn(() => new Promise<void>((r) => (release = r)));
    const done = runUntilSignal(stop, silentLogger, { proc: p.proc, exit: p.exit });
    p.signal('SIGTERM');
    expect(stop).toHaveBeenCalledTimes(1);
    p.signal('SIGINT');
    expect(stop).toHaveBeenCalledTimes(1);
    expect(p.exits).toEqual([130]);
    release();
    await expect(done).resolves.toBe(0);
  });

  it('exits 1 when stop fails', async () => {
    const p = fakeProcess();
    const done = runUntilSignal(() => Promise.reject(new Error('boom')), silentLogger, { proc: p.proc, exit: p.exit });
    p.signal('SIGINT');
    await expect(done).resolves.toBe(1);
  });

  it('ends the process when shutdown takes longer than the timeout', async () => {
    vi.useFakeTimers();
    try {
      const p = fakeProcess();
      void runUntilSignal(() => new Promise<void>(() => undefined), silentLogger, {
        proc: p.proc,
        exit: p.exit,
        timeoutMs: 5000,
      });
      p.signal('SIGTERM');
      await vi.advanceTimersByTimeAsync(4999);
      expect(p.exits).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(p.exits).toEqual([1]);
    } finally {
      vi.useRealTimers();
    }
  });
});

/** A 127.0.0.1 port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  exitedAt: number;
}

/** Starts `podglow run` under tsx; `until` is awaited on stderr before `then(child)` runs. */
function runCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', ...args], {
    cwd: process.cwd(),
    env: { ...process.env, PODGLOW_CONFIG: '', PODGLOW_PROMETHEUS_URL: '', NODE_NAME: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Run>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr, exitedAt: Date.now() })),
  );
  const waitFor = async (text: string, ms = 15_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!stderr.includes(text)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no "${text}" in stderr:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, exited, waitFor, stderr: () => stderr };
}

describe('podglow run (child process)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'podglow-run-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 quickly on SIGTERM while Prometheus is unreachable, with a terminal output', async () => {
    const port = await closedPort();
    const config = join(dir, 'unreachable.yaml');
    writeFileSync(
      config,
      [
        `prometheus: { url: "http://127.0.0.1:${port}", timeout: 2s }`,
        'interval: 1s',
        'outputs: [ { type: terminal, width: 4, height: 1 } ]',
        'server: { enabled: true, address: 127.0.0.1, port: 0 }',
        'log: { level: info, format: json }',
      ].join('\n'),
    );
    const run = runCli(['--config', config]);
    await run.waitFor('"msg":"podglow running"');
    await run.waitFor('poll failed');
    const sent = Date.now();
    run.child.kill('SIGTERM');
    const r = await run.exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.exitedAt - sent).toBeLessThan(5000);
    expect(r.stderr).toContain('"reason":"connection"');
    expect(r.stderr).toContain('"msg":"stopped"');
    // The walker was drawn on the terminal output before the shutdown.
    expect(r.stdout).toContain('\x1b[');
  });

  it('exits 2 on an invalid config before any output is opened', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(
      config,
      ['prometheus: { url: "http://127.0.0.1:1" }', 'outputs: [ { type: unicornhat, rotation: 45 } ]'].join('\n'),
    );
    const run = runCli(['--config', config]);
    const r = await run.exited;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('outputs[0].rotation');
    expect(r.stderr).not.toContain('output started');
  });

  it.each(['json', 'pretty'])('prints a device that cannot start once, with its fix, in %s logs', async (format) => {
    const config = join(dir, `nodevice-${format}.yaml`);
    writeFileSync(
      config,
      [
        'source: demo',
        'server: { enabled: false }',
        'outputs: [ { type: unicornhat, backend: pio, device: /dev/podglow-absent-leds } ]',
        `log: { format: ${format} }`,
      ].join('\n'),
    );
    const r = await runCli(['--config', config]).exited;
    expect(r.code, r.stderr).toBe(1);
    const count = (text: string) => r.stderr.split(text).length - 1;
    expect(count('cannot start'), r.stderr).toBe(1);
    expect(count('/dev/podglow-absent-leds does not exist'), r.stderr).toBe(1);
    expect(count('dtoverlay=ws2812-pio'), r.stderr).toBe(1);
    // Where it failed stays in the log: the driver's frames, once.
    expect(count('PioDriver.start'), r.stderr).toBe(1);
  });

  it('exits 1 with the reason when start-up fails (the HTTP port is taken), without waiting for a signal', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    try {
      const config = join(dir, 'taken.yaml');
      writeFileSync(
        config,
        [
          'prometheus: { url: "http://127.0.0.1:1" }',
          'outputs: [ { type: terminal, width: 4, height: 1 } ]',
          `server: { enabled: true, address: 127.0.0.1, port: ${(taken.address() as { port: number }).port} }`,
          'log: { level: info, format: json }',
        ].join('\n'),
      );
      const r = await runCli(['--config', config]).exited;
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('cannot start');
      expect(r.stderr).toMatch(/EADDRINUSE|in use/);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });
});
