// What the bench workers share: the outputs they drive and how they report to bench/run.ts.
import { pathToFileURL } from 'node:url';
import type { Rgb } from '../src/color.js';
import type { ConfigInput } from '../src/config/schema.js';
import type { Driver } from '../src/output/driver.js';
import type { PollQueries, QueryName } from '../src/source/promql.js';

/** The three outputs every bench worker drives: a Unicorn HAT matrix, a 32-LED nodes strip, a BlinkStick summary. */
export const BENCH_OUTPUTS: ConfigInput['outputs'] = [
  { name: 'hat', type: 'unicornhat', brightness: 0.4, layout: { type: 'matrix' } },
  { name: 'strip', type: 'web', width: 32, height: 1, layout: { type: 'nodes' } },
  { name: 'stick', type: 'blinkstick', layout: { type: 'summary', node: '*' } },
];

/**
 * Runs `work` when `moduleUrl` is the entry point: prints its result as one JSON line and
 * exits 0, or prints the error and exits 1.
 */
export function runAsWorker(moduleUrl: string, work: () => Promise<unknown>): void {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? '').href) return;
  exitAfter(work(), (r) => process.stdout.write(JSON.stringify(r) + '\n'));
}

/** Once `result` settles: `print`s it and exits 0, or prints the error and exits 1. */
export function exitAfter<T>(result: Promise<T>, print: (r: T) => void): void {
  result.then(
    (r) => {
      print(r);
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}

/** A driver that counts writes without keeping them (an empty frame is a bug: it throws). */
export class CountingDriver implements Driver {
  up = true;
  writes = 0;
  constructor(
    readonly maxBrightness: number,
    readonly gamma: boolean,
  ) {}
  async start(): Promise<void> {}
  async show(leds: readonly Rgb[]): Promise<void> {
    if (leds.length === 0) throw new Error('empty frame');
    this.writes++;
  }
  async stop(): Promise<void> {}
}

/** The raw answers of `queries` (POST /api/v1/query), to replay parsing without the network. */
export async function answerBodies(
  url: string,
  queries: readonly string[],
): Promise<{ status: number; contentType: string; body: string }[]> {
  return Promise.all(
    queries.map(async (query) => {
      const r = await fetch(`${url}/api/v1/query`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query }).toString(),
      });
      return { status: r.status, contentType: r.headers.get('content-type') ?? '', body: await r.text() };
    }),
  );
}

/** Calls `one` 3 times to warm up, then `polls` times: those results and the process CPU they took. */
export async function measurePolls<T>(polls: number, one: () => Promise<T>): Promise<{ rows: T[]; cpu: NodeJS.CpuUsage }> {
  for (let i = 0; i < 3; i++) await one();
  const rows: T[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < polls; i++) rows.push(await one());
  return { rows, cpu: process.cpuUsage(cpu0) };
}

/** The names of `queries` and one raw answer of each (answerBodies), to replay a poll's parsing. */
export async function pollBodies(
  url: string,
  queries: PollQueries,
): Promise<{ names: QueryName[]; bodies: Awaited<ReturnType<typeof answerBodies>> }> {
  const names = Object.keys(queries) as QueryName[];
  return {
    names,
    bodies: await answerBodies(
      url,
      names.map((n) => queries[n]!),
    ),
  };
}

/** The `q` quantile of `xs` (nearest rank, from below). */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** The median of `xs`: its 0.5 quantile. */
export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}
