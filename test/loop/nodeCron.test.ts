// node-cron is loaded only when a config has a cron string (issue 20: a small Pi pays only for
// what its config uses). Each case runs in a fresh process, since a module loads once.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'podglow-nodecron-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// An import of node-cron shows in this resolve hook; a require() in the CommonJS cache.
writeFileSync(
  join(dir, 'hooks.mjs'),
  "export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes('/node_modules/node-cron/')) process.stderr.write('ESM node-cron\\n'); return r; }\n",
);
writeFileSync(
  join(dir, 'trace.mjs'),
  "import { register } from 'node:module'; register(new URL('./hooks.mjs', import.meta.url));\n",
);

/** Parses `yaml` with the real config loader in a fresh tsx process; says whether node-cron got loaded. */
function loadsNodeCron(yaml: string): boolean {
  const script = [
    "import { createRequire } from 'node:module';",
    "const { parseConfig, parseYamlText } = await import('./src/config/load.ts');",
    `parseConfig(parseYamlText(${JSON.stringify(yaml)}, 'test'));`,
    'const cache = createRequire(import.meta.url).cache;',
    "console.log(Object.keys(cache).some((k) => k.includes('/node_modules/node-cron/')) ? 'loaded' : 'not loaded');",
  ].join('\n');
  const r = spawnSync(
    process.execPath,
    ['--import', join(dir, 'trace.mjs'), '--import', 'tsx', '--input-type=module', '-e', script],
    { encoding: 'utf8', timeout: 30_000 },
  );
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim() === 'loaded' || r.stderr.includes('ESM node-cron');
}

describe('node-cron on demand', () => {
  it('is not loaded for a config on a duration interval without schedules', () => {
    expect(loadsNodeCron('source: demo\ninterval: 5s\noutputs: [ { type: web, width: 8, height: 8 } ]\n')).toBe(false);
  }, 40_000);

  it('is loaded for a cron interval', () => {
    expect(loadsNodeCron('source: demo\ninterval: "*/10 * * * * *"\noutputs: [ { type: web, width: 8, height: 8 } ]\n')).toBe(
      true,
    );
  }, 40_000);
});
