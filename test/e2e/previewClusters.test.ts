// The preview page with several clusters (SPEC §3c, §9), in headless Chromium: a heading row
// per cluster in the node table, cluster names under their bands, a banner per stale cluster,
// and only the stale cluster's LEDs dimmed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from '../helpers/chromium.js';
import { toHex } from '../../src/color.js';
import { parseConfig } from '../../src/config/load.js';
import { renderLayout, resolvePalette } from '../../src/layout/index.js';
import { silentLogger } from '../../src/log.js';
import { outputGeometry } from '../../src/output/geometry.js';
import { Metrics } from '../../src/metrics.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { previewContext } from '../../src/server/state.js';
import { emptyAlerts, withClusters, type ClusterSnapshot } from '../../src/snapshot.js';
import { emptyCounts } from '../../src/states.js';
import { FakeStatusView, node, outputView } from '../fakes/fakeStatusView.js';

const CONFIG = parseConfig(
  {
    source: 'demo',
    clusters: [{ name: 'home', displayName: 'Raspberry Pis' }, 'cloud'],
    outputs: [
      { name: 'hat', type: 'web', width: 8, height: 2, layout: { type: 'matrix', columnsPerNode: 2 } },
      { name: 'desk', type: 'web', width: 8, height: 1, layout: { type: 'clusters' } },
    ],
  },
  { env: {} },
);
const block = (name: string, nodes: ClusterSnapshot['nodes'], extra: Partial<ClusterSnapshot> = {}): ClusterSnapshot => ({
  name,
  nodes,
  unscheduled: emptyCounts(),
  alerts: emptyAlerts(),
  dataAgeSeconds: 2,
  stale: false,
  ...extra,
});
const SNAPSHOT = withClusters({ time: '2026-11-21T12:00:00.000Z', alerts: emptyAlerts(), queries: {} }, [
  block('home', [node('pi-1', { running: 2 }), node('pi-2', { running: 1 })], { displayName: 'Raspberry Pis' }),
  block('cloud', [node('pi-1', { running: 2 }), node('node-2', { pending: 1 })], { stale: true, dataAgeSeconds: 45 }),
]);

let view: FakeStatusView;
let server: RunningServer;
let context: BrowserContext;
let page: Page;
let browser: TestBrowser | undefined;
const pageErrors: string[] = [];

beforeAll(async () => {
  view = new FakeStatusView([outputView('hat', 'web', 8, 2), outputView('desk', 'web', 8, 1)]);
  server = await startServer(
    view,
    new Metrics({ defaultMetrics: false }),
    { address: '127.0.0.1', port: 0, preview: previewContext(CONFIG) },
    silentLogger,
  );
  view.good(SNAPSHOT, new Date());
  const palette = resolvePalette(CONFIG.palette);
  for (const o of CONFIG.outputs) {
    const f = renderLayout(o.layout!, SNAPSHOT, { geometry: outputGeometry(o), palette, page: 0 });
    view.frame(o.name!, f.leds.map(toHex), f.blink, f.stale ? { staleLeds: f.stale } : {});
  }
  browser = await launchChromium({ width: 1280, height: 860 });
  context = browser.context;
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url);
  await page.waitForSelector('#nodes-body tr.cluster-head');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('preview page with clusters', () => {
  it('has a heading row per cluster in the node table, with its data age and staleness', async () => {
    const heads = await page.$$eval('#nodes-body tr.cluster-head', (rows) =>
      rows.map((r) => [r.getAttribute('data-cluster'), r.textContent, r.classList.contains('stale')]),
    );
    expect(heads).toEqual([
      ['home', 'Raspberry Pis (home)data 2s old', false],
      ['cloud', 'cloudstale · data 45s old', true],
    ]);
    const rows = await page.$$eval('#nodes-body tr', (rs) =>
      rs.map((r) => r.getAttribute('data-cluster') ?? r.getAttribute('data-node')),
    );
    expect(rows).toEqual(['home', 'pi-1', 'pi-2', 'cloud', 'pi-1', 'node-2']);
    expect(pageErrors).toEqual([]);
  });

  it('names each cluster under its bands and on the one-LED-per-cluster output', async () => {
    const hat = await page.$$eval('figure[data-output="hat"] .band-label', (ls) =>
      ls.map((l) => [l.textContent, l.classList.contains('cluster-label')]),
    );
    expect(hat).toEqual([
      ['pi-1', false],
      ['pi-2', false],
      ['pi-1', false],
      ['node-2', false],
      ['Raspberry Pis', true],
      ['cloud', true],
    ]);
    const desk = await page.$$eval('figure[data-output="desk"] .band-label', (ls) => ls.map((l) => l.textContent));
    expect(desk).toEqual(['Raspberry Pis', 'cloud']);
  });

  it('shows a banner for the stale cluster only and dims only its LEDs', async () => {
    const banners = await page.$$eval('#cluster-banners .banner', (bs) =>
      bs.map((b) => [b.getAttribute('data-cluster'), b.textContent]),
    );
    expect(banners).toEqual([
      ['cloud', 'Cluster cloud: stale data. its newest data was 45s old at the last poll; its LEDs are dimmed and marked.'],
    ]);
    const colours = await page.$$eval('figure[data-output="hat"] .led', (els) => els.map((e) => e.getAttribute('data-color')));
    // Bottom row: home's bands live green, cloud's pi-1 band dimmed green (0.3), node-2's pending dimmed amber.
    expect(colours.slice(8)).toEqual(['#00ff00', '#000000', '#00ff00', '#000000', '#004d00', '#000000', '#4d2e00', '#000000']);
    // Top row: cloud's pi-1 second running pod dimmed; its last LED is the blinking status mark at full colour.
    expect(colours.slice(0, 8)).toEqual(['#00ff00', '#000000', '#000000', '#000000', '#004d00', '#000000', '#000000', '#ff9900']);
  });
});
