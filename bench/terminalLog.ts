// `npx tsx bench/terminalLog.ts [--seconds 60]`: how much the terminal output writes into a log
// while Prometheus is down. It runs the real `podglow run --prometheus-url http://127.0.0.1:1`
// (a refused port, no config: the terminal output is the default) with stdout to a file, as
// under systemd or in a container, stops it with SIGTERM after the given time and prints the
// bytes and lines written, per minute. SPEC §10: off a TTY, one line per changed snapshot.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' } } });
const seconds = Number(values.seconds);
if (!(seconds > 0)) throw new Error('--seconds must be a positive number');

const dir = mkdtempSync(join(tmpdir(), 'podglow-terminal-log-'));
const outPath = join(dir, 'stdout.log');
const out = openSync(outPath, 'w');
const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', '--prometheus-url', 'http://127.0.0.1:1'], {
  cwd: process.cwd(),
  // Port 0: the HTTP server takes any free port, so the bench runs beside anything else.
  env: { ...process.env, PODGLOW_CONFIG: '', PODGLOW_PORT: '0', PODGLOW_LOG_LEVEL: 'warn', NODE_NAME: '' },
  stdio: ['ignore', out, 'ignore'],
});
const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
const timer = setTimeout(() => child.kill('SIGTERM'), seconds * 1000);
const code = await exited;
clearTimeout(timer);
closeSync(out);
const text = readFileSync(outPath, 'utf8');
rmSync(dir, { recursive: true, force: true });
const bytes = Buffer.byteLength(text);
const lines = text.split('\n').length - 1;
const result = {
  seconds,
  exitCode: code,
  bytes,
  lines,
  bytesPerMinute: Math.round((bytes / seconds) * 60),
  linesPerMinute: Math.round((lines / seconds) * 60),
};
console.log(JSON.stringify(result));
