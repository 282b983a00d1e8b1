import { vi } from 'vitest';
import type { Rgb } from '../../src/color.js';
import { parseConfig } from '../../src/config/load.js';
import type { OutputConfig } from '../../src/config/schema.js';
import type { DriverContext } from '../../src/output/driver.js';
import { outputGeometry } from '../../src/output/geometry.js';
import { silentLogger } from '../../src/log.js';

/** One output section run through the real schema (so defaults such as dma 10 apply). */
export function outputConfig<T extends OutputConfig['type']>(
  raw: { type: T } & Record<string, unknown>,
): Extract<OutputConfig, { type: T }> {
  const config = parseConfig({ source: 'demo', outputs: [raw] }, { env: {} });
  return config.outputs[0] as Extract<OutputConfig, { type: T }>;
}

/** A driver context whose onStatus calls are recorded. */
export function driverContext(config: OutputConfig, name: string = config.type) {
  const onStatus = vi.fn<(up: boolean, error?: Error) => void>();
  const ctx: DriverContext = { name, geometry: outputGeometry(config), log: silentLogger, onStatus };
  return { ctx, onStatus };
}

/** A frame whose LED i has a colour unique to i. */
export function distinctFrame(n: number): Rgb[] {
  return Array.from({ length: n }, (_, i) => [i + 1, 255 - i, (i * 37) % 256] as const);
}

/** The 0xRRGGBB word of a colour. */
export function word(c: Rgb): number {
  return (c[0] << 16) | (c[1] << 8) | c[2];
}
