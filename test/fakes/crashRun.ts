/**
 * A `podglow run` child for crash tests: the real runPodglow (signal and crash handlers) on
 * the demo source, with one recording output that appends every show() and its blanking to
 * PODGLOW_TEST_RECORD as JSON lines. After its first lit frame the fake driver injects the
 * crash named by PODGLOW_TEST_CRASH (`exception` or `rejection`) — a test-only hook, not a
 * podglow feature.
 */
import { appendFileSync } from 'node:fs';
import type { Rgb } from '../../src/color.js';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { runPodglow } from '../../src/cli/run.js';
import type { Driver } from '../../src/output/driver.js';

const file = process.env.PODGLOW_TEST_RECORD!;
const crash = process.env.PODGLOW_TEST_CRASH;

class FileRecordingDriver implements Driver {
  readonly up = true;
  readonly maxBrightness = 1;
  readonly gamma = false;
  private size = 0;
  private armed = false;

  async start(): Promise<void> {}

  async show(leds: readonly Rgb[]): Promise<void> {
    this.size = leds.length;
    appendFileSync(file, JSON.stringify({ show: leds }) + '\n');
    if (this.armed || !leds.some((c) => c.some((v) => v > 0))) return;
    this.armed = true;
    setTimeout(() => {
      if (crash === 'exception') throw new Error('injected crash');
      if (crash === 'rejection') void Promise.reject(new Error('injected rejection'));
    }, 300);
  }

  async stop(blank: boolean): Promise<void> {
    appendFileSync(file, JSON.stringify({ stop: blank, show: blank ? new Array(this.size).fill([0, 0, 0]) : undefined }) + '\n');
  }
}

const config = parseConfig(
  {
    source: 'demo',
    interval: '1s',
    server: { enabled: false },
    // onExit: keep must not stop the blanking after a crash.
    outputs: [{ type: 'terminal', name: 'rec', width: 4, height: 2, onExit: 'keep' }],
    log: { format: 'json' },
  },
  { env: {} },
);
const log = createLogger({ level: 'info', format: 'json' });
process.exitCode = await runPodglow(config, log, { createDriver: async () => new FileRecordingDriver() });
