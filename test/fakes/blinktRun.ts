/**
 * A `podglow run` child for the Blinkt!'s exit tests: the real runPodglow (signal and crash
 * handlers) on the demo source with a real `blinkt` output on a fake sysfs GPIO tree. Every
 * value-file write is kept in memory and written to PODGLOW_TEST_RECORD as JSON when the
 * process exits. PODGLOW_TEST_CRASH (`exception`) throws 300 ms after the first frame: a
 * test-only hook, not a podglow feature.
 */
import { writeFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.js';
import type { OutputConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { runPodglow } from '../../src/cli/run.js';
import { BlinktDriver, type BlinktConfig } from '../../src/output/blinkt.js';
import type { DriverContext } from '../../src/output/driver.js';
import { SysfsGpio } from '../../src/output/sysfsGpio.js';
import { FakeSysfsGpio, PI_CHIPS } from './fakeSysfsGpio.js';

const record = process.env.PODGLOW_TEST_RECORD!;
const crash = process.env.PODGLOW_TEST_CRASH;
const fake = new FakeSysfsGpio(PI_CHIPS.pi5);
process.on('exit', () => {
  writeFileSync(record, JSON.stringify(fake.valueWrites));
  fake.cleanup();
});

class CrashingBlinkt extends BlinktDriver {
  private armed = false;
  override async show(...args: Parameters<BlinktDriver['show']>): Promise<void> {
    await super.show(...args);
    if (crash !== 'exception' || this.armed) return;
    this.armed = true;
    setTimeout(() => {
      throw new Error('injected crash');
    }, 300);
  }
}

const config = parseConfig(
  {
    source: 'demo',
    interval: '1s',
    server: { enabled: false },
    // onExit: keep must not stop the blanking after a crash.
    outputs: [{ type: 'blinkt', name: 'blinkt', brightness: 0.5, onExit: crash ? 'keep' : 'blank' }],
    log: { format: 'json' },
  },
  { env: {} },
);
const log = createLogger({ level: 'info', format: 'json' });
const gpio = new SysfsGpio({ root: fake.root, io: fake.io });
process.exitCode = await runPodglow(config, log, {
  createDriver: async (o: OutputConfig, ctx: DriverContext) => new CrashingBlinkt(o as BlinktConfig, ctx, { gpio }),
});
