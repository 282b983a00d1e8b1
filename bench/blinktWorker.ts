// One Blinkt! frame's GPIO writes and time, in its own process: `node dist/bench/blinktWorker.js [frames]`
// prints one JSON object (BlinktWorkerResult). The stand-in is a sysfs GPIO tree of plain files in
// a temp directory (a Pi 4 header chip at base 512, lines 535 and 536 already exported), driven by
// the real driver through node:fs: the same openSync/writeSync calls as on a Pi, where each write
// also sets a GPIO line in the kernel (slower than a tmpfs file).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Rgb } from '../src/color.js';
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { BlinktDriver, type BlinktConfig } from '../src/output/blinkt.js';
import { PIMORONI_WRITES_PER_FRAME } from '../src/output/blinktProtocol.js';
import { SysfsGpio } from '../src/output/sysfsGpio.js';
import { runAsWorker } from './worker.js';

/** What the Blinkt! worker measured. */
export interface BlinktWorkerResult {
  frames: number;
  /** GPIO writes per frame: podglow's (data writes that change nothing skipped), and Pimoroni's. */
  writesMin: number;
  writesMedian: number;
  writesMax: number;
  pimoroniWrites: number;
  /** Wall time of one frame's show() (µs): median and p95. */
  frameUsP50: number;
  frameUsP95: number;
  /** Median time per GPIO write (µs). */
  writeUs: number;
}

function standIn(): string {
  const root = join(mkdtempSync(join(tmpdir(), 'podglow-bench-gpio-')), 'gpio');
  mkdirSync(join(root, 'gpiochip512'), { recursive: true });
  writeFileSync(join(root, 'export'), '');
  writeFileSync(join(root, 'unexport'), '');
  writeFileSync(join(root, 'gpiochip512', 'label'), 'pinctrl-bcm2711\n');
  writeFileSync(join(root, 'gpiochip512', 'base'), '512\n');
  writeFileSync(join(root, 'gpiochip512', 'ngpio'), '58\n');
  for (const n of [535, 536]) {
    mkdirSync(join(root, `gpio${n}`));
    writeFileSync(join(root, `gpio${n}`, 'direction'), 'in\n');
    writeFileSync(join(root, `gpio${n}`, 'value'), '0\n');
  }
  return root;
}

const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

/** Shows `frames` frames of changing colours (a fade-like walk through the palette) and times each. */
export async function blinktWorker(frames = 2000): Promise<BlinktWorkerResult> {
  const root = standIn();
  try {
    const config = parseConfig({ source: 'demo', outputs: [{ type: 'blinkt' }] }, { env: {} }).outputs[0] as BlinktConfig;
    const driver = new BlinktDriver(
      config,
      { name: 'blinkt', geometry: { width: 8, height: 1 }, log: silentLogger },
      { gpio: new SysfsGpio({ root }) },
    );
    await driver.start();
    if (!driver.up) throw new Error('the stand-in tree did not open');
    const writes: number[] = [];
    const us: number[] = [];
    for (let f = 0; f < frames + 100; f++) {
      const leds: Rgb[] = Array.from(
        { length: 8 },
        (_, i) => [(f * 7 + i * 31) % 256, (f * 3 + i * 17) % 256, (f * 5 + i * 11) % 256] as const,
      );
      const t = performance.now();
      await driver.show(leds, 0.5);
      const dt = (performance.now() - t) * 1000;
      // The first 100 frames warm the JIT up.
      if (f < 100) continue;
      us.push(dt);
      writes.push(driver.lastWrites);
    }
    await driver.stop(true);
    return {
      frames,
      writesMin: Math.min(...writes),
      writesMedian: q(writes, 0.5),
      writesMax: Math.max(...writes),
      pimoroniWrites: PIMORONI_WRITES_PER_FRAME,
      frameUsP50: q(us, 0.5),
      frameUsP95: q(us, 0.95),
      writeUs: q(us, 0.5) / q(writes, 0.5),
    };
  } finally {
    rmSync(join(root, '..'), { recursive: true, force: true });
  }
}

runAsWorker(import.meta.url, () => blinktWorker(Number(process.argv[2] ?? 2000)));
