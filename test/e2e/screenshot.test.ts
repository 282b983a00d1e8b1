import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { BrowserContext } from 'playwright-core';
import { launchChromium, type TestBrowser } from '../helpers/chromium.js';
import { startPodglow, type Podglow } from '../../src/app.js';
import { demoConfig } from '../../src/cli/demo.js';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { DemoSource } from '../../src/source/demo.js';

// The README's picture: the preview page of `npm run demo` (its web outputs, the real source,
// poll loop, server and page) frozen 80 s into the demo's scenario, when pi-2 is under
// DiskPressure with a critical alert, `web` scales back (terminating pods) and `flaky` crash-loops.
// The test always renders test/artifacts/preview.png; with PODGLOW_UPDATE_SCREENSHOT=1 it also
// replaces the committed docs/images/preview.png (docs/development.md).

const COMMITTED = 'docs/images/preview.png';
const FRESH = 'test/artifacts/preview.png';
const SCENARIO_SECONDS = 80;

/** Width and height from a PNG's IHDR chunk (PNG specification §11.2.2), after checking the signature. */
function pngSize(buf: Buffer): { width: number; height: number } {
  expect(buf.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  expect(buf.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

let app: Podglow;
let context: BrowserContext;
let browser: TestBrowser | undefined;

beforeAll(async () => {
  const raw = demoConfig({ address: '127.0.0.1', port: 0 });
  raw.outputs = raw.outputs!.filter((o) => o.type !== 'terminal');
  const config = parseConfig(raw, { env: {} });
  // The simulated cluster's clock: started SCENARIO_SECONDS ago, then stopped, so every poll
  // reads the same moment and the picture holds still.
  let now = Date.now() - SCENARIO_SECONDS * 1000;
  const source = new DemoSource(config, { now: () => now });
  now += SCENARIO_SECONDS * 1000;
  app = await startPodglow(config, { log: silentLogger, source });
  browser = await launchChromium({ width: 1280, height: 900 });
  context = browser.context;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('the README screenshot of the preview page', () => {
  it('renders the demo at 80 s, and the committed docs/images/preview.png is a picture of the same size', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(app.url!);
    await page.waitForSelector('figure[data-output="unicornhat"] .led');
    await expect.poll(() => page.textContent('#status')).toBe('live');
    // The moment the picture is meant to show: pi-2's band blinks for its critical alert.
    const state = (await (await fetch(new URL('/api/state', app.url!))).json()) as {
      snapshot: { nodes: { name: string; conditions: string[]; alerts: { critical: number }; pods: Record<string, number> }[] };
    };
    const pi2 = state.snapshot.nodes.find((n) => n.name === 'pi-2')!;
    expect(pi2.conditions).toContain('DiskPressure');
    expect(pi2.alerts.critical).toBeGreaterThan(0);
    expect(state.snapshot.nodes.reduce((s, n) => s + n.pods.terminating!, 0)).toBeGreaterThan(0);
    // Fades finished; blinking LEDs are caught in their lit half (animations: 'disabled').
    await page.waitForTimeout(600);
    mkdirSync('test/artifacts', { recursive: true });
    await page.screenshot({ path: FRESH, animations: 'disabled' });
    const fresh = pngSize(readFileSync(FRESH));
    expect(fresh).toEqual({ width: 1280, height: 900 });
    if (process.env.PODGLOW_UPDATE_SCREENSHOT === '1') {
      mkdirSync('docs/images', { recursive: true });
      copyFileSync(FRESH, COMMITTED);
    }
    expect(
      existsSync(COMMITTED),
      `${COMMITTED} is missing: PODGLOW_UPDATE_SCREENSHOT=1 npx vitest run test/e2e/screenshot.test.ts`,
    ).toBe(true);
    expect(pngSize(readFileSync(COMMITTED))).toEqual(fresh);
  }, 30_000);
});
