import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Debian installs libfaketime under /usr/lib/<multiarch>/faketime/ (package `faketime`). */
export function libfaketime(): string {
  for (const arch of readdirSync('/usr/lib')) {
    const p = join('/usr/lib', arch, 'faketime', 'libfaketimeMT.so.1');
    if (existsSync(p)) return p;
  }
  throw new Error('libfaketime not found: install faketime (apt-get install faketime)');
}

/**
 * Environment that fakes a child's wall clock only, from a timestamp file re-read on every
 * call (libfaketime README: FAKETIME_TIMESTAMP_FILE, FAKETIME_NO_CACHE, and
 * FAKETIME_DONT_FAKE_MONOTONIC so timers and performance.now stay real). The library is
 * preloaded directly: the `faketime` wrapper's own FAKETIME variable would win over the file.
 */
export function wallClockOnlyEnv(stampFile: string): Record<string, string> {
  return {
    LD_PRELOAD: libfaketime(),
    FAKETIME_TIMESTAMP_FILE: stampFile,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

/** Steps the wall clock of every process reading `stampFile` to real time + `seconds`. */
export function setFakeOffset(stampFile: string, seconds: number): void {
  writeFileSync(stampFile, `${seconds >= 0 ? '+' : ''}${Math.round(seconds)}\n`);
}

/** A `podglow run` child (from the sources, through tsx) whose wall clock reads `stampFile`, with its HTTP server on a dynamic port. */
export class FakedPodglow {
  private stderrText = '';
  private readonly child: ChildProcess;
  /** The server's base URL, once started() has resolved. */
  url = '';

  constructor(
    dir: string,
    configLines: readonly string[],
    readonly stampFile: string,
    env: Record<string, string> = {},
  ) {
    const config = join(dir, `podglow-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(config, configLines.join('\n'));
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', '--config', config], {
      cwd: process.cwd(),
      env: {
        ...process.env,
        PODGLOW_CONFIG: '',
        PODGLOW_PROMETHEUS_URL: '',
        NODE_NAME: '',
        ...env,
        ...wallClockOnlyEnv(stampFile),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderrText += d.toString()));
  }

  /** Resolves once podglow logs that it runs (JSON logs), with `url` set. */
  async started(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!/"msg":"podglow running"/.test(this.stderrText)) {
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`podglow did not start:\n${this.stderrText}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    this.url = /"url":"(http:\/\/127\.0\.0\.1:\d+\/)"/.exec(this.stderrText)![1]!;
  }

  /** The text of GET `path` on podglow's server. */
  async text(path: string): Promise<string> {
    return (await fetch(new URL(path, this.url))).text();
  }

  /** Everything podglow wrote to stderr (its log lines carry the wall clock it sees). */
  log(): string {
    return this.stderrText;
  }

  /** SIGTERM, and wait for the exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    await gone;
  }
}
