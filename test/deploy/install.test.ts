// The npm package as users get it: `npm pack` builds (prepack) and packs only what runs; the
// tarball installs with `npm install -g` into a scratch prefix, its native install scripts
// allowed by name and every other one refused (--strict-allow-scripts), and the installed
// `podglow` answers --version and serves the demo. Dependencies come from the npm registry
// through a cache kept between runs (os.tmpdir()/podglow-npm-cache), so a re-run is quick.
// npm's rules (npm 11 docs, commands/npm-install-scripts.md and using-npm/config.md): a
// project's `allowScripts` is read from its own package.json, but `npm install -g` has no
// project and takes `--allow-scripts=a,b` instead; entries are names or exact versions.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './render.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  scripts: Record<string, string>;
  allowScripts: Record<string, boolean>;
  files: string[];
};
const CACHE = join(tmpdir(), 'podglow-npm-cache');

function npm(args: string[], cwd: string, timeout = 240_000): string {
  const r = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr?.slice(-3000)}`);
  return r.stdout;
}

/** The packages the allowScripts policy lets run their install scripts. */
const allowed = (): string[] =>
  Object.entries(pkg.allowScripts)
    .filter(([, v]) => v)
    .map(([k]) => k)
    .sort();

describe('package.json install policy', () => {
  it('allows the native bindings their install scripts and denies esbuild its optional one', () => {
    // node-hid builds or verifies its binding; rpi-ws281x-native always compiles (node-gyp).
    expect(allowed()).toEqual(['node-hid', 'rpi-ws281x-native']);
    // esbuild (tsx's) finds its binary through its @esbuild/<platform> optional dependency;
    // its postinstall only swaps in a faster shim (checked with npm ci --ignore-scripts).
    expect(pkg.allowScripts.esbuild).toBe(false);
  });

  it('documents the same list for global installs, where package.json is not consulted', () => {
    const flag = `--allow-scripts=${allowed().join(',')}`;
    expect(readFileSync(join(ROOT, 'deploy/systemd/podglow.service'), 'utf8')).toContain(flag);
    expect(readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8')).toContain(flag);
  });

  it('builds before packing and ships no bench, tests or sources', () => {
    expect(pkg.scripts.prepack).toMatch(/npm run build$/);
    expect(pkg.files).not.toContain('dist/');
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    expect(build.include).toEqual(['src']);
  });
});

describe('npm pack → npm install -g → podglow', () => {
  let dir: string;
  let prefix: string;
  let files: string[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'podglow-install-'));
    prefix = join(dir, 'prefix');
    // npm install -g --prefix wants prefix/lib to exist.
    mkdirSync(join(prefix, 'lib'), { recursive: true });
    mkdirSync(CACHE, { recursive: true });
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], ROOT)) as {
      filename: string;
      files: { path: string }[];
    }[];
    files = packed[0]!.files.map((f) => f.path);
    const tarball = join(dir, packed[0]!.filename);
    npm(
      [
        'install',
        '-g',
        '--prefix',
        prefix,
        '--cache',
        CACHE,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        `--allow-scripts=${allowed().join(',')}`,
        '--strict-allow-scripts',
        tarball,
      ],
      dir,
    );
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('packs the built CLI and its assets, nothing of bench/, test/ or src/*.ts', () => {
    expect(files).toContain(pkg.bin.podglow);
    expect(files).toContain('dist/src/server/public/index.html');
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'config/podglow.yaml',
        'deploy/systemd/podglow.service',
        'deploy/udev/99-blinkstick.rules',
      ]),
    );
    const stray = files.filter((f) => /^(bench|test|src)\/|^dist\/(bench|test)\/|\.ts$|\.map$/.test(f));
    expect(stray).toEqual([]);
  });

  it('ran the allowed install scripts: the WS281x binding was compiled, node-hid has its binding', () => {
    const mods = join(prefix, 'lib', 'node_modules', 'podglow', 'node_modules');
    // rpi-ws281x-native compiles on any Linux (it only refuses to drive LEDs off a Pi).
    expect(existsSync(join(mods, 'rpi-ws281x-native', 'build', 'Release', 'rpi_ws281x.node'))).toBe(true);
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(join(mods, 'node-hid'))}).devices()`], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status, r.stderr).toBe(0);
  });

  it('the installed podglow prints its version', () => {
    const r = spawnSync(join(prefix, 'bin', 'podglow'), ['--version'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('--version, --help and check load only what they need: no HTTP stack, no client, no drivers (SPEC §10)', () => {
    // A resolve hook (node:module register) reports every package the CLI imports.
    writeFileSync(
      join(dir, 'hooks.mjs'),
      "export async function resolve(s, c, next) { const r = await next(s, c); const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\/(?!.*node_modules)/.exec(r.url); if (m) process.stderr.write('PKG ' + m[1] + '\\n'); return r; }\n",
    );
    writeFileSync(
      join(dir, 'trace.mjs'),
      "import { register } from 'node:module'; register(new URL('./hooks.mjs', import.meta.url));\n",
    );
    writeFileSync(
      join(dir, 'podglow.yaml'),
      'prometheus: { url: "http://127.0.0.1:9" }\noutputs: [ { type: blinkstick }, { type: unicornhat } ]\n',
    );
    const cli = join(prefix, 'lib', 'node_modules', 'podglow', pkg.bin.podglow!);
    const packages = (args: string[]): string[] => {
      const r = spawnSync(process.execPath, ['--import', join(dir, 'trace.mjs'), cli, ...args], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.status, r.stderr).toBe(0);
      // podglow's own files sit under the prefix's node_modules too.
      return [...new Set([...r.stderr.matchAll(/^PKG (\S+)$/gm)].map((m) => m[1]!))].filter((p) => p !== 'podglow').sort();
    };
    expect(packages(['--version'])).toEqual([]);
    expect(packages(['--help'])).toEqual([]);
    // The config schema and its YAML parser; node-cron only for a config with a cron string (src/loop/nodeCron.ts).
    expect(packages(['check', '--config', 'podglow.yaml'])).toEqual(['yaml', 'zod']);
    expect(packages(['run', '--help'])).toEqual(['yaml', 'zod']);
  });

  it('the installed podglow runs the demo on a free port and serves its state', async () => {
    const child = spawn(join(prefix, 'bin', 'podglow'), ['demo', '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      const deadline = Date.now() + 20_000;
      let url: string | undefined;
      while (!url && Date.now() < deadline && child.exitCode === null) {
        url = /preview at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
        if (!url) await new Promise((r) => setTimeout(r, 100));
      }
      expect(url, `the preview URL (stderr: ${err.slice(-1000)})`).toBeDefined();
      const state = (await (await fetch(new URL('api/state', url))).json()) as { outputs: unknown[] };
      expect(state.outputs.length).toBeGreaterThan(0);
      expect(await (await fetch(new URL('metrics', url))).text()).toContain(`podglow_build_info{version="${pkg.version}"} 1`);
    } finally {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
    expect(child.exitCode).toBe(0);
  }, 30_000);
});

/** The unit's `Key=value` settings (comments dropped), by key, in file order. */
function unitSettings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

/** Runs systemd-analyze on a copy of the unit whose ExecStart names an existing binary (verify checks it). */
function analyze(unit: string, args: string[]): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'podglow-unit-'));
  try {
    const file = join(dir, 'podglow.service');
    writeFileSync(file, unit.replace('ExecStart=podglow ', `ExecStart=${process.execPath} `));
    const r = spawnSync('systemd-analyze', [...args, file], { encoding: 'utf8', timeout: 30_000 });
    if (r.error)
      throw new Error(
        'systemd-analyze not found: install systemd (Debian: apt-get install systemd), or run scripts/test-deps.sh',
      );
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('deploy/systemd', () => {
  const unit = readFileSync(join(ROOT, 'deploy/systemd/podglow.service'), 'utf8');
  const s = unitSettings(unit);

  it('runs the globally installed CLI with the config and env file under /etc/podglow', () => {
    expect(s.get('ExecStart')).toEqual(['podglow run --config /etc/podglow/podglow.yaml']);
    expect(s.get('EnvironmentFile')).toEqual(['-/etc/podglow/podglow.env']);
    // The 5 s shutdown fits; a config error (exit 2) is not retried in a loop.
    expect(s.get('TimeoutStopSec')).toEqual(['10s']);
    expect(s.get('RestartPreventExitStatus')).toEqual(['2']);
  });

  // systemd.service(5), "Command lines": a command that is not an absolute path is resolved with
  // a fixed search path (/usr/local/bin, /usr/bin, ...); npm links a global install's binary into
  // {prefix}/bin (npm docs, configuring-npm/folders.md). Rendered into a scratch root for both
  // prefixes, systemd-analyze verify finds it in either, and refuses a root that has neither.
  it.each([
    ['/usr (NodeSource, Debian)', 'usr'],
    ['/usr/local', 'usr/local'],
    ['no podglow installed', null],
  ])('finds the binary with npm prefix %s', (_name, prefix) => {
    const root = mkdtempSync(join(tmpdir(), 'podglow-root-'));
    try {
      // The units a service depends on by default (sysinit.target, ...), from this machine.
      cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
      mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
      writeFileSync(join(root, 'etc/systemd/system/podglow.service'), unit);
      if (prefix) {
        const pkgDir = join(root, prefix, 'lib/node_modules/podglow/dist/src');
        mkdirSync(pkgDir, { recursive: true });
        writeFileSync(join(pkgDir, 'cli.js'), '#!/usr/bin/env node\n', { mode: 0o755 });
        mkdirSync(join(root, prefix, 'bin'), { recursive: true });
        symlinkSync('../lib/node_modules/podglow/dist/src/cli.js', join(root, prefix, 'bin/podglow'));
      }
      const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, 'podglow.service'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      if (r.error)
        throw new Error(
          'systemd-analyze not found: install systemd (Debian: apt-get install systemd), or run scripts/test-deps.sh',
        );
      const output = `${r.stdout}${r.stderr}`;
      if (prefix) {
        expect(r.status, output).toBe(0);
        expect(output.trim()).toBe('');
      } else {
        expect(r.status).not.toBe(0);
        expect(output).toContain('Command podglow is not executable');
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('passes systemd-analyze verify', () => {
    const r = analyze(unit, ['verify']);
    expect(r.ok, r.output).toBe(true);
    expect(r.output.trim()).toBe('');
  });

  it('is hardened around the one device ws281x needs, and systemd rates its exposure low', () => {
    expect(s.get('DevicePolicy')).toEqual(['closed']);
    expect(s.get('DeviceAllow')).toEqual(['/dev/mem rw', '/dev/vcio rw']);
    expect(s.get('CapabilityBoundingSet')).toEqual(['CAP_SYS_RAWIO']);
    for (const [k, v] of Object.entries({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      SystemCallFilter: '@system-service',
    })) {
      expect(s.get(k), k).toEqual([v]);
    }
    // Commented alternatives for the other devices, ready to uncomment.
    expect(unit).toContain('#DeviceAllow=/dev/leds0 w');
    expect(unit).toContain('#DeviceAllow=char-hidraw rw');
    const r = analyze(unit, ['security', '--offline=yes']);
    const level = Number(/Overall exposure level for podglow\.service: ([\d.]+)/.exec(r.output)?.[1]);
    expect(level, r.output.slice(-500)).toBeLessThanOrEqual(3);
  });

  it('the unprivileged variant its comments describe is valid too, and more restricted', () => {
    const variant = unit
      .replace(/^CapabilityBoundingSet=CAP_SYS_RAWIO$/m, '')
      .replace(/^DeviceAllow=\/dev\/(mem|vcio) rw$/gm, '')
      .replace('#DeviceAllow=char-hidraw rw', 'DeviceAllow=char-hidraw rw')
      .replace('#CapabilityBoundingSet=\n', 'CapabilityBoundingSet=\n')
      .replace('#DynamicUser=yes', 'DynamicUser=yes');
    expect(unitSettings(variant).get('DynamicUser')).toEqual(['yes']);
    expect(analyze(variant, ['verify']).ok).toBe(true);
    const level = (u: string) =>
      Number(/Overall exposure level for podglow\.service: ([\d.]+)/.exec(analyze(u, ['security', '--offline=yes']).output)?.[1]);
    expect(level(variant)).toBeLessThan(level(unit));
  });

  it('ships an env file example whose variables podglow reads', async () => {
    const { parseConfig } = await import('../../src/config/load.js');
    const text = readFileSync(join(ROOT, 'deploy/systemd/podglow.env'), 'utf8');
    const vars = [...text.matchAll(/^#?([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((m) => ({ name: m[1]!, value: m[2]! }));
    expect(vars.map((v) => v.name)).toContain('PODGLOW_PROMETHEUS_URL');
    const src = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(ROOT, 'src', f), 'utf8'))
      .join('\n');
    for (const v of vars)
      expect(src, `${v.name} is an environment variable podglow reads`).toMatch(
        new RegExp(`env\\.${v.name}\\b|\\[['"]${v.name}['"]\\]`),
      );
    // The active lines alone make a config without prometheus.url valid.
    const env = Object.fromEntries(vars.filter((v) => text.includes(`\n${v.name}=`)).map((v) => [v.name, v.value]));
    const config = parseConfig({ outputs: [{ type: 'web', width: 8, height: 8 }] }, { env });
    expect(config.prometheus.url).toBe(env.PODGLOW_PROMETHEUS_URL);
  });
});
