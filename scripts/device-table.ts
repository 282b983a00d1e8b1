// Prints (or with --write, puts into docs/devices/device-bytes.md) the table of device bytes per palette colour,
// computed by the real compose code with the real drivers' gamma and cap settings.
// Run: npx tsx scripts/device-table.ts --write   (test/effects/deviceTable.test.ts keeps it in sync).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseHex, type Rgb } from '../src/color.js';
import { parseConfig } from '../src/config/load.js';
import { PALETTE_KEYS, type OutputConfig } from '../src/config/schema.js';
import { deviceColor } from '../src/effects/compose.js';
import { PRESETS, presetColors } from '../src/layout/palette.js';
import { silentLogger } from '../src/log.js';
import { createDriver } from '../src/output/registry.js';
import { outputGeometry } from '../src/output/geometry.js';

/** Brightness columns of the table. */
export const TABLE_BRIGHTNESS = [1, 0.5, 0.05] as const;
const START = '<!-- device-bytes:start -->';
const END = '<!-- device-bytes:end -->';

async function settingsOf(raw: Record<string, unknown>): Promise<{ cap: number; gamma: boolean }> {
  const o = parseConfig({ source: 'demo', outputs: [raw] }, { env: {} }).outputs[0] as OutputConfig;
  // Constructing a driver only stores values: nothing is opened or imported natively.
  const d = await createDriver(o, { name: 'table', geometry: outputGeometry(o), log: silentLogger });
  return { cap: d.maxBrightness, gamma: d.gamma };
}

const cell = (c: Rgb) => c.join(',');

/** The markdown table: one row per palette key of the default palette, HAT and BlinkStick bytes (R,G,B). */
export async function deviceBytesTable(): Promise<string> {
  const hat = await settingsOf({ type: 'unicornhat' });
  const stick = await settingsOf({ type: 'blinkstick', variant: 'strip' });
  const hex = presetColors(PRESETS.default);
  const head = ['colour', 'base', ...TABLE_BRIGHTNESS.map((b) => `HAT ${b}`), ...TABLE_BRIGHTNESS.map((b) => `BlinkStick ${b}`)];
  const rows = PALETTE_KEYS.map((k) => {
    const base = parseHex(hex[k]);
    return [
      k,
      `\`${hex[k]}\``,
      ...TABLE_BRIGHTNESS.map((b) => cell(deviceColor(base, { brightness: b, ...hat }))),
      ...TABLE_BRIGHTNESS.map((b) => cell(deviceColor(base, { brightness: b, ...stick }))),
    ];
  });
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** The page's text with the block between the device-bytes markers replaced by `table`. */
export function withTable(page: string, table: string): string {
  const a = page.indexOf(START);
  const b = page.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/devices/device-bytes.md has no ${START} … ${END} block`);
  return page.slice(0, a + START.length) + '\n' + table + '\n' + page.slice(b);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const table = await deviceBytesTable();
  if (process.argv.includes('--write')) {
    const path = new URL('../docs/devices/device-bytes.md', import.meta.url);
    writeFileSync(path, withTable(readFileSync(path, 'utf8'), table));
    console.log('wrote the device-bytes table into docs/devices/device-bytes.md');
  } else {
    console.log(table);
  }
}
