// What the bench workers share: the outputs they drive and how they report to bench/run.ts.
import { pathToFileURL } from 'node:url';
import type { ConfigInput } from '../src/config/schema.js';

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
  work().then(
    (r) => {
      process.stdout.write(JSON.stringify(r) + '\n');
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
