// A real VictoriaMetrics (Debian `victoria-metrics`, single node) scraping the fixture, with
// Debian's `vmalert` (same package) evaluating rule files against it and writing the results
// back by remote write: the second backend the real-source tests run against.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  launchProcess,
  onFreePort,
  queryClient,
  startPrometheus,
  stopChild,
  waitForRuleGroups,
  type RuleGroupStatus,
  type ScrapeJob,
  type TestPrometheus,
} from './prometheus.js';

/** The backends the real-source tests run against. */
export const BACKENDS = ['prometheus', 'victoriametrics'] as const;
export type BackendKind = (typeof BACKENDS)[number];

/** What a test backend scrapes and evaluates (the same for both kinds). */
export interface BackendSetup {
  jobs: ScrapeJob[];
  scrapeInterval?: string;
  /** Rule files (objects such as buildRecordingRules' result). */
  ruleFiles?: object[];
  evaluationInterval?: string;
  /** VictoriaMetrics only: extra command-line flags, e.g. `-search.maxQueryLen=16384`. */
  vmFlags?: string[];
}

/** A running test backend; `kind` and `version` say which server answers. */
export interface TestBackend extends TestPrometheus {
  kind: BackendKind;
  /** Server version as its binary reports it. */
  version: string;
}

/** Starts the backend of `kind` (Prometheus or VictoriaMetrics + vmalert) for `setup`. */
export async function startBackend(kind: BackendKind, setup: BackendSetup): Promise<TestBackend> {
  if (kind === 'prometheus') {
    const p = await startPrometheus(setup);
    const out = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
    return { ...p, kind, version: /version (\S+)/.exec(`${out.stdout}${out.stderr}`)?.[1] ?? 'unknown' };
  }
  return startVictoriaMetrics(setup);
}

/** Fails with an actionable message when a binary is missing (tests are never skipped for it). */
function requireBinary(name: string): void {
  if (spawnSync(name, ['-version'], { stdio: 'ignore' }).error) {
    throw new Error(
      `the ${name} binary is not on PATH: install victoria-metrics (apt-get install victoria-metrics; vmalert is in it)`,
    );
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `bin` on a free port (retrying when the port is taken meanwhile); returns it and its base URL. */
function launchOnFreePort(
  bin: string,
  args: (port: number) => string[],
  readyPath: string,
): Promise<{ child: ChildProcess; url: string }> {
  return onFreePort(async (port) => {
    const url = `http://127.0.0.1:${port}`;
    return { child: await launchProcess(bin, args(port), `${url}${readyPath}`), url };
  });
}

/**
 * Starts a single-node VictoriaMetrics scraping `jobs`, plus vmalert when there are rule
 * files. `-search.latencyOffset=1s`: by default (30 s) VictoriaMetrics hides the last 30 s
 * of samples from a query at `time=now` (measured; see docs/prometheus.md, "Backends"), which would make
 * every scenario switch wait half a minute.
 */
export async function startVictoriaMetrics(setup: BackendSetup): Promise<TestBackend> {
  requireBinary('victoria-metrics');
  const dir = await mkdtemp(join(tmpdir(), 'podglow-vm-'));
  const interval = setup.scrapeInterval ?? '1s';
  const scrape = {
    global: { scrape_interval: interval },
    scrape_configs: setup.jobs.map((j) => ({
      job_name: j.job,
      scrape_interval: interval,
      scrape_timeout: interval,
      honor_labels: true,
      static_configs: [{ targets: j.targets, labels: j.labels ?? {} }],
    })),
  };
  await writeFile(join(dir, 'scrape.yml'), JSON.stringify(scrape, null, 2));
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const c of children.reverse()) await stopChild(c);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const vm = await launchOnFreePort(
      'victoria-metrics',
      (port) => [
        `-httpListenAddr=127.0.0.1:${port}`,
        `-storageDataPath=${join(dir, 'data')}`,
        `-promscrape.config=${join(dir, 'scrape.yml')}`,
        '-retentionPeriod=1d',
        '-search.latencyOffset=1s',
        '-loggerLevel=ERROR',
        ...(setup.vmFlags ?? []),
      ],
      '/health',
    );
    children.push(vm.child);
    let alertUrl: string | null = null;
    const ruleFiles = setup.ruleFiles ?? [];
    if (ruleFiles.length) {
      requireBinary('vmalert');
      const files = ruleFiles.map((_, i) => join(dir, `rules-${i}.yml`));
      for (const [i, r] of ruleFiles.entries()) await writeFile(files[i]!, JSON.stringify(r, null, 2));
      const alert = await launchOnFreePort(
        'vmalert',
        (port) => [
          `-httpListenAddr=127.0.0.1:${port}`,
          `-datasource.url=${vm.url}`,
          `-remoteWrite.url=${vm.url}`,
          // Recorded samples become visible after the flush: keep it short for the tests.
          '-remoteWrite.flushInterval=200ms',
          `-evaluationInterval=${setup.evaluationInterval ?? '1s'}`,
          '-loggerLevel=ERROR',
          ...files.map((f) => `-rule=${f}`),
        ],
        '/health',
      );
      children.push(alert.child);
      alertUrl = alert.url;
    }
    // Debian's build prints an empty -version: ask the package manager.
    const version =
      spawnSync('dpkg-query', ['-W', '-f=${Version}', 'victoria-metrics'], { encoding: 'utf8' }).stdout?.trim() || 'unknown';
    const totalTargets = setup.jobs.reduce((n, j) => n + j.targets.length, 0);
    // VictoriaMetrics buffers ingested rows and new series' index entries for seconds before a
    // search finds them (new series measured up to ~10 s on 1.79.5): /internal/force_flush makes
    // everything ingested so far searchable at once. Every wait flushes before it asks again.
    const flush = async () => {
      const r = await fetch(`${vm.url}/internal/force_flush`);
      if (!r.ok) throw new Error(`VictoriaMetrics /internal/force_flush failed (${r.status})`);
    };
    const { query, queryRaw, waitForValue } = queryClient(vm.url, flush);
    const ruleGroups = async (): Promise<RuleGroupStatus[]> => {
      if (!alertUrl) return [];
      const r = await fetch(`${alertUrl}/api/v1/rules`);
      const body = (await r.json()) as { status: string; data?: { groups: RuleGroupStatus[] } };
      if (r.status !== 200 || body.status !== 'success') throw new Error(`vmalert /api/v1/rules failed (${r.status})`);
      // vmalert reports evaluation time per rule only: the group's is their sum.
      return body.data!.groups.map((g) => ({
        ...g,
        evaluationTime: g.evaluationTime ?? g.rules.reduce((n, x) => n + x.evaluationTime, 0),
      }));
    };
    const backend: TestBackend = {
      kind: 'victoriametrics',
      version,
      url: vm.url,
      query,
      queryRaw,
      waitForValue,
      ruleGroups,
      async waitForRuleEvaluation(after, timeoutMs = 20_000) {
        await waitForRuleGroups(ruleGroups, after, timeoutMs, 'a vmalert evaluation');
        // Evaluated after `after`, plus the remote-write flush before VictoriaMetrics can answer with it.
        await sleep(600);
        await flush();
      },
      waitForGeneration: (generation, timeoutMs) =>
        waitForValue(`count(ksm_fixture_generation >= ${generation})`, totalTargets, timeoutMs),
      stop,
    };
    await waitForValue('count(up == 1)', totalTargets, 30_000);
    return backend;
  } catch (e) {
    await stop();
    throw e;
  }
}
