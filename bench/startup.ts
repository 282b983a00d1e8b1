// Start-up cost of the built CLI (SPEC §10: --help, --version and check answer about as fast
// as `node -e 0`): whole-process wall time and peak RSS, medians of N runs each, plus the time
// from spawning `podglow run` to its first frame and its steady RSS at 10 nodes against a real
// Prometheus. `npm run bench:startup` runs it alone; `npm run bench` includes it (bench/results.md).
// Peak RSS comes from GNU time (`/usr/bin/time -f %M`); without it only wall times are given.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { generateCluster, startKsmFixture } from '../test/helpers/ksmFixture.js';
import { startPrometheus } from '../test/helpers/prometheus.js';
import { shebangFlags } from './flood.js';

/** The built CLI measured; `--cli PATH` measures another build (e.g. an older commit's, for a before/after). */
let CLI = 'dist/src/cli.js';
const TIME = '/usr/bin/time';

/** Medians of one command line over N runs. */
export interface CommandCost {
  label: string;
  wallMs: number;
  /** Peak RSS in MiB (GNU time's %M), or null without /usr/bin/time. */
  maxRssMiB: number | null;
}

/** Everything the start-up bench measured. */
export interface StartupResult {
  runs: number;
  commands: CommandCost[];
  /** `podglow run` spawn → first frame line of a terminal output on stdout, median. */
  firstFrameMs: number;
  /** process_resident_memory_bytes of `podglow run` after `steadyPolls` good polls, 10 nodes. */
  steadyRssMiB: number;
  steadyPolls: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Runs `args` under node `runs` times (after one warm-up run for the page cache) and returns the medians. */
export function measureCommand(label: string, args: string[], runs: number): CommandCost {
  const haveTime = existsSync(TIME);
  const dir = mkdtempSync(join(tmpdir(), 'podglow-startup-'));
  const walls: number[] = [];
  const rss: number[] = [];
  try {
    for (let i = 0; i <= runs; i++) {
      const out = join(dir, 'time.txt');
      const [cmd, argv] = haveTime ? [TIME, ['-f', '%M', '-o', out, process.execPath, ...args]] : [process.execPath, args];
      const t0 = performance.now();
      const r = spawnSync(cmd, argv, {
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
        env: { ...process.env, PODGLOW_CONFIG: '' },
      });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${label}: exit ${r.status}: ${r.stderr}`);
      // Run 0 warms the page cache; it is not counted.
      if (i === 0) continue;
      walls.push(ms);
      if (haveTime) rss.push(Number(readFileSync(out, 'utf8').trim().split('\n').at(-1)) / 1024);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { label, wallMs: median(walls), maxRssMiB: haveTime ? median(rss) : null };
}

/**
 * Starts `podglow run` against `url` with a terminal output on stdout (off a TTY it prints one
 * line per changed snapshot, so the first line is the first frame) and a web output; resolves
 * with the time to that line and the RSS after `polls` good polls.
 */
async function runOnce(url: string, polls: number): Promise<{ firstFrameMs: number; rssMiB: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'podglow-startup-'));
  const config = join(dir, 'podglow.yaml');
  writeFileSync(
    config,
    [
      `prometheus: { url: "${url}", timeout: 10s, matchers: ['job="kube-state-metrics"'] }`,
      'interval: 1s',
      'staleAfter: 60s',
      'outputs: [ { name: term, type: terminal, width: 8, height: 8, layout: { type: matrix } }, { name: hat, type: web, width: 8, height: 8, layout: { type: matrix } } ]',
      'server: { enabled: true, address: 127.0.0.1, port: 0 }',
      'log: { level: info, format: json }',
    ].join('\n'),
  );
  const t0 = performance.now();
  // With the node flags of the CLI's shebang, as npm's bin link, systemd and the image run it.
  const child = spawn(process.execPath, [...shebangFlags(CLI), CLI, 'run', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PODGLOW_CONFIG: '', PODGLOW_PROMETHEUS_URL: '' },
  });
  let err = '';
  let firstFrameMs: number | undefined;
  child.stdout.on('data', () => (firstFrameMs ??= performance.now() - t0));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    const deadline = Date.now() + 60_000 + polls * 2000;
    let base: string | undefined;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`podglow run exited ${child.exitCode}: ${err.slice(-1000)}`);
      const line = err.split('\n').find((l) => l.includes('"msg":"podglow running"'));
      base ??= line ? (JSON.parse(line) as { url: string }).url : undefined;
      if (base && firstFrameMs !== undefined) {
        const body = await (await fetch(new URL('metrics', base))).text();
        const ok = Number(/^podglow_polls_total\{result="success"\} (\S+)/m.exec(body)?.[1] ?? 0);
        if (ok >= polls)
          return { firstFrameMs, rssMiB: Number(/^process_resident_memory_bytes (\S+)/m.exec(body)![1]) / 1048576 };
      }
      await new Promise((r) => setTimeout(r, firstFrameMs === undefined ? 5 : 250));
    }
    throw new Error(`podglow run did not reach ${polls} polls in time: ${err.slice(-1000)}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The whole start-up bench: CLI commands, then `podglow run` at 10 nodes (`runs` runs; the last one also waits for `polls` polls). */
export async function measureStartup(opts: { runs?: number; polls?: number } = {}): Promise<StartupResult> {
  const runs = opts.runs ?? 15;
  const polls = opts.polls ?? 30;
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
  const dir = mkdtempSync(join(tmpdir(), 'podglow-startup-'));
  const checkConfig = join(dir, 'podglow.yaml');
  writeFileSync(checkConfig, 'prometheus: { url: "http://127.0.0.1:9" }\noutputs: [ { type: web, width: 8, height: 8 } ]\n');
  // The same with a regex, a matcher and a named query: check loads re2js and the PromQL grammar for these only.
  const promqlConfig = join(dir, 'promql.yaml');
  writeFileSync(
    promqlConfig,
    [
      'prometheus: { url: "http://127.0.0.1:9", matchers: [\'job="kube-state-metrics"\'] }',
      "namespaces: { include: ['team-.*'] }",
      'queries: { slo: { expr: \'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))\' } }',
      'outputs: [ { type: web, width: 8, height: 8 } ]',
    ].join('\n'),
  );
  let commands: CommandCost[];
  try {
    commands = [
      measureCommand('node -e 0', ['-e', '0'], runs),
      measureCommand('podglow --version', [CLI, '--version'], runs),
      measureCommand('podglow --help', [CLI, '--help'], runs),
      measureCommand('podglow run --help', [CLI, 'run', '--help'], runs),
      measureCommand('podglow check', [CLI, 'check', '--config', checkConfig], runs),
      measureCommand('podglow check (regex, matcher, named query)', [CLI, 'check', '--config', promqlConfig], runs),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const fixture = await startKsmFixture({ cluster: generateCluster({ nodes: 10, podsPerNode: 30, seed: 1 }) });
  const prom = await startPrometheus({ jobs: [{ job: 'kube-state-metrics', targets: fixture.targets }] });
  try {
    await prom.waitForGeneration(fixture.generation);
    const first: number[] = [];
    for (let i = 0; i < 4; i++) first.push((await runOnce(prom.url, 1)).firstFrameMs);
    const steady = await runOnce(prom.url, polls);
    first.push(steady.firstFrameMs);
    return { runs, commands, firstFrameMs: median(first), steadyRssMiB: steady.rssMiB, steadyPolls: polls };
  } finally {
    await prom.stop();
    await fixture.close();
  }
}

/** The result as a Markdown section for bench/results.md. */
export function startupMarkdown(r: StartupResult): string[] {
  const base = r.commands[0]!;
  const lines = [
    '## Start-up (built CLI)',
    '',
    `Whole-process medians of ${r.runs} runs (after one warm-up run); peak RSS from GNU time.`,
    '',
  ];
  lines.push('| command | wall time | × `node -e 0` | peak RSS |', '|---|---:|---:|---:|');
  for (const c of r.commands) {
    lines.push(
      `| \`${c.label}\` | ${c.wallMs.toFixed(0)} ms | ${(c.wallMs / base.wallMs).toFixed(2)}× | ${c.maxRssMiB === null ? '—' : `${c.maxRssMiB.toFixed(0)} MiB`} |`,
    );
  }
  lines.push('');
  lines.push(`| \`podglow run\`, 10 nodes × 30 pods, real Prometheus | value |`, '|---|---:|');
  lines.push(`| spawn → first frame (terminal output line), median of 5 | ${r.firstFrameMs.toFixed(0)} ms |`);
  lines.push(
    `| steady RSS after ${r.steadyPolls} polls at 1 s (process_resident_memory_bytes) | ${r.steadyRssMiB.toFixed(1)} MiB |`,
  );
  lines.push('');
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '15' }, polls: { type: 'string', default: '30' }, cli: { type: 'string' } },
  });
  if (values.cli) CLI = values.cli;
  measureStartup({ runs: Number(values.runs), polls: Number(values.polls) }).then(
    (r) => {
      process.stdout.write(startupMarkdown(r).join('\n') + '\n');
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
