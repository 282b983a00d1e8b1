// What the kube-state-metrics fast lane (deploy/prometheus/kube-state-metrics-fast.yml) costs
// Prometheus, next to the ordinary job (deploy/prometheus/kube-state-metrics.yml), at 20, 200
// and 2,000 pods: a real Prometheus scrapes the kube-state-metrics fixture rendering every
// family a default kube-state-metrics serves (test/helpers/ksmFull.ts: ~60 series per pod),
// once per variant, each in its own Prometheus process so its CPU can be told apart:
//   ordinary   the shipped ordinary job (no keep rule): what one 30 s scrape costs
//   lane <2.18 the shipped lane against a kube-state-metrics that ignores ?resources=
//   lane 2.18+ the shipped lane against one that honours it (kubernetes/kube-state-metrics#2844)
// Read per variant: series scraped and kept (scrape_samples_scraped /
// scrape_samples_post_metric_relabeling), scrape time (scrape_duration_seconds, averaged),
// body bytes (scrape_body_size_bytes with --enable-feature=extra-scrape-metrics, and the
// fixture's own body), Prometheus CPU per scrape (utime+stime from /proc over the window, less
// an idle Prometheus' over the same time, divided by the scrapes the fixture served) and head series.
// `npm run bench:fastlane [-- --sizes 20,200,2000 --seconds 15 --interval 1s --out bench/fastlane-results.md]`
import { readFileSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml, stringify } from 'yaml';
import { generateCluster, startKsmFixture, type KsmFixture } from '../test/helpers/ksmFixture.js';
import { FAST_JOB, REPO, ksmMeta, prometheusLane, withStaticTarget, type ScrapeJob } from '../test/helpers/fastLane.js';
import { launchProcess, onFreePort, queryClient, stopChild } from '../test/helpers/prometheus.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLK_TCK = 100;

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5), counted from the state field (3) after the command name.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

interface Variant {
  name: string;
  job: ScrapeJob;
}

/** One variant's figures at one size. */
interface Row {
  pods: number;
  nodes: number;
  variant: string;
  scraped: number;
  kept: number;
  bodyBytes: number | null;
  scrapeMs: number;
  cpuMsPerScrape: number;
  scrapes: number;
  headSeries: number;
}

async function runPrometheus<T>(
  scrapeConfigs: ScrapeJob[],
  body: (q: ReturnType<typeof queryClient>, pid: number, url: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'podglow-bench-fastlane-'));
  try {
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'prometheus.yml'), stringify({ global: { scrape_interval: '1m' }, scrape_configs: scrapeConfigs }));
    const { child, url } = await onFreePort(async (port) => ({
      child: await launchProcess(
        'prometheus',
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--enable-feature=extra-scrape-metrics',
          '--log.level=warn',
        ],
        `http://127.0.0.1:${port}/-/ready`,
      ),
      url: `http://127.0.0.1:${port}`,
    }));
    try {
      return await body(queryClient(url), child.pid!, url);
    } finally {
      await stopChild(child);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(
  variant: Variant,
  fixture: KsmFixture,
  size: { pods: number; nodes: number },
  seconds: number,
  idleCpuPerSecond: number,
): Promise<Row> {
  return runPrometheus([variant.job], async (q, pid, url) => {
    const job = variant.job.job_name;
    await q.waitForValue(`count(scrape_samples_scraped{job="${job}"} > 0)`, 1, 60_000);
    // Warm-up: the first scrapes create the series; the window measures steady appends.
    await sleep(3_000);
    const s0 = fixture.scrapes;
    const c0 = cpuSeconds(pid);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const cpu = cpuSeconds(pid) - c0;
    const elapsed = (performance.now() - t0) / 1000;
    const scrapes = fixture.scrapes - s0;
    const one = async (expr: string): Promise<number | null> => {
      const r = await q.query(expr);
      return r.length ? Number(r[0]!.value[1]) : null;
    };
    const w = `${Math.max(1, Math.floor(seconds))}s`;
    return {
      ...size,
      variant: variant.name,
      scraped: (await one(`scrape_samples_scraped{job="${job}"}`))!,
      kept: (await one(`scrape_samples_post_metric_relabeling{job="${job}"}`))!,
      bodyBytes: await one(`scrape_body_size_bytes{job="${job}"}`),
      scrapeMs: (await one(`avg_over_time(scrape_duration_seconds{job="${job}"}[${w}])`))! * 1000,
      cpuMsPerScrape: (Math.max(0, cpu - idleCpuPerSecond * elapsed) / Math.max(1, scrapes)) * 1000,
      scrapes,
      // Prometheus' own gauge, read from its /metrics (it does not scrape itself here).
      headSeries: Number(/^prometheus_tsdb_head_series (\S+)/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? NaN),
    };
  });
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '20,200,2000' },
      seconds: { type: 'string', default: '15' },
      interval: { type: 'string', default: '1s' },
      out: { type: 'string', default: 'bench/fastlane-results.md' },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  const seconds = Number(values.seconds);
  const interval = values.interval;
  const started = performance.now();
  const [ordinary] = parseYaml(readFileSync(join(REPO, 'deploy/prometheus/kube-state-metrics.yml'), 'utf8')) as ScrapeJob[];
  const [lane] = prometheusLane();

  // An idle Prometheus over the same window: its own CPU is subtracted from every variant's.
  const idleCpuPerSecond = await runPrometheus([], async (_q, pid) => {
    await sleep(3_000);
    const c0 = cpuSeconds(pid);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    return (cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000);
  });
  console.error(`idle Prometheus: ${fmt(idleCpuPerSecond * 1000, 1)} ms CPU per second`);

  const rows: Row[] = [];
  const bodies: { pods: number; full: number; fullGzip: number; podsNodes: number; podsNodesGzip: number }[] = [];
  for (const target of sizes) {
    const perNode = target <= 20 ? 10 : target <= 200 ? 20 : 40;
    const cluster = generateCluster({
      nodes: Math.max(1, Math.round(target / perNode)),
      podsPerNode: perNode,
      unscheduled: 0,
      seed: 17,
    });
    const size = { pods: cluster.pods.length, nodes: cluster.nodes.length };
    const fixture = await startKsmFixture({ cluster, render: { full: true }, resourcesParam: true });
    try {
      const full = Buffer.from(await (await fetch(fixture.urls[0]!)).arrayBuffer());
      const pn = Buffer.from(await (await fetch(`${fixture.urls[0]}?resources=pods,nodes`)).arrayBuffer());
      bodies.push({
        pods: size.pods,
        full: full.length,
        fullGzip: gzipSync(full).length,
        podsNodes: pn.length,
        podsNodesGzip: gzipSync(pn).length,
      });
      const meta = ksmMeta('http-metrics');
      const { params: _p, ...laneIgnored } = lane!;
      const variants: Variant[] = [
        { name: 'ordinary job (no keep)', job: withStaticTarget(ordinary!, fixture.targets[0]!, meta, interval) },
        {
          name: 'lane, KSM < 2.18',
          job: { ...withStaticTarget(laneIgnored, fixture.targets[0]!, meta, interval), job_name: `${FAST_JOB}-old` },
        },
        { name: 'lane, KSM ≥ 2.18', job: withStaticTarget(lane!, fixture.targets[0]!, meta, interval) },
      ];
      for (const v of variants) {
        const row = await measure(v, fixture, size, seconds, idleCpuPerSecond);
        rows.push(row);
        console.error(JSON.stringify(row));
      }
    } finally {
      await fixture.close();
    }
  }

  const lines: string[] = [
    '# kube-state-metrics fast lane: cost',
    '',
    `Machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores (shared), Node ${process.version}; Prometheus 2.42 (Debian)  `,
    `Date: ${new Date().toISOString()}; command: \`npm run bench:fastlane -- --sizes ${values.sizes} --seconds ${seconds} --interval ${interval}\` (${fmt((performance.now() - started) / 60_000, 1)} min)  `,
    'Fixture: test/helpers/ksmFixture.ts with `render: { full: true }` (test/helpers/ksmFull.ts: every family of a default kube-state-metrics v2, about 60 series per pod).  ',
    `Scraped every ${interval} while measuring (${seconds} s window after 3 s warm-up); CPU is Prometheus' (utime+stime) less an idle Prometheus' (${fmt(idleCpuPerSecond * 1000, 1)} ms/s), per scrape.`,
    '',
    '| pods | nodes | variant | series scraped | series kept | body (Prometheus) | scrape time | Prometheus CPU per scrape | samples/s at the shipped interval | head series |',
    '|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const every = r.variant.startsWith('ordinary') ? 30 : 5;
    lines.push(
      `| ${fmt(r.pods)} | ${r.nodes} | ${r.variant} | ${fmt(r.scraped)} | ${fmt(r.kept)} | ${r.bodyBytes === null ? 'n/a' : `${fmt(r.bodyBytes / 1024, 0)} KiB`} | ${fmt(r.scrapeMs, 1)} ms | ${fmt(r.cpuMsPerScrape, 1)} ms | ${fmt(r.kept / every, 0)} (every ${every} s) | ${fmt(r.headSeries)} |`,
    );
  }
  lines.push(
    '',
    '| pods | /metrics (all) | gzip | /metrics?resources=pods,nodes (v2.18+) | gzip |',
    '|---:|---:|---:|---:|---:|',
  );
  for (const b of bodies) {
    lines.push(
      `| ${fmt(b.pods)} | ${fmt(b.full / 1024)} KiB | ${fmt(b.fullGzip / 1024)} KiB | ${fmt(b.podsNodes / 1024)} KiB | ${fmt(b.podsNodesGzip / 1024)} KiB |`,
    );
  }
  const text = lines.join('\n') + '\n';
  writeFileSync(resolve(REPO, values.out), text);
  console.log(text);
}

await main();
