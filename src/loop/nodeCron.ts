import { lazyRequire } from '../lazyRequire.js';
import type * as NodeCron from 'node-cron';

/**
 * node-cron, loaded on first use: only a config with a cron string (a cron `interval`, a
 * brightness schedule) pays for it, and `check` or `run` on a duration loads none of it.
 * Synchronous (its CommonJS build), because config validation is.
 */
export const nodeCron = lazyRequire<typeof NodeCron>('node-cron');
