import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { Metrics } from '../../src/metrics.js';
import { silentLogger } from '../../src/log.js';
import { FakeStatusView, node, outputView, snapshotOf } from '../fakes/fakeStatusView.js';

const CHROMIUM = '/usr/bin/chromium';
const EVIL = '<script>alert(1)</script>';

// A known picture: the 8×8 shows two bands like the original Unicorn HAT monitor.
const HAT = Array.from({ length: 64 }, (_, i) => {
  const x = i % 8;
  const y = Math.floor(i / 8);
  if (x < 2 && y >= 4) return '#008000';
  if (x < 2 && y === 3) return '#804c00';
  if (x >= 2 && x < 4 && y === 7) return '#800000';
  return '#000000';
});
const HAT_BLINK = HAT.map((c) => c === '#800000');

let view: FakeStatusView;
let server: RunningServer;
let port: number;
let userDataDir: string;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
let dialogs = 0;

async function serve(): Promise<void> {
  server = await startServer(view, new Metrics({ defaultMetrics: false }), { address: '127.0.0.1', port }, silentLogger);
  port = Number(new URL(server.url).port);
}

function rgb(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

async function ledColours(output: string): Promise<string[]> {
  return page.$$eval(`figure[data-output="${output}"] .led`, (els) => els.map((e) => getComputedStyle(e).backgroundColor));
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install chromium (apt-get install chromium)`);
  view = new FakeStatusView([outputView('unicornhat', 'web', 8, 8, 0.5), outputView('blinkstick', 'blinkstick', 2, 1), outputView('strip', 'ws281x', 16, 1)]);
  port = 0;
  await serve();
  userDataDir = mkdtempSync(join(tmpdir(), 'podglow-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 860 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

describe('preview page in headless Chromium', () => {
  it('shows a "no data yet" banner before the first poll', async () => {
    await page.goto(server.url);
    await page.waitForSelector('figure[data-output="unicornhat"] .led');
    await expect.poll(() => page.isVisible('#banner')).toBe(true);
    expect(await page.textContent('#banner')).toContain('waiting for the first successful poll');
    expect(await page.textContent('#status')).toBe('waiting');
    expect(await page.textContent('#last-poll')).toBe('never');
  });

  it('draws every output in its geometry with the displayed colours, live from the event stream', async () => {
    view.good(
      snapshotOf(
        [node('pi-1', { running: 4, pending: 1 }), node('pi-2', { crashing: 1 }, { ready: false }), node(EVIL, { running: 2 }, { unschedulable: true })],
        '2026-11-21T12:00:00.000Z',
        { pending: 3 },
      ),
      new Date(),
    );
    view.show('unicornhat', HAT, HAT_BLINK);
    view.show('blinkstick', ['#00ff00', '#ff0000']);
    view.show('strip', Array.from({ length: 16 }, (_, i) => (i < 5 ? '#0000ff' : '#000000')));

    await expect.poll(() => ledColours('unicornhat')).toEqual(HAT.map(rgb));
    expect(await page.$$eval('figure[data-output="unicornhat"] .led', (els) => els.map((e) => e.classList.contains('blink')))).toEqual(HAT_BLINK);
    await expect.poll(() => ledColours('blinkstick')).toEqual([rgb('#00ff00'), rgb('#ff0000')]);
    expect(await ledColours('strip')).toHaveLength(16);
    // Real geometry: 8 columns of round LEDs, 64 of them.
    const grid = await page.$eval('figure[data-output="unicornhat"] .board', (b) => {
      const leds = Array.from(b.querySelectorAll('.led')).map((e) => e.getBoundingClientRect());
      return { cols: new Set(leds.map((r) => Math.round(r.left))).size, rows: new Set(leds.map((r) => Math.round(r.top))).size, radius: getComputedStyle(b.querySelector('.led')!).borderRadius };
    });
    expect(grid).toEqual({ cols: 8, rows: 8, radius: '50%' });
    const stickRows = await page.$$eval('figure[data-output="blinkstick"] .led', (els) => new Set(els.map((e) => Math.round(e.getBoundingClientRect().top))).size);
    expect(stickRows).toBe(1);
    expect(await page.textContent('figure[data-output="unicornhat"] .info')).toContain('brightness 50%');

    await expect.poll(() => page.isVisible('#banner')).toBe(false);
    expect(await page.textContent('#status')).toBe('live');
    expect(await page.textContent('#last-poll')).not.toBe('never');
  });

  it('shows the legend and the per-node counts, with names as text', async () => {
    const legend = await page.$$eval('#legend li', (lis) => lis.map((li) => [li.getAttribute('data-key'), getComputedStyle(li.querySelector('.swatch')!).backgroundColor]));
    expect(legend).toContainEqual(['running', 'rgb(0, 255, 0)']);
    expect(legend).toContainEqual(['crashing', 'rgb(255, 0, 0)']);
    expect(legend.map((l) => l[0])).toEqual(expect.arrayContaining(['pending', 'terminating', 'failed', 'unknown', 'succeeded', 'overflow', 'notReady', 'cordoned']));

    const rows = await page.$$eval('#nodes-body tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
    expect(rows[0]).toEqual(['pi-1', '4', '1', '0', '0', '0', '0', '0', '5']);
    expect(rows[1]![0]).toBe('pi-2NotReady');
    expect(rows[2]![0]).toBe(`${EVIL}cordoned`);
    expect(rows[3]).toEqual(['(unscheduled)', '0', '3', '0', '0', '0', '0', '0', '3']);
    // The name is text: no element was made from it and nothing ran.
    expect(await page.$$eval('script', (s) => s.length)).toBe(1);
    expect(await page.$eval('#nodes-body tr:nth-child(3) td span', (s) => s.textContent)).toBe(EVIL);
    expect(dialogs).toBe(0);
  });

  it('shows the stale banner with the reason, and clears it on recovery', async () => {
    view.setStale(true, 'stale: no good poll for 30s (last error: connection refused)');
    view.show('unicornhat', HAT.map((c, i) => (i === 63 ? '#ff9900' : c)), HAT_BLINK);
    await expect.poll(() => page.isVisible('#banner')).toBe(true);
    expect(await page.textContent('#banner')).toContain('stale: no good poll for 30s (last error: connection refused)');
    expect(await page.textContent('#status')).toBe('stale');
    await expect.poll(async () => (await ledColours('unicornhat'))[63]).toBe(rgb('#ff9900'));
    mkdirSync('test/artifacts', { recursive: true });
    await page.screenshot({ path: 'test/artifacts/preview-stale.png', fullPage: true });

    view.good(snapshotOf([node('pi-1', { running: 5 }), node('pi-2', { crashing: 1 }, { ready: false }), node(EVIL, { running: 2 }, { unschedulable: true })]), new Date());
    view.show('unicornhat', HAT, HAT_BLINK);
    await expect.poll(() => page.isVisible('#banner')).toBe(false);
    expect(await page.textContent('#status')).toBe('live');
    await page.screenshot({ path: 'test/artifacts/preview.png', fullPage: true });
  });

  it('reconnects by itself when the server restarts', async () => {
    await server.close();
    await expect.poll(() => page.isVisible('#conn'), { timeout: 5000 }).toBe(true);
    view.show('blinkstick', ['#0000ff', '#000000']);
    await serve();
    await expect.poll(() => ledColours('blinkstick'), { timeout: 10_000 }).toEqual([rgb('#0000ff'), rgb('#000000')]);
    await expect.poll(() => page.isVisible('#conn')).toBe(false);
  }, 20_000);

  it('ran without script errors or CSP violations', () => {
    // The restart above makes Chromium log the failed reconnect attempts; anything else is a bug.
    expect(pageErrors.filter((e) => !/api\/events|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e))).toEqual([]);
  });
});
