import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One scrape job of the test Prometheus. */
export interface ScrapeJob {
  job: string;
  /** `host:port` targets serving `/metrics`. */
  targets: string[];
  /** Target labels (e.g. `cluster`) added to every series. */
  labels?: Record<string, string>;
}

/** A Prometheus answer sample: labels and the value as Prometheus sends it (a string). */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One rule group's state from /api/v1/rules. */
export interface RuleGroupStatus {
  name: string;
  file: string;
  /** Seconds the last evaluation of the whole group took. */
  evaluationTime: number;
  lastEvaluation: string;
  rules: { name: string; health: string; lastError?: string; evaluationTime: number }[];
}

/** A running Debian `prometheus` on 127.0.0.1, with its own config and data directory. */
export interface TestPrometheus {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Instant query; throws with Prometheus' error text on failure. */
  query(expr: string): Promise<PromSample[]>;
  /** Raw instant query: HTTP status and parsed JSON body. */
  queryRaw(expr: string): Promise<{ status: number; body: { status: string; errorType?: string; error?: string } }>;
  /** Polls `expr` until its single value equals `expected` (as a number). */
  waitForValue(expr: string, expected: number, timeoutMs?: number): Promise<void>;
  /** Waits until every target of every job has scraped fixture generation `generation` (see ksmFixture). */
  waitForGeneration(generation: number, timeoutMs?: number): Promise<void>;
  /** The rule groups as /api/v1/rules reports them (empty without rule files). */
  ruleGroups(): Promise<RuleGroupStatus[]>;
  /** Waits until every rule group has finished an evaluation that started after `after` (ms since epoch), without errors. */
  waitForRuleEvaluation(after: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Fails with an actionable message when the binary is missing (tests are never skipped for it). */
export function requirePrometheus(): void {
  const r = spawnSync('prometheus', ['--version'], { stdio: 'ignore' });
  if (r.error) throw new Error('the prometheus binary is not on PATH: install prometheus (apt-get install prometheus)');
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a test Prometheus scrapes and evaluates. */
export interface PrometheusSetup {
  jobs: ScrapeJob[];
  /** Scrape interval and timeout of every job (default 1s). */
  scrapeInterval?: string;
  /** Paths listed under rule_files. */
  ruleFiles?: string[];
  /** How often rules are evaluated (default 1m, or 1s when there are rule files). */
  evaluationInterval?: string;
}

/** Writes `dir/prometheus.yml` for `setup` and returns its path. */
export async function writePrometheusConfig(dir: string, setup: PrometheusSetup): Promise<string> {
  const interval = setup.scrapeInterval ?? '1s';
  const ruleFiles = setup.ruleFiles ?? [];
  const config = {
    global: { scrape_interval: interval, evaluation_interval: setup.evaluationInterval ?? (ruleFiles.length ? '1s' : '1m') },
    ...(ruleFiles.length ? { rule_files: ruleFiles } : {}),
    scrape_configs: setup.jobs.map((j) => ({
      job_name: j.job,
      scrape_interval: interval,
      scrape_timeout: interval,
      honor_labels: true,
      static_configs: [{ targets: j.targets, labels: j.labels ?? {} }],
    })),
  };
  const file = join(dir, 'prometheus.yml');
  // JSON is valid YAML.
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

/** Spawns `bin args` and waits until `readyUrl` answers 200; on failure kills it and throws with the end of its log. */
export async function launchProcess(bin: string, args: string[], readyUrl: string): Promise<ChildProcess> {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const deadline = Date.now() + 30_000;
  while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
    try {
      if ((await fetch(readyUrl)).ok) return child;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`${bin} did not start (${readyUrl}): ${stderr.trim().split('\n').slice(-3).join('\n')}`);
}

/** Runs `start` on a free port, trying another when the port is taken before the server binds it (3 attempts). */
export async function onFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await start(await freePort());
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

/**
 * Starts `prometheus` with the config and data of `dir` on 127.0.0.1:`port` and waits until
 * it answers /-/ready; on failure kills it and throws with the end of its log.
 */
export function launchPrometheus(dir: string, port: number): Promise<ChildProcess> {
  return launchProcess(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    `http://127.0.0.1:${port}/-/ready`,
  );
}

/**
 * Instant queries against the Prometheus-compatible API at `url`; `beforeEachTry` runs before
 * every attempt of waitForValue (VictoriaMetrics flushes there), its failure counting as a miss.
 */
export function queryClient(
  url: string,
  beforeEachTry?: () => Promise<void>,
): Pick<TestPrometheus, 'query' | 'queryRaw' | 'waitForValue'> {
  const queryRaw = async (expr: string) => {
    const r = await fetch(`${url}/api/v1/query`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: expr }).toString(),
    });
    return {
      status: r.status,
      body: (await r.json()) as { status: string; errorType?: string; error?: string; data?: { result: PromSample[] } },
    };
  };
  const query = async (expr: string) => {
    const { status, body } = await queryRaw(expr);
    if (status !== 200 || body.status !== 'success') throw new Error(`query failed (${status}): ${body.error}`);
    return body.data!.result;
  };
  const waitForValue = async (expr: string, expected: number, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      try {
        await beforeEachTry?.();
        const r = await query(expr);
        last = r.length === 1 ? r[0]!.value[1] : `${r.length} series`;
        if (r.length === 1 && Number(r[0]!.value[1]) === expected) return;
      } catch (e) {
        // Not up (yet or any more): keep waiting, and say why if it never comes.
        last = (e as Error).message;
      }
      await sleep(150);
    }
    throw new Error(`timed out waiting for ${expr} == ${expected} (last: ${last})`);
  };
  return { query, queryRaw, waitForValue };
}

/**
 * Polls `ruleGroups` until every group has an evaluation that started after `after` (ms since
 * epoch); throws at once on a rule in error, and names `what` when `timeoutMs` passes first.
 */
export async function waitForRuleGroups(
  ruleGroups: () => Promise<RuleGroupStatus[]>,
  after: number,
  timeoutMs: number,
  what = 'a rule evaluation',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no rule groups';
  while (Date.now() < deadline) {
    const groups = await ruleGroups();
    const bad = groups.flatMap((g) => g.rules.filter((r) => r.health === 'err').map((r) => `${r.name}: ${r.lastError}`));
    if (bad.length) throw new Error(`rule evaluation failed: ${bad.join('; ')}`);
    if (groups.length && groups.every((g) => Date.parse(g.lastEvaluation) > after)) return;
    last = groups.map((g) => `${g.name} at ${g.lastEvaluation}`).join(', ') || last;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what} after ${new Date(after).toISOString()} (last: ${last})`);
}

/**
 * Starts Prometheus scraping `jobs` every `scrapeInterval` (default 1s) on a random free
 * 127.0.0.1 port and waits until every target has been scraped successfully.
 */
export async function startPrometheus(opts: {
  jobs: ScrapeJob[];
  scrapeInterval?: string;
  /** Rule files (objects such as buildRecordingRules' result), each written to its own file under rule_files. */
  ruleFiles?: object[];
  /** How often rules are evaluated (default 1m, or 1s when there are rule files). */
  evaluationInterval?: string;
}): Promise<TestPrometheus> {
  requirePrometheus();
  const dir = await mkdtemp(join(tmpdir(), 'podglow-prom-'));
  const ruleFiles = (opts.ruleFiles ?? []).map((_, i) => join(dir, `rules-${i}.yml`));
  for (const [i, r] of (opts.ruleFiles ?? []).entries()) await writeFile(ruleFiles[i]!, JSON.stringify(r, null, 2));
  await writePrometheusConfig(dir, { ...opts, ruleFiles });
  const totalTargets = opts.jobs.reduce((n, j) => n + j.targets.length, 0);

  let launched: { proc: ChildProcess; url: string };
  try {
    // A port found free can be taken before Prometheus binds it: try another.
    launched = await onFreePort(async (port) => ({ proc: await launchPrometheus(dir, port), url: `http://127.0.0.1:${port}` }));
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const { proc, url } = launched;
  const { query, queryRaw, waitForValue } = queryClient(url);
  const ruleGroups = async () => {
    const r = await fetch(`${url}/api/v1/rules`);
    const body = (await r.json()) as { status: string; data?: { groups: RuleGroupStatus[] } };
    if (r.status !== 200 || body.status !== 'success') throw new Error(`/api/v1/rules failed (${r.status})`);
    return body.data!.groups;
  };
  const p: TestPrometheus = {
    url,
    query,
    queryRaw,
    waitForValue,
    ruleGroups,
    // lastEvaluation is when the group's evaluation started; it has finished once the API reports it.
    waitForRuleEvaluation: (after, timeoutMs = 20_000) => waitForRuleGroups(ruleGroups, after, timeoutMs),
    waitForGeneration: (generation, timeoutMs) =>
      waitForValue(`count(ksm_fixture_generation >= ${generation})`, totalTargets, timeoutMs),
    async stop() {
      await stopChild(proc);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitForValue('count(up == 1)', totalTargets, 30_000);
  } catch (e) {
    await p.stop();
    throw e;
  }
  return p;
}
