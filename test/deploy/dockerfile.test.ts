import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { kustomize, ROOT } from './render.js';

/** Node.js release lines that are LTS and still supported (22 until 2027-04, 24 until 2028-04). */
const SUPPORTED_NODE = ['22', '24'];

interface Instruction {
  cmd: string;
  args: string;
}

interface Stage {
  from: string;
  name?: string;
  body: Instruction[];
}

/** Parses a Dockerfile into instructions: comments dropped, `\` continuations joined. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let cur = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) && !cur) continue;
    if (/^\s*#/.test(line)) continue;
    cur += (cur ? ' ' : '') + line.trim();
    if (cur.endsWith('\\')) {
      cur = cur.slice(0, -1).trim();
      continue;
    }
    if (cur) {
      const m = /^(\S+)\s*(.*)$/.exec(cur)!;
      out.push({ cmd: m[1]!.toUpperCase(), args: m[2]! });
    }
    cur = '';
  }
  return out;
}

function stages(ins: Instruction[]): { args: Record<string, string>; stages: Stage[] } {
  const args: Record<string, string> = {};
  const result: Stage[] = [];
  for (const i of ins) {
    if (i.cmd === 'ARG' && result.length === 0) {
      const [k, v] = i.args.split('=');
      args[k!] = v ?? '';
    } else if (i.cmd === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(i.args)!;
      const image = m[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => args[a ?? b] ?? '');
      result.push({ from: image, name: m[2], body: [] });
    } else {
      result.at(-1)?.body.push(i);
    }
  }
  return { args, stages: result };
}

/** Splits a COPY's arguments into flags, sources and destination (shell form only). */
function copyArgs(args: string): { flags: string[]; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  return { flags, sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

const dockerfile = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
const parsed = stages(instructions(dockerfile));
const build = parsed.stages[0]!;
const runtime = parsed.stages.at(-1)!;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
};
const run = (s: Stage): string =>
  s.body
    .filter((i) => i.cmd === 'RUN')
    .map((i) => i.args)
    .join('\n');
const copies = (s: Stage) => s.body.filter((i) => i.cmd === 'COPY').map((i) => copyArgs(i.args));

describe('deploy/Dockerfile', () => {
  it('is multi-stage on the official bookworm-slim image of a supported Node.js LTS line', () => {
    expect(parsed.stages.length).toBeGreaterThanOrEqual(2);
    for (const s of parsed.stages) {
      const m = /^node:(\d+)-bookworm-slim$/.exec(s.from);
      expect(m, `FROM ${s.from}`).not.toBeNull();
      expect(SUPPORTED_NODE).toContain(m![1]);
    }
    // linux/arm/v7 images exist for Node 22 only (Node 24 dropped 32-bit ARM).
    expect(parsed.args.NODE_VERSION).toBe('22');
    expect(dockerfile).toContain('docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7');
    // No stage pinned to the build machine's platform: each is built for its target.
    expect(dockerfile).not.toMatch(/FROM\s+--platform=\$BUILDPLATFORM/);
  });

  it('builds the native modules in the build stage and prunes dev dependencies', () => {
    const sh = run(build);
    for (const p of ['python3', 'make', 'g++']) expect(sh).toContain(` ${p} `);
    expect(sh).toMatch(/npm ci\b/);
    expect(sh).toMatch(/npm run build\b/);
    expect(sh).toMatch(/npm prune --omit=dev\b/);
    expect(sh.indexOf('npm run build')).toBeLessThan(sh.indexOf('npm prune'));
  });

  it('has libusb and libudev at run time, no compilers, and runs as the non-root node user', () => {
    const sh = run(runtime);
    expect(sh).toContain('libusb-1.0-0');
    expect(sh).toContain('libudev1');
    expect(sh).not.toMatch(/\bg\+\+|\bmake\b|python3/);
    const users = runtime.body.filter((i) => i.cmd === 'USER').map((i) => i.args);
    expect(users.at(-1)).toBe('node');
    expect(runtime.body.find((i) => i.cmd === 'EXPOSE')?.args).toBe('9810');
  });

  it('copies only paths that exist and that .dockerignore lets through', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const fromContext = parsed.stages.flatMap((s) => copies(s).filter((c) => !c.flags.some((f) => f.startsWith('--from'))));
    expect(fromContext.length).toBeGreaterThan(0);
    for (const c of fromContext) {
      for (const src of c.sources) {
        expect(existsSync(join(ROOT, src)), `COPY ${src}`).toBe(true);
        const top = src.replace(/\/$/, '').split('/')[0]!;
        expect(ignored, `.dockerignore excludes ${src}`).not.toContain(top);
      }
    }
  });

  it('gives `npm run build` every input it reads', () => {
    const copied = copies(build).flatMap((c) => c.sources.map((s) => s.replace(/\/$/, '')));
    const covered = (path: string): boolean => copied.some((c) => path === c || path.startsWith(`${c}/`));
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
    // Files named in the build script (tsconfig, asset copier), then what the tsconfig includes.
    const script = pkg.scripts.build!;
    const named = [...script.matchAll(/(?:-p\s+|node\s+)(\S+)/g)].map((m) => m[1]!);
    expect(named).toEqual(expect.arrayContaining(['tsconfig.build.json']));
    for (const f of named) expect(covered(f), `build script reads ${f}`).toBe(true);
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      extends?: string;
      include: string[];
    };
    if (tsconfig.extends) expect(covered(tsconfig.extends.replace(/^\.\//, '')), `extends ${tsconfig.extends}`).toBe(true);
    for (const dir of tsconfig.include) expect(covered(dir), `tsconfig.build.json includes ${dir}`).toBe(true);
  });

  it('keeps bench/ and the tests out of the build and the image', () => {
    const copied = parsed.stages.flatMap((st) => copies(st).flatMap((c) => c.sources.map((x) => x.replace(/\/$/, ''))));
    expect(copied).not.toContain('bench');
    expect(copied).not.toContain('test');
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    expect(tsconfig.include).toEqual(['src']);
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['bench', 'test']));
  });

  it('runs the compiled CLI that `npm run build` produces, with the config path the manifests mount', () => {
    const entry = JSON.parse(runtime.body.find((i) => i.cmd === 'ENTRYPOINT')!.args) as string[];
    const cmd = JSON.parse(runtime.body.find((i) => i.cmd === 'CMD')!.args) as string[];
    // With the node flags of the CLI's shebang, so the image runs it as npm's bin link and systemd do.
    const shebang = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)*)\n/.exec(readFileSync(join(ROOT, 'src/cli.ts'), 'utf8'));
    expect(shebang, 'src/cli.ts starts with #!/usr/bin/env -S node FLAGS').not.toBeNull();
    expect(entry).toEqual(['node', ...shebang![1]!.trim().split(' ').filter(Boolean), pkg.bin.podglow]);
    expect(pkg.bin.podglow).toBe('dist/src/cli.js');
    const fromBuild = copies(runtime).filter((c) => c.flags.includes(`--from=${build.name}`));
    for (const need of ['/app/dist/', '/app/node_modules/', '/app/package.json']) {
      // package.json: "type": "module" for dist/**/*.js, and the version.
      expect(
        fromBuild.some((c) => c.sources.includes(need)),
        `COPY --from=${build.name} ${need}`,
      ).toBe(true);
    }
    const workload = kustomize('deploy/overlays/preview').find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    };
    expect(workload.spec.template.spec.containers[0]!.args).toEqual(cmd);
  });

  it('`npm run build` emits dist/src/cli.js, and it runs (compiled here into a scratch directory)', () => {
    const ts = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    // dist/src/cli.js = outDir + (src/cli.ts relative to rootDir).
    expect(ts.compilerOptions).toMatchObject({ rootDir: '.', outDir: 'dist' });
    expect(pkg.scripts.build).toMatch(/^tsc -p tsconfig\.build\.json\b/);
    // Inside the repository (.tmp/ is ignored by git and Docker) so node_modules resolves.
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    const out = mkdtempSync(join(ROOT, '.tmp', 'build-'));
    try {
      // tsc emits even when another file has a type error; the typecheck reports those.
      spawnSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', out], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      const cli = join(out, 'src/cli.js');
      expect(existsSync(cli), `${cli} after tsc -p tsconfig.build.json`).toBe(true);
      const r = spawnSync(process.execPath, [cli, '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Usage: podglow/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
