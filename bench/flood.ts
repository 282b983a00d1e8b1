// Connection floods against a real `podglow run` (issue 20, SPEC §9): the built CLI runs in a
// child process with the demo source polled every second and two web outputs; this process
// scrapes /metrics every second, keeps slow-header clients dripping one byte a second, and
// opens floods of event stream connections, all on 127.0.0.1. Memory is read from
// /proc/<pid>/status (VmRSS now, VmHWM the peak). `npx tsx bench/flood.ts [--floods 5]
// [--size 2000] [--slow 500] [--cli dist/src/cli.js] [--node-arg=--max-semi-space-size=1]`
// prints the steady RSS, each flood's peak and the RSS after; bench/load.ts reuses the parts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { exitAfter } from './worker.js';

/** A `podglow run` child process. */
export interface PodglowChild {
  pid: number;
  /** Scratch directory of the config (and of heap snapshots: the child's working directory). */
  dir: string;
  url: string;
  child: ChildProcess;
  /** Log lines at warn or above seen so far. */
  warnings: string[];
  stop(): Promise<void>;
}

/** The config the floods run against: demo source at 1 s, two web outputs, the server on an ephemeral port. */
export const FLOOD_CONFIG = [
  'source: demo',
  'interval: 1s',
  'outputs: [ { name: hat, type: web, width: 8, height: 8, layout: { type: matrix } }, { name: strip, type: web, width: 32, height: 1, layout: { type: nodes } } ]',
  'server: { enabled: true, address: 127.0.0.1, port: 0 }',
  'log: { level: info, format: json }',
].join('\n');

/** The node flags on the CLI's `#!/usr/bin/env -S node FLAGS` line: npm's bin link and systemd run it with them. */
export function shebangFlags(cli: string): string[] {
  const first = readFileSync(cli, 'utf8').split('\n', 1)[0]!;
  const m = /^#!\/usr\/bin\/env -S node\s*(.*)$/.exec(first);
  return m ? m[1]!.split(/\s+/).filter(Boolean) : [];
}

/** Starts `node [nodeArgs] CLI run` on `config` (nodeArgs default: the CLI's shebang flags) and resolves once it serves HTTP. */
export async function startPodglowChild(
  opts: { cli?: string; config?: string; nodeArgs?: string[] } = {},
): Promise<PodglowChild> {
  const cli = resolve(opts.cli ?? 'dist/src/cli.js');
  const dir = mkdtempSync(join(tmpdir(), 'podglow-flood-'));
  const file = join(dir, 'podglow.yaml');
  writeFileSync(file, opts.config ?? FLOOD_CONFIG);
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? shebangFlags(cli)), cli, 'run', '--config', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
    cwd: dir,
    env: { ...process.env, PODGLOW_CONFIG: '', PODGLOW_PROMETHEUS_URL: '' },
  });
  const warnings: string[] = [];
  let buf = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`podglow run did not start: ${buf.slice(-2000)}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`podglow run exited ${code}: ${buf.slice(-2000)}`)));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      buf = (buf + d).slice(-100_000);
      for (const line of d.split('\n')) {
        if (/"level":(40|50|60)/.test(line) && warnings.length < 50) warnings.push(line.slice(0, 300));
        const m = /"url":"([^"]+)".*"msg":"podglow running"/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      }
    });
  });
  return {
    pid: child.pid!,
    dir,
    url,
    child,
    warnings,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resident memory now and its high-water mark, MiB, from /proc. */
export function memoryOf(pid: number): { rssMiB: number; hwmMiB: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

/** Resets the high-water mark, so the next VmHWM is the peak from now on (Linux clear_refs 5). */
export function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What one flood got: served event streams, refused connections (closed or 503). */
export interface FloodResult {
  served: number;
  refused: number;
}

/**
 * Opens `size` event stream connections at once, reads what they are sent, holds them for
 * `holdMs`, then closes them all. A connection counts as served when it got a 200.
 */
export async function flood(url: string, size: number, holdMs: number): Promise<FloodResult> {
  const u = new URL(url);
  const sockets: Socket[] = [];
  let served = 0;
  const settled = Array.from({ length: size }, () => {
    return new Promise<void>((resolve) => {
      const s = connect(Number(u.port), u.hostname);
      sockets.push(s);
      let head = '';
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        resolve();
      };
      s.on('connect', () => s.write('GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n'));
      s.on('data', (d: Buffer) => {
        if (head.length < 16) {
          head += d.toString('latin1');
          if (head.length >= 12) {
            if (head.startsWith('HTTP/1.1 200')) served++;
            finish();
          }
        }
      });
      s.on('error', finish);
      s.on('close', finish);
    });
  });
  await Promise.race([Promise.all(settled), sleep(15_000)]);
  await sleep(holdMs);
  for (const s of sockets) s.destroy();
  return { served, refused: size - served };
}

/**
 * Keeps `count` clients sending a request's headers one byte a second, reconnecting when the
 * server cuts them off (as it must at the header deadline). Returns a stop function.
 */
export function slowClients(url: string, count: number): () => void {
  const u = new URL(url);
  const text = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n';
  let stopped = false;
  const sockets = new Set<Socket>();
  const one = (): void => {
    if (stopped) return;
    const s = connect(Number(u.port), u.hostname);
    sockets.add(s);
    let i = 0;
    const t = setInterval(() => s.writable && s.write(text[i++ % text.length]!), 1000);
    s.on('error', () => undefined);
    s.on('close', () => {
      clearInterval(t);
      sockets.delete(s);
      // A refused or cut-off client comes back a second later, as a patient attacker would.
      if (!stopped) setTimeout(one, 1000);
    });
  };
  for (let i = 0; i < count; i++) setTimeout(one, (i * 1000) / count);
  return () => {
    stopped = true;
    for (const s of sockets) s.destroy();
  };
}

/** Latency of one GET, ms (NaN when it failed). */
export async function timedGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ ms: number; status: number; body: string }> {
  const t0 = performance.now();
  try {
    const r = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
    const body = await r.text();
    return { ms: performance.now() - t0, status: r.status, body };
  } catch {
    return { ms: NaN, status: 0, body: '' };
  }
}

/** Scrapes /metrics and probes /healthz every `everyMs`; returns the latencies and a stop function. */
export function scraper(
  url: string,
  everyMs = 1000,
): { healthzMs: number[]; failures: () => number; last: () => string; stop(): void } {
  const healthzMs: number[] = [];
  let failures = 0;
  let last = '';
  const t = setInterval(() => {
    void timedGet(new URL('metrics', url).toString()).then((r) => (r.status === 200 ? (last = r.body) : failures++));
    void timedGet(new URL('healthz', url).toString()).then((r) => (r.status === 200 ? healthzMs.push(r.ms) : failures++));
  }, everyMs);
  return { healthzMs, failures: () => failures, last: () => last, stop: () => clearInterval(t) };
}

/** The p-th percentile (0..100) of xs. */
export function percentile(xs: readonly number[], p: number): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** Median RSS over `ms`, sampled every 250 ms. */
export async function steadyRss(pid: number, ms: number): Promise<number> {
  const xs: number[] = [];
  for (let t = 0; t < ms; t += 250) {
    xs.push(memoryOf(pid).rssMiB);
    await sleep(250);
  }
  return percentile(xs, 50);
}

/** V8 heap figures from a /metrics body (prom-client's default metrics), MiB. */
export function heapOf(body: string): { heapUsedMiB: number; heapTotalMiB: number; externalMiB: number } {
  const v = (name: string): number => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(body)?.[1] ?? NaN) / 1048576;
  return {
    heapUsedMiB: v('nodejs_heap_size_used_bytes'),
    heapTotalMiB: v('nodejs_heap_size_total_bytes'),
    externalMiB: v('nodejs_external_memory_bytes'),
  };
}

/**
 * The live heap of a child started with `--heapsnapshot-signal=SIGUSR2`, MiB: a heap snapshot
 * starts with a full GC, so the heap used read by the next scrape is what is really held, not
 * garbage waiting for V8's next major GC. The snapshot itself is deleted; it raises VmHWM,
 * so reset the peak afterwards when it matters.
 */
export async function liveHeapMiB(p: PodglowChild, lastScrape: () => string): Promise<number> {
  const before = new Set(readdirSync(p.dir));
  p.child.kill('SIGUSR2');
  let file = '';
  let size = -1;
  for (let i = 0; i < 240; i++) {
    await sleep(250);
    file ||= readdirSync(p.dir).find((n) => n.endsWith('.heapsnapshot') && !before.has(n)) ?? '';
    if (!file) continue;
    const now = statSync(join(p.dir, file)).size;
    if (now > 0 && now === size) break;
    size = now;
  }
  if (!file) throw new Error('no heap snapshot written');
  rmSync(join(p.dir, file), { force: true });
  const stale = lastScrape();
  for (let i = 0; i < 40 && lastScrape() === stale; i++) await sleep(100);
  return heapOf(lastScrape()).heapUsedMiB;
}

/** What the flood bench measured. */
export interface FloodBenchResult {
  nodeArgs: string[];
  steadyMiB: number;
  steadyHeapUsedMiB: number;
  steadyHeapTotalMiB: number;
  floods: (FloodResult & { peakMiB: number; afterMiB: number; heapUsedMiB: number; heapTotalMiB: number; externalMiB: number })[];
  peakMiB: number;
  /** Median RSS 20 s after the last flood. */
  settledMiB: number;
  settledHeapUsedMiB: number;
  settledHeapTotalMiB: number;
  /** With `gcProbe`: RSS and heap used after the full GC a heap snapshot makes (tells garbage from a leak). */
  afterGc?: { rssMiB: number; heapUsedMiB: number };
  healthzP99Ms: number;
  scrapeFailures: number;
}

/** Steady RSS, then `floods` floods of `size` with `slow` slow clients and scrapes throughout, then the settled RSS. */
export async function floodBench(opts: {
  cli?: string;
  nodeArgs?: string[];
  floods?: number;
  size?: number;
  slow?: number;
  holdMs?: number;
  gcProbe?: boolean;
}): Promise<FloodBenchResult> {
  const cli = opts.cli ?? 'dist/src/cli.js';
  const nodeArgs = [...(opts.nodeArgs ?? shebangFlags(cli)), ...(opts.gcProbe ? ['--heapsnapshot-signal=SIGUSR2'] : [])];
  const p = await startPodglowChild({ cli, nodeArgs });
  const scrapes = scraper(p.url);
  let stopSlow: (() => void) | undefined;
  try {
    await sleep(15_000);
    const steadyMiB = await steadyRss(p.pid, 10_000);
    const steadyHeap = heapOf(scrapes.last());
    resetPeak(p.pid);
    stopSlow = slowClients(p.url, opts.slow ?? 500);
    const floods: FloodBenchResult['floods'] = [];
    for (let i = 0; i < (opts.floods ?? 5); i++) {
      resetPeak(p.pid);
      const r = await flood(p.url, opts.size ?? 2000, opts.holdMs ?? 3000);
      const peakMiB = memoryOf(p.pid).hwmMiB;
      await sleep(3000);
      floods.push({ ...r, peakMiB, afterMiB: memoryOf(p.pid).rssMiB, ...heapOf(scrapes.last()) });
    }
    stopSlow();
    stopSlow = undefined;
    const settledMiB = await (async () => {
      await sleep(12_000);
      return steadyRss(p.pid, 8000);
    })();
    const afterGc = opts.gcProbe ? { rssMiB: NaN, heapUsedMiB: await liveHeapMiB(p, scrapes.last) } : undefined;
    if (afterGc) afterGc.rssMiB = memoryOf(p.pid).rssMiB;
    return {
      afterGc,
      nodeArgs,
      steadyMiB,
      steadyHeapUsedMiB: steadyHeap.heapUsedMiB,
      steadyHeapTotalMiB: steadyHeap.heapTotalMiB,
      floods,
      peakMiB: Math.max(...floods.map((f) => f.peakMiB)),
      settledMiB,
      settledHeapUsedMiB: heapOf(scrapes.last()).heapUsedMiB,
      settledHeapTotalMiB: heapOf(scrapes.last()).heapTotalMiB,
      healthzP99Ms: percentile(scrapes.healthzMs, 99),
      scrapeFailures: scrapes.failures(),
    };
  } finally {
    stopSlow?.();
    scrapes.stop();
    await p.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      cli: { type: 'string' },
      floods: { type: 'string', default: '5' },
      size: { type: 'string', default: '2000' },
      slow: { type: 'string', default: '500' },
      'node-arg': { type: 'string', multiple: true },
      'gc-probe': { type: 'boolean', default: false },
    },
  });
  exitAfter(
    floodBench({
      gcProbe: values['gc-probe'],
      cli: values.cli,
      nodeArgs: values['node-arg'],
      floods: Number(values.floods),
      size: Number(values.size),
      slow: Number(values.slow),
    }),
    (r) => console.log(JSON.stringify(r, null, 1)),
  );
}
