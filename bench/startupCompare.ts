// `npx tsx bench/startupCompare.ts --before OTHER/dist/src/cli.js [--runs 20]`: wall times of
// `--version`, `--help` and `check` of two builds of the CLI, interleaved (each round runs
// every command once), so the load of a shared machine hits both builds alike; medians and
// ratios to `node -e 0`. bench/startup.ts measures one build at a time.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    after: { type: 'string', default: 'dist/src/cli.js' },
    runs: { type: 'string', default: '20' },
  },
});
if (!values.before) throw new Error('--before PATH/dist/src/cli.js is required');
const dir = mkdtempSync(join(tmpdir(), 'podglow-startup-'));
const config = join(dir, 'podglow.yaml');
writeFileSync(config, 'prometheus: { url: "http://127.0.0.1:9" }\noutputs: [ { type: web, width: 8, height: 8 } ]\n');
const cases: Record<string, string[]> = { 'node -e 0': ['-e', '0'] };
for (const [label, cli] of [
  ['before', values.before],
  ['after', values.after],
] as const) {
  cases[`${label} --version`] = [cli, '--version'];
  cases[`${label} --help`] = [cli, '--help'];
  cases[`${label} check`] = [cli, 'check', '--config', config];
}
const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
const runs = Number(values.runs);
try {
  // Round 0 warms the page cache and is not counted.
  for (let i = 0; i <= runs; i++) {
    for (const [k, args] of Object.entries(cases)) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, PODGLOW_CONFIG: '' } });
      if (r.status !== 0) throw new Error(`${k}: exit ${r.status}`);
      if (i > 0) times[k]!.push(performance.now() - t0);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(times['node -e 0']!);
for (const [k, xs] of Object.entries(times))
  console.log(`| \`${k}\` | ${median(xs).toFixed(0)} ms | ${(median(xs) / base).toFixed(2)}× |`);
