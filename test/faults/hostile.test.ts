// Hostile answers (SPEC §3 "Answers are bounded"): a gzip bomb, an endless slow body and an
// 80 MB JSON answer from a canned Prometheus on 127.0.0.1. Each costs a named error that
// gives the size, within the timeout; the real `podglow snapshot` and `podglow run` processes
// stay under 256 MiB peak RSS, and `run` stays alive and counts the errors.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { PollError } from '../../src/source/errors.js';
import { PrometheusSource } from '../../src/source/prometheus.js';
import { HEALTHY, startCanned, type CannedPrometheus } from '../helpers/cannedPrometheus.js';
import { freePort } from '../helpers/prometheus.js';

vi.setConfig({ testTimeout: 90_000 });

const MiB = 1024 * 1024;

/** ~300 KiB of gzip that inflates to 300 MiB of zeros, made without holding the 300 MiB. */
async function gzipBomb(mib: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((r) => gz.on('end', r));
  const zeros = Buffer.alloc(MiB);
  for (let i = 0; i < mib; i++) if (!gz.write(zeros)) await new Promise((r) => gz.once('drain', r));
  gz.end();
  await done;
  return Buffer.concat(out);
}

type Hostile = 'bomb' | 'slow' | 'huge';
let bomb: Buffer;
let srv: CannedPrometheus;
let mode: Hostile = 'bomb';
const dir = mkdtempSync(join(tmpdir(), 'podglow-hostile-'));

/** Streams an endless or huge body on the raw response (the canned server's handler hands us none, so we hook its socket). */
function streamBody(res: http.ServerResponse, what: 'slow' | 'huge'): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.write('{"status":"success","data":{"resultType":"vector","result":[');
  const series = Buffer.from('{"metric":{"node":"n","state":"running","pad":"' + 'x'.repeat(900) + '"},"value":[1,"1"]},');
  if (what === 'slow') {
    const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(series)), 100);
    res.on('close', () => clearInterval(timer));
    return;
  }
  let sent = 0;
  const pump = () => {
    while (sent < 80_000_000 && !res.destroyed) {
      sent += series.length;
      if (!res.write(series)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end('{"metric":{},"value":[1,"1"]}]}}');
  };
  pump();
}

beforeAll(async () => {
  bomb = await gzipBomb(300);
  srv = await startCanned((r) => {
    if (r.query !== 'pods') return { body: HEALTHY[r.query as keyof typeof HEALTHY] ?? '{}' };
    if (mode === 'bomb') return { body: bomb, headers: { 'Content-Encoding': 'gzip' } };
    return { stream: (res) => streamBody(res, mode as 'slow' | 'huge') };
  });
});

afterAll(async () => {
  await srv?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What each hostile answer must be called (the size named, not "no kube-state-metrics data"). */
const EXPECTED: Record<Hostile, { reason: string; message: RegExp }> = {
  bomb: { reason: 'invalid_response', message: /pods query: answers too large: more than 16 MiB decoded in this poll/ },
  huge: { reason: 'invalid_response', message: /pods query: answers too large: more than 16 MiB decoded in this poll/ },
  slow: { reason: 'timeout', message: /pods query: answer not complete within 3000 ms \(\d+(\.\d)? KiB decoded so far\)/ },
};

describe.each(['bomb', 'huge', 'slow'] as const)('a hostile answer: %s', (kind) => {
  it('fails the poll with a named error within the timeout (in process)', async () => {
    mode = kind;
    const config = parseConfig({ outputs: [{ type: 'terminal' }], prometheus: { url: srv.url, timeout: '3s' } }, { env: {} });
    const source = new PrometheusSource(config, { log: silentLogger });
    const t0 = performance.now();
    const e = await source.poll().then(
      () => null,
      (err: unknown) => err,
    );
    const ms = performance.now() - t0;
    source.close();
    expect(e).toBeInstanceOf(PollError);
    expect((e as PollError).reason).toBe(EXPECTED[kind].reason);
    expect((e as PollError).message).toMatch(EXPECTED[kind].message);
    expect(ms).toBeLessThan(3000 + 1500);
  });

  it('`podglow snapshot` exits 1 with that error, under 256 MiB peak RSS', async () => {
    mode = kind;
    const config = join(dir, 'snapshot.yaml');
    writeFileSync(
      config,
      `prometheus: { url: "${srv.url}", timeout: 3s }\noutputs: [ { type: terminal } ]\nlog: { level: error }\n`,
    );
    // GNU time reports the child's peak RSS (VmHWM) after it exits.
    // Not spawnSync: the canned server answering it lives in this process.
    const child = spawn(
      '/usr/bin/time',
      ['-v', process.execPath, '--import', 'tsx', 'src/cli.ts', 'snapshot', '--json', '--config', config],
      {
        env: { ...process.env, PODGLOW_CONFIG: '', PODGLOW_PROMETHEUS_URL: '' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const status = await new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    clearTimeout(timer);
    const r = { status, stderr };
    const peakKiB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
    console.info(`podglow snapshot against the ${kind}: exit ${r.status}, peak RSS ${(peakKiB / 1024).toFixed(0)} MiB`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(EXPECTED[kind].message);
    expect(r.stderr).not.toMatch(/no kube-state-metrics data/);
    expect(peakKiB).toBeGreaterThan(0);
    expect(peakKiB / 1024).toBeLessThan(256);
  });
});

describe('`podglow run` against hostile answers', () => {
  it('stays alive, counts every failed poll in podglow_poll_errors_total and stays under 256 MiB peak RSS', async () => {
    const port = await freePort();
    const config = join(dir, 'run.yaml');
    writeFileSync(
      config,
      [
        `prometheus: { url: "${srv.url}", timeout: 2s }`,
        'interval: 1s',
        'outputs: [ { type: terminal, width: 4, height: 1 } ]',
        `server: { enabled: true, address: 127.0.0.1, port: ${port} }`,
        'log: { level: error }',
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', '--config', config], {
      env: { ...process.env, PODGLOW_CONFIG: '', PODGLOW_PROMETHEUS_URL: '', NODE_NAME: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const peak = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    const errors = async (): Promise<number> => {
      try {
        const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return [...body.matchAll(/^podglow_poll_errors_total\{reason="(?:invalid_response|timeout)"\} (\S+)/gm)].reduce(
          (n, m) => n + Number(m[1]),
          0,
        );
      } catch {
        return -1;
      }
    };
    try {
      // Two failed polls of each hostile answer, one after the other.
      let seen = 0;
      for (const kind of ['bomb', 'huge', 'slow'] as const) {
        mode = kind;
        const deadline = Date.now() + 40_000;
        const target = seen + 2;
        while ((seen = await errors()) < target) {
          expect(child.exitCode, stderr).toBeNull();
          if (Date.now() > deadline)
            throw new Error(`run counted ${seen} errors, expected ${target}, during ${kind}:\n${stderr}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      const peakMiB = peak();
      console.info(`podglow run through bomb, huge and slow answers: ${seen} errors counted, peak RSS ${peakMiB.toFixed(0)} MiB`);
      expect(child.exitCode).toBeNull();
      expect(peakMiB).toBeLessThan(256);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
