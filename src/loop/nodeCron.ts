import { createRequire } from 'node:module';
import type * as NodeCron from 'node-cron';

let loaded: typeof NodeCron | undefined;

/**
 * node-cron, loaded on first use: only a config with a cron string (a cron `interval`, a
 * brightness schedule) pays for it, and `check` or `run` on a duration loads none of it.
 * Synchronous (its CommonJS build), because config validation is.
 */
export function nodeCron(): typeof NodeCron {
  return (loaded ??= createRequire(import.meta.url)('node-cron') as typeof NodeCron);
}
