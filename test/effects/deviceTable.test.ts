import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deviceBytesTable, withTable } from '../../scripts/device-table.js';

describe("README's device-bytes table", () => {
  it('matches what the real compose code and driver settings produce (npx tsx scripts/device-table.ts --write)', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = await deviceBytesTable();
    expect(withTable(readme, table)).toBe(readme);
    // The HAT's full channel at brightness 1 is Pimoroni's cap.
    expect(table).toMatch(/\| overflow \| `#ffffff` \| 128,128,128 \|/);
  });
});
