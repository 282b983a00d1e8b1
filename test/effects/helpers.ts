import type { Rgb } from '../../src/color.js';
import type { Frame } from '../../src/frame.js';
import { silentLogger } from '../../src/log.js';
import { OutputPipeline, type PipelineOptions } from '../../src/effects/pipeline.js';
import { RecordingDriver } from '../fakes/recordingDriver.js';

/** A frame of `width × height` LEDs all `color`, with optional blinking LEDs. */
export function solidFrame(width: number, height: number, color: Rgb, blinkAt: number[] = []): Frame {
  const n = width * height;
  return {
    width,
    height,
    leds: new Array<Rgb>(n).fill(color),
    blink: Array.from({ length: n }, (_, i) => blinkAt.includes(i)),
    pages: 1,
  };
}

/** A pipeline on a fresh RecordingDriver with test-friendly defaults. */
export function makePipeline(
  over: Partial<PipelineOptions> = {},
  driver = new RecordingDriver(),
): { p: OutputPipeline; d: RecordingDriver } {
  const p = new OutputPipeline({
    name: driver.name,
    type: 'terminal',
    driver,
    geometry: { width: 4, height: 1 },
    brightness: 1,
    transitionMs: 400,
    fps: 30,
    statusColor: [255, 160, 0],
    log: silentLogger,
    ...over,
  });
  return { p, d: driver };
}

/** Count of lit LEDs in a frame of colours. */
export function lit(leds: readonly Rgb[]): number {
  return leds.filter((c) => c[0] || c[1] || c[2]).length;
}
