import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requirePrometheus, type ScrapeJob } from '../helpers/prometheus.js';

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Prepares (does not start) a Prometheus scraping `jobs` every `scrapeInterval` on a port reserved now. */
export async function preparePrometheus(opts: {
  jobs: ScrapeJob[];
  scrapeInterval?: string;
  /** Paths listed under rule_files (the benchmark's recording rule; reloaded on SIGHUP). */
  ruleFiles?: string[];
  evaluationInterval?: string;
}): Promise<PrometheusProcess> {
  requirePrometheus();
  const dir = await mkdtemp(join(tmpdir(), 'podglow-faults-prom-'));
  const interval = opts.scrapeInterval ?? '1s';
  const config = {
    global: { scrape_interval: interval, evaluation_interval: opts.evaluationInterval ?? '1m' },
    ...(opts.ruleFiles?.length ? { rule_files: opts.ruleFiles } : {}),
    scrape_configs: opts.jobs.map((j) => ({
      job_name: j.job,
      scrape_interval: interval,
      scrape_timeout: interval,
      honor_labels: true,
      static_configs: [{ targets: j.targets, labels: j.labels ?? {} }],
    })),
  };
  await writeFile(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let stderr = '';

  const query = async (expr: string) => {
    const r = await fetch(`${url}/api/v1/query`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: expr }).toString(),
    });
    const body = (await r.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (r.status !== 200 || body.status !== 'success') throw new Error(`query failed (${r.status}): ${body.error}`);
    return body.data.result;
  };

  const p: PrometheusProcess = {
    url,
    port,
    running: () => child !== null && child.exitCode === null && child.signalCode === null,
    pid: () => (p.running() ? child?.pid : undefined),
    async start() {
      if (p.running()) return;
      stderr = '';
      const c = spawn(
        'prometheus',
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--storage.tsdb.retention.time=1h',
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      c.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      child = c;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        if (c.exitCode !== null || c.signalCode !== null) break;
        try {
          if ((await fetch(`${url}/-/ready`)).ok) return;
        } catch {
          // not listening yet
        }
        await sleep(100);
      }
      c.kill('SIGKILL');
      throw new Error(`prometheus did not start on ${url}: ${stderr.trim().split('\n').slice(-3).join('\n')}`);
    },
    async kill() {
      const c = child;
      if (!c || !p.running()) return;
      const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGKILL');
      await gone;
    },
    query,
    async waitForValue(expr, expected, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last = 'no answer';
      while (Date.now() < deadline) {
        try {
          const r = await query(expr);
          last = r.length === 1 ? r[0]!.value[1] : `${r.length} series`;
          if (r.length === 1 && Number(r[0]!.value[1]) === expected) return;
        } catch (e) {
          last = (e as Error).message;
        }
        await sleep(150);
      }
      throw new Error(`timed out waiting for ${expr} == ${expected} (last: ${last})`);
    },
    async dispose() {
      await p.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return p;
}
