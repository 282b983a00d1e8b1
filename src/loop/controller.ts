import type { Config, LayoutConfig, OutputConfig } from '../config/schema.js';
import { defaultLayout } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Driver } from '../output/driver.js';
import { outputGeometry, type Geometry } from '../output/geometry.js';
import type { Snapshot, Source } from '../snapshot.js';
import { PollError, toPollError } from '../source/errors.js';
import { OutputPipeline } from '../effects/pipeline.js';
import { layoutPageSeconds, layoutPages, renderLayout, resolvePalette, type ResolvedPalette } from '../layout/index.js';
import { schedulePolls, intervalMs, type PollSchedule } from './scheduler.js';
import type { OutputView, Readiness, StatusView } from './status.js';

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

/** Longest wait in stop() for a poll that does not honour its AbortSignal. */
const ABORT_GRACE_MS = 1000;

interface OutputState {
  name: string;
  geometry: Geometry;
  layout: LayoutConfig;
  palette: ResolvedPalette;
  pipeline: OutputPipeline;
  page: number;
  pageTimer?: NodeJS.Timeout;
}

/**
 * The poll loop (SPEC §1): polls the source on `interval` without overlap, lays out each
 * good snapshot on every output, drives the effects pipelines (walker, fade, stale display,
 * paging) and records podglow's metrics. It is the StatusView the HTTP server reads.
 */
export class Controller implements StatusView {
  /** No good poll for this long means the data is stale (ms). */
  readonly staleAfterMs: number;
  private readonly outs: OutputState[];
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private schedule: PollSchedule | null = null;
  private current: Snapshot | null = null;
  private lastGood: Date | null = null;
  private lastErr: PollError | null = null;
  private isStale = false;
  private staleTimer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private stopping: Promise<void> | null = null;
  private readonly listeners = new Set<(o: OutputView) => void>();

  constructor(private readonly opts: ControllerOptions) {
    const { config } = opts;
    this.log = opts.log;
    this.metrics = opts.metrics;
    this.staleAfterMs = config.staleAfter ?? 3 * intervalMs(config.interval);
    this.outs = opts.outputs.map((o) => this.makeOutput(o));
  }

  private makeOutput(o: ControllerOutput): OutputState {
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
      transitionMs: o.config.transitionMs ?? config.effects.transitionMs,
      fps: o.config.fps ?? config.effects.fps,
      statusColor: palette.colors.status,
      log: this.log,
      metrics: this.metrics,
    });
    this.metrics.registerOutput(o.name, pipeline.effectiveBrightness);
    pipeline.onChange((view) => {
      for (const l of this.listeners) {
        try {
          l(view);
        } catch (e) {
          this.log.error({ err: e }, 'frame listener failed');
        }
      }
    });
    return { name: o.name, geometry, layout: o.config.layout ?? defaultLayout(o.config.type), palette, pipeline, page: 0 };
  }

  /** Starts the walker on every output, polls once right away, then on the schedule. */
  start(): void {
    if (this.schedule || this.stopping) return;
    for (const o of this.outs) this.guard(o, () => o.pipeline.start());
    this.schedule = schedulePolls(this.opts.config.interval, () => this.pollNow(), this.log);
    this.log.info(
      { outputs: this.outs.map((o) => o.name), staleAfter: formatDuration(this.staleAfterMs) },
      `polling ${this.schedule.description}`,
    );
    void this.pollNow();
  }

  /** Polls once unless a poll is already running (then waits for that one). */
  pollNow(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (this.inFlight) {
      this.log.debug('previous poll still running; skipping this one');
      return this.inFlight;
    }
    this.inFlight = this.poll().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async poll(): Promise<void> {
    const ac = new AbortController();
    this.abort = ac;
    // A poll that hangs past staleAfter would block every later one: give up on it.
    const timeout = setTimeout(() => ac.abort(new PollError('timeout', `poll took longer than ${formatDuration(this.staleAfterMs)}`)), this.staleAfterMs);
    const started = Date.now();
    let snapshot: Snapshot | undefined;
    let error: PollError | undefined;
    try {
      snapshot = await this.opts.source.poll(ac.signal);
    } catch (e) {
      error = ac.signal.aborted && ac.signal.reason instanceof PollError ? ac.signal.reason : toPollError(e);
    } finally {
      clearTimeout(timeout);
      this.abort = null;
    }
    if (this.stopping) return;
    this.metrics.pollDuration.observe((Date.now() - started) / 1000);
    if (snapshot) this.succeeded(snapshot);
    else this.failed(error!);
  }

  private succeeded(s: Snapshot): void {
    const { metrics } = this;
    metrics.polls.inc({ result: 'success' });
    metrics.lastSuccess.set(Date.now() / 1000);
    metrics.recordSnapshot(s);
    metrics.stale.set(0);
    const first = this.current === null;
    if (first) this.log.info({ nodes: s.nodes.length }, 'first successful poll');
    else if (this.isStale || this.lastErr) this.log.info({ nodes: s.nodes.length }, 'poll recovered');
    this.current = s;
    this.lastGood = new Date();
    this.lastErr = null;
    this.isStale = false;
    this.armStaleTimer();
    for (const o of this.outs) this.render(o, false);
  }

  private failed(e: PollError): void {
    this.metrics.polls.inc({ result: 'failure' });
    this.metrics.pollErrors.inc({ reason: e.reason });
    const repeated = this.lastErr?.message === e.message;
    this.lastErr = e;
    if (repeated) this.log.debug({ reason: e.reason }, `poll failed: ${e.message}`);
    else this.log.warn({ reason: e.reason }, `poll failed: ${e.message}`);
    // An empty answer is not an empty cluster: showing it as fresh would lie.
    if (e.reason === 'no_ksm_data') this.markStale();
  }

  private armStaleTimer(): void {
    clearTimeout(this.staleTimer);
    this.staleTimer = setTimeout(() => this.markStale(), this.staleAfterMs);
  }

  private markStale(): void {
    clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
    if (this.stopping) return;
    this.metrics.stale.set(1);
    if (this.isStale || !this.current) return;
    this.isStale = true;
    this.log.warn({ lastGoodPoll: this.lastGood?.toISOString(), lastError: this.lastErr?.message }, 'display is stale');
    for (const o of this.outs) this.guard(o, () => o.pipeline.setStale(true));
  }

  /** Lays out the current snapshot on one output; each output fails on its own. */
  private render(o: OutputState, stale?: boolean): void {
    const s = this.current;
    if (!s || this.stopping) return;
    this.guard(o, () => {
      // Fewer pages than before (nodes went away): start again from the first page.
      if (o.page >= layoutPages(o.layout, s, o.geometry)) o.page = 0;
      const frame = renderLayout(o.layout, s, { geometry: o.geometry, palette: o.palette, page: o.page, nodeName: this.opts.nodeName ?? process.env.NODE_NAME });
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
    o.pageTimer = setTimeout(() => {
      o.pageTimer = undefined;
      o.page = (o.page + 1) % pages;
      this.render(o);
    }, layoutPageSeconds(o.layout) * 1000);
  }

  private guard(o: OutputState, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.metrics.outputErrors.inc({ output: o.name });
      this.log.error({ output: o.name, err: e }, 'output failed');
    }
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
      clearTimeout(this.staleTimer);
      for (const o of this.outs) clearTimeout(o.pageTimer);
      const inFlight = this.inFlight;
      this.abort?.abort(new PollError('aborted', 'shutting down'));
      if (inFlight) {
        let t: NodeJS.Timeout | undefined;
        await Promise.race([inFlight, new Promise<void>((r) => (t = setTimeout(r, ABORT_GRACE_MS)))]);
        clearTimeout(t);
      }
      await Promise.all(this.outs.map((o) => o.pipeline.halt()));
    })();
    return this.stopping;
  }

  snapshot(): Snapshot | null {
    return this.current;
  }

  lastGoodPoll(): Date | null {
    return this.lastGood;
  }

  lastError(): string | null {
    return this.lastErr?.message ?? null;
  }

  stale(): boolean {
    return this.isStale;
  }

  readiness(): Readiness {
    const err = this.lastErr ? ` (last error: ${this.lastErr.message})` : '';
    if (!this.current) return { ready: false, reason: `waiting for the first successful poll${err}` };
    if (this.isStale) {
      const age = formatDuration(Math.max(0, Math.round((Date.now() - this.lastGood!.getTime()) / 1000) * 1000));
      return { ready: false, reason: `stale: no good poll for ${age}${err}` };
    }
    return { ready: true };
  }

  outputs(): OutputView[] {
    return this.outs.map((o) => o.pipeline.view());
  }

  onFrame(listener: (output: OutputView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
