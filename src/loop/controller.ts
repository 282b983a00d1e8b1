import type { Config, LayoutConfig, OutputConfig } from '../config/schema.js';
import { AUTO_INTERVAL, defaultLayout } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import { dataStaleAfterMs } from '../config/load.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Driver } from '../output/driver.js';
import { outputGeometry, type Geometry } from '../output/geometry.js';
import type { ClusterSnapshot, Snapshot } from '../snapshot.js';
import type { DataTime, Source } from '../source/source.js';
import { OutputPipeline } from '../effects/pipeline.js';
import { layoutPageSeconds, layoutPages, renderLayout, resolvePalette, type ResolvedPalette } from '../layout/index.js';
import { AUTO_FALLBACK_INTERVAL, schedulePolls, intervalMs, type PollSchedule } from './scheduler.js';
import { PollRunner } from './pollRunner.js';
import { followData } from './follow.js';
import { DisplayHealth } from './displayHealth.js';
import type { DataAge, Health, OutputView, Readiness, StatusView } from './status.js';

/** One started output handed to the controller. */
export interface ControllerOutput {
  name: string;
  config: OutputConfig;
  driver: Driver;
}

/** What the controller needs. */
export interface ControllerOptions {
  config: Config;
  source: Source;
  /** Outputs in start order, drivers already started. */
  outputs: readonly ControllerOutput[];
  metrics: Metrics;
  log: Logger;
  /** Fallback node of `summary` layouts; default the NODE_NAME environment variable. */
  nodeName?: string;
}

interface OutputState {
  name: string;
  driver: Driver;
  geometry: Geometry;
  layout: LayoutConfig;
  palette: ResolvedPalette;
  pipeline: OutputPipeline;
  page: number;
  pageTimer?: NodeJS.Timeout;
}

/** Extra time past prometheus.timeout before the loop abandons a poll, so the source's own timeout (with its clearer message) comes first. */
export const DEADLINE_GRACE_MS = 1000;

/**
 * The poll loop (SPEC §1), wiring three parts to the outputs: the scheduler (when to poll),
 * the poll runner (deadline, generations, poll metrics) and display health (stale and
 * readiness state). It lays out each good snapshot on every output, drives the effects
 * pipelines (walker, fade, stale display, paging) and is the StatusView the HTTP server reads.
 */
export class Controller implements StatusView {
  /** No good poll for this long means the data is stale (ms). */
  readonly staleAfterMs: number;
  /** A poll unanswered this long is abandoned: prometheus.timeout plus a grace (ms). */
  readonly deadlineMs: number;
  /** /healthz fails when no poll has finished for this long: max(3 × interval, staleAfter) + timeout (ms). */
  readonly wedgedAfterMs: number;
  /** Data older than this (server clock) is stale even when polls succeed: staleAfter, by default at least MIN_DEFAULT_DATA_STALE_MS. */
  readonly dataStaleAfterMs: number;
  /** The interval the scheduler runs: the config's, or for `auto` with a source that cannot probe, AUTO_FALLBACK_INTERVAL. */
  readonly interval: string;
  private readonly outs: OutputState[];
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private readonly runner: PollRunner;
  private readonly display: DisplayHealth;
  private schedule: PollSchedule | null = null;
  private current: Snapshot | null = null;
  /** Where the data of the last good poll stood, when the source said. */
  private data: DataTime | null = null;
  private stopping: Promise<void> | null = null;
  private readonly listeners = new Set<(o: OutputView) => void>();

  constructor(private readonly opts: ControllerOptions) {
    const { config } = opts;
    this.log = opts.log;
    this.metrics = opts.metrics;
    this.interval = config.interval === AUTO_INTERVAL && !opts.source.probe ? AUTO_FALLBACK_INTERVAL : config.interval;
    const periodMs = intervalMs(this.interval, config.timezone);
    this.staleAfterMs = config.staleAfter ?? 3 * periodMs;
    this.dataStaleAfterMs = dataStaleAfterMs(config, this.staleAfterMs);
    this.deadlineMs = config.prometheus.timeout + DEADLINE_GRACE_MS;
    this.wedgedAfterMs = Math.max(3 * periodMs, this.staleAfterMs) + config.prometheus.timeout;
    this.outs = opts.outputs.map((o) => this.makeOutput(o));
    this.display = new DisplayHealth({
      staleAfterMs: this.staleAfterMs,
      wedgedAfterMs: this.wedgedAfterMs,
      dataStaleAfterMs: this.dataStaleAfterMs,
      metrics: this.metrics,
      log: this.log,
      onStale: () => {
        for (const o of this.outs) this.guard(o, () => o.pipeline.setStale(true));
      },
    });
    this.runner = new PollRunner({
      source: opts.source,
      deadlineMs: this.deadlineMs,
      metrics: this.metrics,
      log: this.log,
      onOutcome: (r) => (r.snapshot ? this.succeeded(r.snapshot, r.data) : this.display.failed(r.error)),
    });
    this.metrics.watchDataAge(() => this.display.dataAge());
  }

  private makeOutput(o: ControllerOutput, register = true): OutputState {
    const { config } = this.opts;
    const geometry = outputGeometry(o.config);
    const palette = resolvePalette(config.palette, o.config.palette);
    const pipeline = new OutputPipeline({
      name: o.name,
      type: o.config.type,
      driver: o.driver,
      geometry,
      brightness: o.config.brightness,
      schedule: o.config.schedule,
      timezone: config.timezone,
      transitionMs: o.config.transitionMs ?? config.effects.transitionMs,
      fps: o.config.fps ?? config.effects.fps,
      statusColor: palette.colors.status,
      log: this.log,
      metrics: this.metrics,
    });
    if (register) {
      this.metrics.registerOutput(o.name, pipeline.effectiveBrightness);
      // A device already down at start (a WLED not answering yet) is down from the first scrape.
      if (!o.driver.up) this.metrics.outputUp.set({ output: o.name }, 0);
    }
    pipeline.onChange((view) => {
      for (const l of this.listeners) {
        try {
          l(view);
        } catch (e) {
          this.log.error({ err: e }, 'frame listener failed');
        }
      }
    });
    return {
      name: o.name,
      driver: o.driver,
      geometry,
      layout: o.config.layout ?? defaultLayout(o.config.type),
      palette,
      pipeline,
      page: 0,
    };
  }

  /** Starts the walker on every output, polls once right away, then on the schedule. */
  start(): void {
    if (this.schedule || this.stopping) return;
    for (const o of this.outs) this.guard(o, () => o.pipeline.start());
    const { timezone, follow } = this.opts.config;
    const probe = this.opts.source.probe?.bind(this.opts.source);
    this.schedule =
      this.interval === AUTO_INTERVAL && probe
        ? followData({
            probe,
            poll: () => this.pollNow(),
            onProbe: () => this.display.checkData(),
            minIntervalMs: follow.minInterval,
            maxIntervalMs: follow.maxInterval,
            deadlineMs: this.deadlineMs,
            log: this.log,
          })
        : schedulePolls(this.interval, () => this.pollNow(), this.log, { timezone });
    this.log.info(
      {
        outputs: this.outs.map((o) => o.name),
        staleAfter: formatDuration(this.staleAfterMs),
        deadline: formatDuration(this.deadlineMs),
        timezone,
      },
      `polling ${this.schedule.description}`,
    );
  }

  /** Polls once unless a poll is already running (then waits for that one); resolves when it is decided. */
  pollNow(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return this.runner.run();
  }

  /** Late answers of abandoned polls discarded so far. */
  discardedAnswers(): number {
    return this.runner.discarded;
  }

  private succeeded(s: Snapshot, data?: DataTime): void {
    if (this.stopping) return;
    this.metrics.recordSnapshot(s);
    const first = this.current === null;
    this.data = data?.newestSample != null ? data : null;
    const recovered = this.display.good(this.data ? this.data.evaluatedAt - this.data.newestSample! : null);
    if (first) this.log.info({ nodes: s.nodes.length }, 'first successful poll');
    else if (recovered) this.log.info({ nodes: s.nodes.length }, 'poll recovered');
    this.reportClusters(s);
    this.current = s;
    // Stale already when the data itself is too old (SPEC §3b), however good the poll.
    for (const o of this.outs) this.render(o, this.display.stale());
  }

  /** With clusters: logs each cluster turning stale or live again (by name), once per change. */
  private reportClusters(s: Snapshot): void {
    const before = new Map((this.current?.clusters ?? []).map((c) => [c.name, c.stale]));
    for (const c of s.clusters ?? []) {
      const was = before.get(c.name);
      if (c.stale && was !== true)
        this.log.warn({ cluster: c.name, dataAgeSeconds: c.dataAgeSeconds }, `cluster ${c.name} is stale (${clusterAge(c)})`);
      else if (!c.stale && was === true)
        this.log.info({ cluster: c.name, dataAgeSeconds: c.dataAgeSeconds }, `cluster ${c.name} is live again`);
    }
  }

  /** Lays out the current snapshot on one output; each output fails on its own. */
  private render(o: OutputState, stale?: boolean): void {
    const s = this.current;
    if (!s || this.stopping) return;
    this.guard(o, () => {
      // Fewer pages than before (nodes went away): start again from the first page.
      if (o.page >= layoutPages(o.layout, s, o.geometry)) o.page = 0;
      const frame = renderLayout(o.layout, s, {
        geometry: o.geometry,
        palette: o.palette,
        page: o.page,
        nodeName: this.opts.nodeName ?? process.env.NODE_NAME,
      });
      o.pipeline.setFrame(frame, o.page, stale);
      this.armPaging(o, frame.pages);
    });
  }

  private armPaging(o: OutputState, pages: number): void {
    if (pages <= 1) {
      clearTimeout(o.pageTimer);
      o.pageTimer = undefined;
      o.page = 0;
      return;
    }
    if (o.pageTimer) return;
    o.pageTimer = setTimeout(
      () => {
        o.pageTimer = undefined;
        o.page = (o.page + 1) % pages;
        this.render(o);
      },
      layoutPageSeconds(o.layout) * 1000,
    );
  }

  private guard(o: OutputState, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.metrics.outputErrors.inc({ output: o.name });
      this.log.error({ output: o.name, err: e }, 'output failed');
    }
  }

  /**
   * An output's device told its size after start (DriverContext.onGeometry: a WLED sized from
   * /json/info that answered late): a new pipeline at that size replaces the old one, is
   * started like the others and shows the current snapshot; the preview follows its view.
   */
  resizeOutput(name: string, config: OutputConfig): void {
    const i = this.outs.findIndex((x) => x.name === name);
    if (i < 0 || this.stopping) return;
    const old = this.outs[i]!;
    clearTimeout(old.pageTimer);
    void old.pipeline.halt();
    const next = this.makeOutput({ name, config, driver: old.driver }, false);
    this.outs[i] = next;
    this.log.info({ output: name, width: next.geometry.width, height: next.geometry.height }, 'output resized to its device');
    if (this.schedule) this.guard(next, () => next.pipeline.start());
    this.render(next);
  }

  /** Device status from a driver (DriverContext.onStatus): metrics, log, and a rewrite on return. */
  outputStatus(name: string, up: boolean, error?: Error): void {
    const o = this.outs.find((x) => x.name === name);
    this.metrics.outputUp.set({ output: name }, up ? 1 : 0);
    if (up) {
      this.log.info({ output: name }, 'output device is back');
      if (o) this.guard(o, () => o.pipeline.refresh());
    } else {
      this.metrics.outputErrors.inc({ output: name });
      this.log.warn({ output: name, err: error }, 'output device is down');
    }
  }

  /**
   * Stops polling, aborts the poll in flight, stops every timer and waits for writes in
   * flight; afterwards nothing touches the devices (the caller stops the drivers). Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.schedule?.stop();
      this.display.stop();
      for (const o of this.outs) clearTimeout(o.pageTimer);
      await this.runner.stop();
      await Promise.all(this.outs.map((o) => o.pipeline.halt()));
    })();
    return this.stopping;
  }

  snapshot(): Snapshot | null {
    return this.current;
  }

  lastGoodPoll(): Date | null {
    return this.display.lastGoodPoll();
  }

  lastError(): string | null {
    return this.display.lastError();
  }

  stale(): boolean {
    return this.display.stale();
  }

  dataAge(): DataAge | null {
    const ageMs = this.display.dataAge();
    if (ageMs === null || this.data?.newestSample == null) return null;
    return {
      ageMs,
      sampleTime: this.data.newestSample,
      lane: this.data.lane,
      landsEveryMs: this.schedule?.landsEveryMs?.() ?? null,
    };
  }

  readiness(): Readiness {
    const r = this.display.readiness();
    if (!r.ready) return r;
    // With clusters: a stale cluster (gone from the answers, or no new samples) is named.
    const stale = (this.current?.clusters ?? []).filter((c) => c.stale);
    if (!stale.length) return r;
    const why = stale.map((c) => `${c.name} (${clusterAge(c)})`).join(', ');
    return { ready: false, reason: `stale cluster${stale.length > 1 ? 's' : ''}: ${why}` };
  }

  health(): Health {
    return this.display.health();
  }

  outputs(): OutputView[] {
    return this.outs.map((o) => o.pipeline.view());
  }

  onFrame(listener: (output: OutputView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** How old a cluster's newest data is, for logs and /readyz: `newest data 2m5s old`, or `no data`. */
function clusterAge(c: ClusterSnapshot): string {
  return c.dataAgeSeconds === null ? 'no data' : `newest data ${formatDuration(c.dataAgeSeconds * 1000)} old`;
}
