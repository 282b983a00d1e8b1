import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from '../helpers/chromium.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { previewContext } from '../../src/server/state.js';
import { parseConfig } from '../../src/config/load.js';
import type { Snapshot } from '../../src/snapshot.js';
import { Metrics } from '../../src/metrics.js';
import { silentLogger } from '../../src/log.js';
import { FakeStatusView, node, outputView, snapshotOf } from '../fakes/fakeStatusView.js';

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

// The config behind the fake outputs: each output's layout and palette (src/layout/palette.ts
// presets: blinkstick-classic runs #00c700 (its PWM 0,25,0 at full scale), the default #00ff00).
const CONFIG = parseConfig(
  {
    source: 'demo',
    outputs: [
      { name: 'unicornhat', type: 'web', width: 8, height: 8, layout: { type: 'matrix' } },
      {
        name: 'blinkstick',
        type: 'web',
        width: 2,
        height: 1,
        layout: { type: 'summary', node: 'pi-1' },
        palette: { preset: 'blinkstick-classic' },
      },
      { name: 'strip', type: 'web', width: 16, height: 1, layout: { type: 'nodes' } },
      { name: 'grid', type: 'web', width: 2, height: 2, layout: { type: 'nodes' } },
    ],
  },
  { env: {} },
);

/** A node with the issue-13 fields the Snapshot gains (conditions, alerts); the page treats them as optional. */
function nodeWith(
  name: string,
  pods: Parameters<typeof node>[1],
  extra: Parameters<typeof node>[2],
  more: { conditions: string[]; alerts: { critical: number; warning: number; info: number } },
) {
  return Object.assign(node(name, pods, extra), more);
}

let view: FakeStatusView;
let server: RunningServer;
let port: number;
let browser: TestBrowser | undefined;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
let dialogs = 0;

async function serve(): Promise<void> {
  server = await startServer(
    view,
    new Metrics({ defaultMetrics: false }),
    { address: '127.0.0.1', port, preview: previewContext(CONFIG) },
    silentLogger,
  );
  port = Number(new URL(server.url).port);
}

function rgb(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

async function ledColours(output: string): Promise<string[]> {
  return page.$$eval(`figure[data-output="${output}"] .led`, (els) => els.map((e) => getComputedStyle(e).backgroundColor));
}

/** Text, left edge and width of each node label of an output, and the left edges of its LED columns. */
async function labels(output: string) {
  return page.$eval(`figure[data-output="${output}"] .board`, (b) => {
    const cols = [...new Set(Array.from(b.querySelectorAll('.led')).map((e) => Math.round(e.getBoundingClientRect().left)))].sort(
      (x, y) => x - y,
    );
    const lastLedBottom = Math.max(...Array.from(b.querySelectorAll('.led')).map((e) => e.getBoundingClientRect().bottom));
    const ls = Array.from(b.querySelectorAll('.band-label')).map((e) => {
      const r = e.getBoundingClientRect();
      return {
        text: e.textContent,
        left: Math.round(r.left),
        right: Math.round(r.right),
        top: Math.round(r.top),
        elements: e.childElementCount,
      };
    });
    return { cols, lastLedBottom: Math.round(lastLedBottom), labels: ls };
  });
}

async function shot(name: string): Promise<void> {
  mkdirSync('test/artifacts', { recursive: true });
  await page.screenshot({ path: `test/artifacts/${name}.png`, fullPage: true });
}

beforeAll(async () => {
  view = new FakeStatusView([
    outputView('unicornhat', 'web', 8, 8, 0.5),
    outputView('blinkstick', 'blinkstick', 2, 1),
    outputView('strip', 'ws281x', 16, 1),
    outputView('grid', 'web', 2, 2),
  ]);
  port = 0;
  await serve();
  browser = await launchChromium({ width: 1280, height: 860 });
  context = browser.context;
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
  await browser?.close();
  await server?.close();
});

describe('preview page in headless Chromium', () => {
  it('shows a "no data yet" banner and the start-up walker before the first poll', async () => {
    view.fail('connection refused');
    await page.goto(server.url);
    await page.waitForSelector('figure[data-output="unicornhat"] .led');
    await expect.poll(() => page.isVisible('#banner')).toBe(true);
    expect(await page.textContent('#banner')).toContain('waiting for the first successful poll (last error: connection refused)');
    expect(await page.textContent('#status')).toBe('waiting');
    expect(await page.textContent('#last-poll')).toBe('never');
    // One status-coloured LED walks across each output, drawn by the page (no frame events).
    const lit = async () => (await ledColours('strip')).flatMap((c, i) => (c === rgb('#ff9900') ? [i] : []));
    await expect.poll(async () => (await lit()).length).toBe(1);
    const first = (await lit())[0];
    await expect.poll(async () => (await lit())[0], { timeout: 3000 }).not.toBe(first);
    await shot('preview-waiting');
  });

  it('draws every output in its geometry with its base colours, live from the event stream', async () => {
    view.good(
      snapshotOf(
        [
          node('pi-1', { running: 4, pending: 1 }),
          node('pi-2', { crashing: 1 }, { ready: false }),
          node(EVIL, { running: 2 }, { unschedulable: true }),
        ],
        '2026-11-21T12:00:00.000Z',
        { pending: 3 },
      ),
      new Date(),
    );
    view.frame('unicornhat', HAT, HAT_BLINK);
    view.frame('blinkstick', ['#00ff00', '#ff0000']);
    view.frame(
      'strip',
      Array.from({ length: 16 }, (_, i) => (i < 3 ? '#0000ff' : '#000000')),
    );
    view.frame('grid', ['#00ff00', '#400000', '#00ff00', '#000000']);

    await expect.poll(() => ledColours('unicornhat')).toEqual(HAT.map(rgb));
    expect(
      await page.$$eval('figure[data-output="unicornhat"] .led', (els) => els.map((e) => e.classList.contains('blink'))),
    ).toEqual(HAT_BLINK);
    await expect.poll(() => ledColours('blinkstick')).toEqual([rgb('#00ff00'), rgb('#ff0000')]);
    await expect
      .poll(() => ledColours('strip'))
      .toEqual(Array.from({ length: 16 }, (_, i) => rgb(i < 3 ? '#0000ff' : '#000000')));
    // Real geometry: 8 columns of round LEDs, 64 of them.
    const grid = await page.$eval('figure[data-output="unicornhat"] .board', (b) => {
      const leds = Array.from(b.querySelectorAll('.led')).map((e) => e.getBoundingClientRect());
      return {
        cols: new Set(leds.map((r) => Math.round(r.left))).size,
        rows: new Set(leds.map((r) => Math.round(r.top))).size,
        radius: getComputedStyle(b.querySelector('.led')!).borderRadius,
      };
    });
    expect(grid).toEqual({ cols: 8, rows: 8, radius: '50%' });
    const stickRows = await page.$$eval(
      'figure[data-output="blinkstick"] .led',
      (els) => new Set(els.map((e) => Math.round(e.getBoundingClientRect().top))).size,
    );
    expect(stickRows).toBe(1);
    expect(await page.textContent('figure[data-output="unicornhat"] .info')).toContain('brightness 50%');
    expect(await page.textContent('figure[data-output="blinkstick"] .subject')).toBe('node pi-1');

    await expect.poll(() => page.isVisible('#banner')).toBe(false);
    expect(await page.textContent('#status')).toBe('live');
    expect(await page.textContent('#last-poll')).not.toBe('never');
  });

  it('writes each node name under its matrix band and under its LED of a nodes layout, as text', async () => {
    const hat = await labels('unicornhat');
    // matrix, columnsPerNode auto: floor(8 / 3) = 2 columns per node (SPEC §5).
    expect(hat.labels.map((l) => l.text)).toEqual(['pi-1', 'pi-2', EVIL]);
    expect(hat.labels.map((l) => l.left)).toEqual([hat.cols[0], hat.cols[2], hat.cols[4]]);
    for (const l of hat.labels) expect(l.top).toBeGreaterThanOrEqual(hat.lastLedBottom);
    expect(hat.labels.every((l) => l.elements === 0)).toBe(true);
    const strip = await labels('strip');
    expect(strip.labels.map((l) => l.text)).toEqual(['pi-1', 'pi-2', EVIL]);
    expect(strip.labels.map((l) => l.left - strip.cols[strip.labels.indexOf(l)]!).every((d) => Math.abs(d) <= 18)).toBe(true);
    expect((await labels('blinkstick')).labels).toEqual([]);
    // A nodes layout on a matrix: each name under its LED, row by row (2×2: two in the first row, one in the second).
    const grid = await page.$eval('figure[data-output="grid"] .board', (b) => {
      const leds = Array.from(b.querySelectorAll('.led')).map((e) => e.getBoundingClientRect());
      return Array.from(b.querySelectorAll('.band-label')).map((e, i) => {
        const r = e.getBoundingClientRect();
        const led = leds[i]!;
        return {
          text: e.textContent,
          under: r.top >= led.bottom - 1 && r.top < led.bottom + 20,
          sameColumn: Math.abs(r.left - led.left) <= 4,
        };
      });
    });
    expect(grid).toEqual([
      { text: 'pi-1', under: true, sameColumn: true },
      { text: 'pi-2', under: true, sameColumn: true },
      { text: EVIL, under: true, sameColumn: true },
    ]);
    expect(await page.getAttribute('figure[data-output="unicornhat"] .led[data-index="0"]', 'title')).toContain('pi-1');
  });

  it("draws each output's legend in that output's palette, and the per-node counts with names as text", async () => {
    const groups = await page.$$eval('#legend .legend-group', (gs) =>
      gs.map((g) => ({
        outputs: g.getAttribute('data-outputs'),
        title: g.querySelector('.legend-for')?.textContent ?? null,
        items: Object.fromEntries(
          Array.from(g.querySelectorAll('li')).map((li) => [
            li.getAttribute('data-key'),
            getComputedStyle(li.querySelector('.swatch')!).backgroundColor,
          ]),
        ),
      })),
    );
    expect(groups.map((g) => [g.outputs, g.title])).toEqual([
      ['unicornhat,strip,grid', 'unicornhat, strip, grid'],
      ['blinkstick', 'blinkstick'],
    ]);
    expect(groups[0]!.items).toMatchObject({
      running: 'rgb(0, 255, 0)',
      crashing: 'rgb(255, 0, 0)',
      pending: 'rgb(255, 153, 0)',
    });
    expect(groups[1]!.items).toMatchObject({ running: rgb('#00c700'), pending: rgb('#ffff00'), crashing: rgb('#ff0000') });
    expect(Object.keys(groups[0]!.items)).toEqual(
      expect.arrayContaining(['pending', 'terminating', 'failed', 'unknown', 'succeeded', 'overflow', 'notReady', 'cordoned']),
    );

    const rows = await page.$$eval('#nodes-body tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)),
    );
    expect(rows[0]).toEqual(['pi-1', '4', '1', '0', '0', '0', '0', '0', '5', '', '']);
    expect(rows[1]![0]).toBe('pi-2NotReady');
    expect(rows[2]![0]).toBe(`${EVIL}cordoned`);
    expect(rows[3]).toEqual(['(unscheduled)', '0', '3', '0', '0', '0', '0', '0', '3', '', '']);
    // The name is text: no element was made from it and nothing ran.
    expect(await page.$$eval('script', (s) => s.length)).toBe(1);
    expect(await page.$eval('#nodes-body tr:nth-child(3) td span', (s) => s.textContent)).toBe(EVIL);
    expect(dialogs).toBe(0);
    expect(await page.isVisible('#queries-wrap')).toBe(false);
    expect(await page.isVisible('#cluster-alerts')).toBe(false);
  });

  it('shows node conditions, alerts, cluster-wide alerts and queries once the snapshot has them', async () => {
    const s = snapshotOf([
      nodeWith(
        'pi-1',
        { running: 4 },
        {},
        { conditions: ['DiskPressure', 'MemoryPressure'], alerts: { critical: 1, warning: 0, info: 2 } },
      ),
      nodeWith(EVIL, { running: 2 }, {}, { conditions: [EVIL], alerts: { critical: 0, warning: 3, info: 0 } }),
    ]) as Snapshot & Record<string, unknown>;
    s.alerts = { critical: 0, warning: 1, info: 0 };
    s.queries = { build: { value: 1, color: '#00ff00' }, slo: { value: null, error: 'query "slo": no data' } };
    view.good(s, new Date());
    await expect
      .poll(() =>
        page.$$eval('#nodes-body tr', (trs) =>
          trs.map((tr) => [tr.querySelector('.conditions')?.textContent, tr.querySelector('.alerts')?.textContent]),
        ),
      )
      .toEqual([
        ['DiskPressureMemoryPressure', '1 critical2 info'],
        [EVIL, '3 warning'],
      ]);
    expect(await page.$$eval('#nodes-body .conditions .flag', (fs) => fs.map((f) => f.childElementCount))).toEqual([0, 0, 0]);
    expect(await page.textContent('#cluster-alerts')).toBe('cluster-wide alerts: 1 warning');
    const queries = await page.$$eval('#queries-body tr', (trs) =>
      trs.map((tr) => [tr.getAttribute('data-query'), ...Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)]),
    );
    expect(queries).toEqual([
      ['build', ' build', '1', ''],
      ['slo', ' slo', '–', 'query "slo": no data'],
    ]);
    expect(dialogs).toBe(0);
    await shot('preview-conditions');
  });

  it('shows the stale display and a banner whose age ticks in the page, and clears it on recovery', async () => {
    const before = [
      node('pi-1', { running: 4, pending: 1 }),
      node('pi-2', { crashing: 1 }, { ready: false }),
      node(EVIL, { running: 2 }, { unschedulable: true }),
    ];
    view.good(snapshotOf(before), new Date(Date.now() - 30_000));
    view.fail('connection refused');
    view.setStale(true, 'stale: no good poll for 30s (last error: connection refused)');
    await expect.poll(() => page.isVisible('#banner'), { timeout: 3000 }).toBe(true);
    await expect.poll(() => page.textContent('#banner')).toMatch(/no good poll for 3\d s \(last error: connection refused\)/);
    expect(await page.textContent('#status')).toBe('stale');
    // The device's stale display, drawn by the page: the frame dimmed, the last LED the status colour, blinking.
    await expect.poll(async () => (await ledColours('unicornhat'))[63]).toBe(rgb('#ff9900'));
    await expect.poll(async () => (await ledColours('unicornhat'))[32]).toBe('rgb(0, 38, 0)');
    expect(await page.$eval('figure[data-output="unicornhat"] .led[data-index="63"]', (e) => e.classList.contains('blink'))).toBe(
      true,
    );
    // No event is sent while stale, yet the age moves on.
    const age = async () => Number(/no good poll for (\d+) s/.exec((await page.textContent('#banner')) ?? '')?.[1]);
    const a0 = await age();
    await expect.poll(age, { timeout: 3000 }).toBeGreaterThan(a0);
    await shot('preview-stale');

    view.good(
      snapshotOf([
        node('pi-1', { running: 5 }),
        node('pi-2', { crashing: 1 }, { ready: false }),
        node(EVIL, { running: 2 }, { unschedulable: true }),
      ]),
      new Date(),
    );
    view.frame('unicornhat', HAT, HAT_BLINK);
    await expect.poll(() => page.isVisible('#banner')).toBe(false);
    expect(await page.textContent('#status')).toBe('live');
    await expect.poll(() => ledColours('unicornhat')).toEqual(HAT.map(rgb));
    await shot('preview');
  });

  it('says how old the cluster data is in the header, ticking in the page: "cluster as of 3 s ago · scraped every 5 s"', async () => {
    expect(await page.isVisible('#data-age')).toBe(false);
    view.setData({ ageMs: 3000, sampleTime: Date.now() - 3000, lane: 'kube-state-metrics-fast', landsEveryMs: 5000 });
    await expect
      .poll(() => page.textContent('#data-age'), { timeout: 3000 })
      .toMatch(/^cluster as of [34] s ago · scraped every 5 s$/);
    // No event while nothing lands, yet the age moves on.
    await expect.poll(() => page.textContent('#data-age'), { timeout: 4000 }).toMatch(/^cluster as of [5-7] s ago/);
    view.setData(null);
  });

  it('reconnects by itself when the server restarts', async () => {
    await server.close();
    await expect.poll(() => page.isVisible('#conn'), { timeout: 5000 }).toBe(true);
    view.frame('blinkstick', ['#0000ff', '#000000']);
    await serve();
    await expect.poll(() => ledColours('blinkstick'), { timeout: 10_000 }).toEqual([rgb('#0000ff'), rgb('#000000')]);
    await expect.poll(() => page.isVisible('#conn')).toBe(false);
  }, 20_000);

  it('ran without script errors or CSP violations', () => {
    // The restart above makes Chromium log the failed reconnect attempts; anything else is a bug.
    expect(pageErrors.filter((e) => !/api\/events|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e))).toEqual([]);
  });
});
