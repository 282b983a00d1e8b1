import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deviceBytesTable, withTable } from '../../scripts/device-table.js';

describe("docs/devices/device-bytes.md's table", () => {
  it('matches what the real compose code and driver settings produce (npx tsx scripts/device-table.ts --write)', async () => {
    const page = readFileSync(new URL('../../docs/devices/device-bytes.md', import.meta.url), 'utf8');
    const table = await deviceBytesTable();
    expect(withTable(page, table)).toBe(page);
    // The HAT's full channel at brightness 1 is Pimoroni's cap.
    expect(table).toMatch(/\| overflow \| `#ffffff` \| 128,128,128 \|/);
  });
});
