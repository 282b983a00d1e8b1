// The fault suite: podglow (real source, controller, HTTP server; recording outputs) against
// a real Prometheus on 127.0.0.1 scraping two kube-state-metrics fixture replicas, with a
// fault-injecting proxy in between where a fault is not something Prometheus does by itself.
// One Prometheus for the whole file (it is killed and restarted in one case); each case
// asserts what the LEDs show, what /readyz and /metrics say, and that podglow stops promptly.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Rgb } from '../../src/color.js';
import type { Driver } from '../../src/output/driver.js';
import { POD_STATES } from '../../src/states.js';
import { expectedCounts, generateCluster, startKsmFixture, type KsmCluster, type KsmFixture } from '../helpers/ksmFixture.js';
import { startFaultProxy, type FaultProxy } from './faultProxy.js';
import { countsOf, faultConfig, sleep, startHarness, waitUntil, type Harness } from './harness.js';
import { preparePrometheus, type PrometheusProcess } from './prometheusProcess.js';

/** A small cluster with most states, a NotReady node, a cordoned node and an unscheduled pod. */
const CLUSTER: KsmCluster = {
  nodes: [{ name: 'node-1' }, { name: 'node-2', ready: false }, { name: 'node-3', unschedulable: true }],
  pods: [
    { name: 'web-1', node: 'node-1', phase: 'Running' },
    { name: 'web-2', node: 'node-1', phase: 'Running' },
    { name: 'web-3', node: 'node-1', phase: 'Running' },
    { name: 'queue', node: 'node-1', phase: 'Pending' },
    { name: 'loop', node: 'node-1', phase: 'Running', waiting: ['CrashLoopBackOff'] },
    { name: 'db-1', node: 'node-2', phase: 'Running' },
    { name: 'db-2', node: 'node-2', phase: 'Running' },
    { name: 'job', node: 'node-2', phase: 'Failed' },
    { name: 'cache', node: 'node-3', phase: 'Running' },
    { name: 'old', node: 'node-3', phase: 'Running', deleting: true },
    { name: 'nowhere', phase: 'Pending' },
  ],
};
const EXPECTED = expectedCounts(CLUSTER);

let fixture: KsmFixture;
let prom: PrometheusProcess;
let proxy: FaultProxy;
let h: Harness | undefined;
let current: KsmCluster | null = CLUSTER;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  fixture = await startKsmFixture({ cluster: CLUSTER, replicas: 2 });
  prom = await preparePrometheus({ jobs: [{ job: 'kube-state-metrics', targets: fixture.targets }] });
  proxy = await startFaultProxy(prom.url);
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await h?.stop();
  await proxy?.close();
  await prom?.dispose();
  await fixture?.close();
});

afterEach(async () => {
  proxy.rule = () => ({ kind: 'pass' });
  if (h) {
    const t = Date.now();
    await h.stop();
    h = undefined;
    // Neither hangs nor crashes: the orderly stop finishes well inside the 5 s budget.
    expect(Date.now() - t).toBeLessThan(2000);
  }
  expect(unhandled).toEqual([]);
});

/** Starts the shared Prometheus if needed and waits until it has scraped the current scenario. */
async function ensurePrometheus(): Promise<void> {
  await prom.start();
  await prom.waitForValue(`count(ksm_fixture_generation >= ${fixture.generation})`, fixture.targets.length, 30_000);
}

/** Switches the fixture scenario (if different) and waits until Prometheus has scraped it. */
async function scenario(cluster: KsmCluster | null): Promise<void> {
  if (cluster !== current) {
    fixture.set(cluster);
    current = cluster;
  }
  await ensurePrometheus();
}

async function metric(name: string): Promise<number> {
  const v = (await h!.metrics()).get(name);
  if (v === undefined) throw new Error(`no ${name} on /metrics`);
  return v;
}

/** Waits for a display state of output `name`, explaining the last LEDs on failure. */
function waitDisplay(state: ReturnType<Harness['display']>, ms = 6000, name?: string): Promise<number> {
  return waitUntil(
    `LEDs ${state}`,
    () => h!.display(name) === state,
    ms,
    () => ({ display: h!.display(name), leds: h!.driver(name).last }),
  );
}

async function waitReadyzContains(text: string, ms = 6000): Promise<{ status: number; text: string }> {
  let last = { status: 0, text: '' };
  await waitUntil(
    `/readyz mentioning "${text}"`,
    async () => (last = await h!.readyz()).text.includes(text),
    ms,
    () => last,
  );
  return last;
}

/** The live state: LEDs show the layout of the expected counts, /readyz 200, metrics fresh and right. */
async function expectLive(): Promise<void> {
  await waitDisplay('live');
  for (const [node, counts] of EXPECTED.nodes) expect(countsOf(h!.app.controller.snapshot(), node), node).toEqual(counts);
  expect(countsOf(h!.app.controller.snapshot(), '')).toEqual(EXPECTED.unscheduled);
  expect(await h!.readyz()).toEqual({ status: 200, text: 'ready\n' });
  const m = await h!.metrics();
  expect(m.get('podglow_data_stale')).toBe(0);
  expect(m.get('podglow_nodes')).toBe(3);
  expect(m.get('podglow_pods{node="node-1",state="running"}')).toBe(3);
  expect(m.get('podglow_pods{node="node-1",state="crashing"}')).toBe(1);
  expect(m.get('podglow_pods{node="",state="pending"}')).toBe(1);
}

/** The stale state: dimmed last frame with the blinking status LED, /readyz 503 naming the error, stale metric 1. */
async function expectStale(errorText: string): Promise<void> {
  await waitDisplay('stale');
  const r = await waitReadyzContains(errorText);
  expect(r.status).toBe(503);
  expect(r.text).toMatch(/^not ready: stale: no good poll for /);
  const m = await h!.metrics();
  expect(m.get('podglow_data_stale')).toBe(1);
  // The dimmed frame on the LEDs is still explained by the last good counts.
  expect(m.get('podglow_pods{node="node-1",state="running"}')).toBe(3);
}

async function live(url = proxy.url): Promise<void> {
  await scenario(CLUSTER);
  h = await startHarness(faultConfig(url));
  await expectLive();
}

describe('fault suite (real Prometheus on 127.0.0.1)', () => {
  it('Prometheus down at start: walker, 503 naming the refusal; live on the first poll after it comes up', async () => {
    await prom.kill();
    h = await startHarness(faultConfig(prom.url));
    await waitUntil('two refused polls', async () => (await metric('podglow_poll_errors_total{reason="connection"}')) >= 2);
    expect(h.display()).toBe('walker');
    // The walker really walks: several LED positions were lit.
    const positions = new Set(h.driver().shows.map((leds) => leds.findIndex((c) => c.some((v) => v > 0))));
    expect(positions.size).toBeGreaterThan(1);
    const r = await h.readyz();
    expect(r.status).toBe(503);
    expect(r.text).toContain('waiting for the first successful poll');
    expect(r.text).toContain('connection refused');
    const m = await h.metrics();
    expect(m.get('podglow_data_stale')).toBe(1);
    expect(m.get('podglow_polls_total{result="success"}')).toBe(0);
    expect(m.get('podglow_last_successful_poll_timestamp_seconds')).toBe(0);

    await ensurePrometheus();
    const up = Date.now();
    await expectLive();
    expect(Date.now() - up).toBeLessThan(3000);
    expect(await metric('podglow_polls_total{result="success"}')).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('Prometheus killed mid-run: stale after staleAfter, then live again on the next poll after a restart', async () => {
    await live(prom.url);
    const failuresBefore = await metric('podglow_polls_total{result="failure"}');
    await prom.kill();
    const killed = Date.now();
    await expectStale('connection');
    // Not before staleAfter (2 s) minus the age of the last good poll (≤ 1 s interval).
    expect(Date.now() - killed).toBeGreaterThanOrEqual(900);
    expect(await metric('podglow_poll_errors_total{reason="connection"}')).toBeGreaterThanOrEqual(1);
    expect(await metric('podglow_polls_total{result="failure"}')).toBeGreaterThan(failuresBefore);

    await prom.start();
    // The WAL replayed answers with the samples from before the kill, older than staleAfter:
    // stale until a scrape after the restart lands (SPEC §3b), then live on the next 1 s poll.
    const restarted = Date.now();
    await waitUntil(
      'a scrape after the restart',
      async () => {
        const r = (await (await fetch(`${prom.url}/api/v1/query?query=max(timestamp(kube_node_info))`)).json()) as {
          data: { result: { value: [number, string] }[] };
        };
        return Number(r.data.result[0]?.value[1] ?? 0) * 1000 >= restarted;
      },
      10_000,
    );
    const scraped = Date.now();
    await expectLive();
    expect(Date.now() - scraped).toBeLessThan(3000);
    await ensurePrometheus();
  }, 60_000);

  it('answers slower than the timeout: each poll gives up after prometheus.timeout, stale, live once fast again', async () => {
    await live();
    proxy.rule = () => ({ kind: 'delay', ms: 4000 });
    const failures = await metric('podglow_polls_total{result="failure"}');
    await expectStale('no answer within 1000 ms');
    expect(await metric('podglow_poll_errors_total{reason="timeout"}')).toBeGreaterThanOrEqual(1);
    // Polls keep coming (none hangs the loop) and podglow hangs up on the slow requests.
    await waitUntil('two more failed polls', async () => (await metric('podglow_polls_total{result="failure"}')) >= failures + 2);
    expect(proxy.requests.filter((r) => r.aborted).length).toBeGreaterThanOrEqual(4);
    const m = await h!.metrics();
    // Every poll ended within its 1 s timeout (+ scheduling): nothing in the 2.5 s bucket's complement.
    expect(m.get('podglow_poll_duration_seconds_bucket{le="2.5"}')).toBe(m.get('podglow_poll_duration_seconds_count'));
    proxy.rule = () => ({ kind: 'pass' });
    await expectLive();
  }, 30_000);

  it('HTTP 400, 422 and 503 with Prometheus error JSON: reason http, message on /readyz, stale', async () => {
    await live();
    const cases = [
      { status: 400, errorType: 'bad_data', error: '1:1: parse error: unexpected character' },
      {
        status: 422,
        errorType: 'execution',
        error: 'found duplicate series for the match group, many-to-many matching not allowed',
      },
      { status: 503, errorType: 'unavailable', error: 'TSDB not ready' },
    ];
    for (const [i, c] of cases.entries()) {
      proxy.rule = (q) =>
        q === 'pods'
          ? {
              kind: 'answer',
              status: c.status,
              body: JSON.stringify({ status: 'error', errorType: c.errorType, error: c.error }),
            }
          : { kind: 'pass' };
      const r = await waitReadyzContains(`HTTP ${c.status}: ${c.errorType}: ${c.error}`);
      expect(r.status).toBe(503);
      if (i === 0) await expectStale(`HTTP ${c.status}`);
      expect(h!.display()).toBe('stale');
    }
    expect(await metric('podglow_poll_errors_total{reason="http"}')).toBeGreaterThanOrEqual(3);
    expect(await metric('podglow_poll_errors_total{reason="invalid_response"}')).toBe(0);
    proxy.rule = () => ({ kind: 'pass' });
    await expectLive();
  }, 30_000);

  it('plain-text 401 (Mimir "no org id") before the first good poll: walker and the message on /readyz', async () => {
    await scenario(CLUSTER);
    proxy.rule = () => ({ kind: 'answer', status: 401, body: 'no org id\n', contentType: 'text/plain; charset=utf-8' });
    h = await startHarness(faultConfig(proxy.url));
    const r = await waitReadyzContains('HTTP 401: no org id');
    expect(r.status).toBe(503);
    expect(r.text).toContain('waiting for the first successful poll');
    expect(h.display()).toBe('walker');
    const m = await h.metrics();
    expect(m.get('podglow_poll_errors_total{reason="http"}')).toBeGreaterThanOrEqual(1);
    expect(m.get('podglow_data_stale')).toBe(1);
    proxy.rule = () => ({ kind: 'pass' });
    await expectLive();
  }, 30_000);

  it('truncated JSON and a non-JSON body: reason invalid_response, stale, live again', async () => {
    await live();
    proxy.rule = (q) => (q === 'pods' ? { kind: 'rewrite', fn: (b) => b.slice(0, Math.floor(b.length / 2)) } : { kind: 'pass' });
    await expectStale('malformed JSON');
    proxy.rule = () => ({
      kind: 'answer',
      status: 200,
      body: '<html><body>502 Bad Gateway</body></html>',
      contentType: 'text/html',
    });
    await waitReadyzContains('not JSON (text/html)');
    expect(h!.display()).toBe('stale');
    expect(await metric('podglow_poll_errors_total{reason="invalid_response"}')).toBeGreaterThanOrEqual(2);
    proxy.rule = () => ({ kind: 'pass' });
    await expectLive();
  }, 30_000);

  it('kube-state-metrics target down (empty answers): no_ksm_data, stale at once, live when it is back', async () => {
    await live();
    fixture.fail(503);
    const down = Date.now();
    await expectStale('no kube-state-metrics data');
    // An empty answer marks the display stale on that poll, without waiting for staleAfter.
    expect(Date.now() - down).toBeLessThan(4000);
    expect(await metric('podglow_poll_errors_total{reason="no_ksm_data"}')).toBeGreaterThanOrEqual(1);
    fixture.set(CLUSTER);
    await ensurePrometheus();
    await expectLive();
  }, 30_000);

  it('two kube-state-metrics replicas: every series twice in Prometheus, every pod once on the LEDs and in the metrics', async () => {
    await live();
    const total = await prom.query('count(kube_pod_info{job="kube-state-metrics"})');
    expect(Number(total[0]!.value[1])).toBe(2 * CLUSTER.pods.length);
    const m = await h!.metrics();
    for (const [node, counts] of EXPECTED.nodes) {
      for (const st of POD_STATES) expect(m.get(`podglow_pods{node="${node}",state="${st}"}`), `${node}/${st}`).toBe(counts[st]);
    }
    expect(h!.display()).toBe('live');
  }, 30_000);

  it('NaN values: NaN counts never reach the LEDs (invalid_response, stale); NaN in node answers is harmless', async () => {
    await live();
    const nan = (b: string) => b.replace(/"value":\[([0-9.e+]+),"[^"]*"\]/g, '"value":[$1,"NaN"]');
    proxy.rule = (q) => (q === 'pods' ? { kind: 'rewrite', fn: nan } : { kind: 'pass' });
    await expectStale('is NaN');
    expect(await metric('podglow_poll_errors_total{reason="invalid_response"}')).toBeGreaterThanOrEqual(1);
    // Node, readiness and cordon answers are read by their labels only.
    proxy.rule = (q) => (q === 'pods' ? { kind: 'pass' } : { kind: 'rewrite', fn: nan });
    await expectLive();
  }, 30_000);

  it('10× more nodes than LEDs: pages rotate every pageSeconds, each page the layout of its nodes', async () => {
    const big = generateCluster({ nodes: 80, podsPerNode: 2, unscheduled: 1 });
    await scenario(big);
    try {
      h = await startHarness(
        faultConfig(proxy.url, {
          outputs: [
            { name: 'strip', type: 'web', width: 8, height: 1, brightness: 1, layout: { type: 'nodes' } },
            {
              name: 'hat',
              type: 'web',
              width: 8,
              height: 8,
              brightness: 1,
              layout: { type: 'matrix', columnsPerNode: 1, pageSeconds: 1 },
            },
          ],
        }),
      );
      await waitDisplay('live', 6000, 'strip');
      await waitDisplay('live', 6000, 'hat');
      expect(h.app.controller.snapshot()!.nodes).toHaveLength(80);
      const views = Object.fromEntries(h.app.controller.outputs().map((v) => [v.name, v]));
      expect(views.strip!.pages).toBe(10);
      expect(views.hat!.pages).toBe(10);
      // The hat shows three different pages within about 2.5 s, each exactly its nodes' layout.
      const seen = new Set<number>();
      await waitUntil(
        'three hat pages',
        () => {
          const v = h!.app.controller.outputs().find((o) => o.name === 'hat')!;
          if (h!.display('hat') === 'live') seen.add(v.page);
          return seen.size >= 3;
        },
        6000,
        () => [...seen],
      );
      expect(await h.readyz()).toEqual({ status: 200, text: 'ready\n' });
      expect(await metric('podglow_nodes')).toBe(80);
      expect(await metric('podglow_pods{node="node-80",state="running"}')).toBe(
        expectedCounts(big).nodes.get('node-80')!.running,
      );
    } finally {
      await h?.stop();
      h = undefined;
      await scenario(CLUSTER);
    }
  }, 60_000);

  it('an output that throws on every write: the others keep showing live frames, the metric counts each failure', async () => {
    await scenario(CLUSTER);
    let attempts = 0;
    const broken: Driver = {
      up: true,
      maxBrightness: 1,
      gamma: false,
      async start() {},
      // Throws synchronously, not even a rejected promise.
      show(_leds: readonly Rgb[]): Promise<void> {
        attempts++;
        throw new Error('write EIO');
      },
      async stop() {},
    };
    h = await startHarness(
      faultConfig(proxy.url, {
        outputs: [
          { name: 'broken', type: 'web', width: 8, height: 1, brightness: 1, layout: { type: 'nodes' } },
          { name: 'rejects', type: 'web', width: 8, height: 1, brightness: 1, layout: { type: 'nodes' } },
          { name: 'hat', type: 'web', width: 8, height: 8, brightness: 1, layout: { type: 'matrix' } },
        ],
      }),
      { custom: { broken }, perOutput: { rejects: { failShow: new Error('USB write failed') } } },
    );
    await waitDisplay('live', 6000, 'hat');
    expect(h.driver('rejects').calls).toEqual([]);
    await sleep(1200); // a blinking crashing pod makes the pipeline retry every 500 ms
    const before = attempts;
    const m = await h.metrics();
    const after = attempts;
    const errors = m.get('podglow_output_errors_total{output="broken"}')!;
    expect(before).toBeGreaterThan(2);
    expect(errors).toBeGreaterThanOrEqual(before);
    expect(errors).toBeLessThanOrEqual(after);
    expect(m.get('podglow_output_errors_total{output="rejects"}')).toBeGreaterThan(2);
    expect(m.get('podglow_output_up{output="broken"}')).toBe(0);
    expect(m.get('podglow_output_up{output="rejects"}')).toBe(0);
    expect(m.get('podglow_output_up{output="hat"}')).toBe(1);
    expect(m.get('podglow_output_errors_total{output="hat"}')).toBe(0);
    expect(m.get('podglow_frames_total{output="hat"}')).toBeGreaterThan(0);
    expect(m.get('podglow_frames_total{output="broken"}')).toBe(0);
    // Broken outputs are the device's problem, not the data's: podglow stays ready and live.
    expect(h.display('hat')).toBe('live');
    expect(await h.readyz()).toEqual({ status: 200, text: 'ready\n' });
  }, 30_000);
});

/** The off colour the terminal output draws for a dark LED. */
const TERMINAL_OFF = '48;48;48';

/** LED colours ("r;g;b") of each line the terminal output printed (stdout is not a TTY: one log line per changed snapshot, SPEC §10). */
function terminalBlocks(stdout: string, name: string): string[][] {
  return stdout
    .split('\n')
    .filter((line) => line.includes(` ${name} `))
    .map((line) => [...line.matchAll(/\x1b\[38;2;(\d+;\d+;\d+)m●/g)].map((m) => m[1]!));
}

describe('podglow run as a child process', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'podglow-faults-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('SIGTERM in the middle of a poll: exit 0 within 5 s, the in-flight poll abandoned, LEDs blanked', async () => {
    await scenario(CLUSTER);
    const config = join(dir, 'sigterm.yaml');
    writeFileSync(
      config,
      [
        `prometheus: { url: "${proxy.url}", timeout: 20s, matchers: ['job="kube-state-metrics"'] }`,
        'interval: 1s',
        'staleAfter: 30s',
        'effects: { transitionMs: 0 }',
        'outputs: [ { name: strip, type: terminal, width: 8, height: 1, brightness: 1, layout: { type: nodes } } ]',
        'server: { enabled: true, address: 127.0.0.1, port: 0 }',
        'log: { level: info, format: json }',
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', '--config', config], {
      cwd: process.cwd(),
      env: { ...process.env, PODGLOW_CONFIG: '', PODGLOW_PROMETHEUS_URL: '', NODE_NAME: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      child.on('exit', (code) => resolve({ code, at: Date.now() })),
    );
    try {
      await waitUntil(
        'the first good poll',
        () => stderr.includes('first successful poll'),
        20_000,
        () => stderr.slice(-500),
      );
      const running = stderr.split('\n').find((l) => l.includes('"msg":"podglow running"'));
      const url = (JSON.parse(running!) as { url: string }).url;
      const ready = await fetch(new URL('readyz', url));
      expect(ready.status).toBe(200);
      const metrics = await (await fetch(new URL('metrics', url))).text();
      expect(metrics).toMatch(/^podglow_polls_total\{result="success"\} [1-9]/m);
      await waitUntil('the live frame on the terminal', () =>
        (terminalBlocks(stdout, 'strip').at(-1) ?? []).some((c) => c !== TERMINAL_OFF),
      );

      // Hold the next poll's requests at the proxy: a poll is in flight.
      proxy.rule = () => ({ kind: 'delay', ms: 30_000 });
      const held = proxy.requests.length;
      await waitUntil('a poll in flight', () => proxy.inFlight() >= 1 && proxy.requests.length > held, 5000);
      const sent = Date.now();
      child.kill('SIGTERM');
      const r = await exited;
      expect(r.code, stderr.slice(-2000)).toBe(0);
      expect(r.at - sent).toBeLessThan(5000);
      expect(stderr).toContain('"msg":"stopped"');
      expect(stderr).not.toContain('shutdown took longer');
      expect(proxy.requests.slice(held).every((q) => !q.answered)).toBe(true);
      const blocks = terminalBlocks(stdout, 'strip');
      expect(blocks.length).toBeGreaterThanOrEqual(2);
      expect(blocks.at(-2)!.some((c) => c !== TERMINAL_OFF)).toBe(true);
      expect(blocks.at(-1)).toEqual(new Array(8).fill(TERMINAL_OFF));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 45_000);
});
