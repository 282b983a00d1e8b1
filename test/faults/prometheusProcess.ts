import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  launchPrometheus,
  queryClient,
  requirePrometheus,
  writePrometheusConfig,
  type PrometheusSetup,
} from '../helpers/prometheus.js';

/** A Debian `prometheus` on a fixed 127.0.0.1 port that can be killed and started again on the same port and data. */
export interface PrometheusProcess {
  url: string;
  port: number;
  /** Starts (or restarts) the server and waits until it answers /-/ready. */
  start(): Promise<void>;
  /** SIGKILLs the server, as a crash or an OOM kill would; resolves once it is gone. */
  kill(): Promise<void>;
  running(): boolean;
  /** Process id while running. */
  pid(): number | undefined;
  /** Instant query (throws unless it succeeds). */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Polls `expr` until its single value equals `expected`. */
  waitForValue(expr: string, expected: number, timeoutMs?: number): Promise<void>;
  /** Kills it and removes its data directory. */
  dispose(): Promise<void>;
}

/** Prepares (does not start) a Prometheus scraping `jobs` every `scrapeInterval` on a port reserved now. */
export async function preparePrometheus(opts: PrometheusSetup): Promise<PrometheusProcess> {
  requirePrometheus();
  const dir = await mkdtemp(join(tmpdir(), 'podglow-faults-prom-'));
  await writePrometheusConfig(dir, opts);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const { query, waitForValue } = queryClient(url);

  const p: PrometheusProcess = {
    url,
    port,
    running: () => child !== null && child.exitCode === null && child.signalCode === null,
    pid: () => (p.running() ? child?.pid : undefined),
    async start() {
      if (p.running()) return;
      child = await launchPrometheus(dir, port);
    },
    async kill() {
      const c = child;
      if (!c || !p.running()) return;
      const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGKILL');
      await gone;
    },
    query,
    waitForValue,
    async dispose() {
      await p.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return p;
}
