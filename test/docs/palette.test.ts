import { describe, expect, it } from 'vitest';
import { PALETTE_KEYS } from '../../src/config/schema.js';
import { PRESETS, presetColors } from '../../src/layout/palette.js';
import { readPage } from './markdown.js';

// The palette table of docs/layouts.md against the presets in src/layout/palette.ts: each
// preset's colour per key ("off" = #000000) and which keys blink.

const PRESET_COLUMNS = ['default', 'unicorn-classic', 'blinkstick-classic'] as const;

/** The rows of the table under "## Palettes": key → its three cells. */
function table(): Map<string, string[]> {
  const md = readPage('docs/layouts.md');
  const section = md.slice(md.indexOf('## Palettes'));
  const rows = new Map<string, string[]>();
  for (const l of section.split('\n')) {
    const cells = l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells.length !== 4 || cells[0] === 'key' || /^-+$/.test(cells[0]!)) continue;
    rows.set(cells[0]!.split(' ')[0]!, cells.slice(1));
  }
  return rows;
}

describe('docs/layouts.md palette table', () => {
  const rows = table();

  it('has a row for every palette key', () => {
    expect([...rows.keys()].sort()).toEqual([...PALETTE_KEYS].sort());
  });

  it.each(PRESET_COLUMNS.map((p, i) => [p, i] as const))('%s: the colours and blinking keys of the preset', (preset, i) => {
    const colors = presetColors(PRESETS[preset]);
    for (const key of PALETTE_KEYS) {
      const cell = rows.get(key)![i]!;
      const hex = /`(#[0-9a-f]{6})`/.exec(cell)?.[1] ?? (cell === 'off' ? '#000000' : `no colour in "${cell}"`);
      expect(`${key}: ${hex}`).toBe(`${key}: ${colors[key]}`);
      expect(`${key}: ${cell.includes('blinking')}`).toBe(`${key}: ${PRESETS[preset].blink.includes(key)}`);
    }
  });
});
