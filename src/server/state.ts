import { snapshotContract, type ClustersSnapshotJson, type Snapshot } from '../snapshot.js';
import type { OutputView, StatusView } from '../loop/status.js';
import { VERSION } from '../version.js';
import { outputName, type Config, type LayoutConfig } from '../config/schema.js';
import { resolvePalette } from '../layout/palette.js';
import { layoutLabels, legendFromPalette, outputDisplay, type LegendEntry, type OutputLabels } from '../layout/labels.js';

export { legendFromPalette, type LegendEntry, type OutputLabels };

/** What the page needs to know of one configured output besides what it shows. */
export interface PreviewOutput {
  layout: LayoutConfig;
  /** Legend in this output's own palette (the global one merged with the output's). */
  legend: LegendEntry[];
}

/** The config as the HTTP server needs it: each output's layout and legend, and the global legend. */
export interface PreviewContext {
  /** By output name. */
  outputs: ReadonlyMap<string, PreviewOutput>;
  /** Legend of the global palette. */
  legend: LegendEntry[];
  /** Fallback node of `summary` layouts without `node` (NODE_NAME). */
  nodeName?: string;
}

/** Builds the preview context from the config, resolving every output's palette as the layouts do. */
export function previewContext(
  config: Config,
  nodeName: string | undefined = process.env.NODE_NAME || undefined,
): PreviewContext {
  const outputs = new Map<string, PreviewOutput>();
  config.outputs.forEach((o, i) => {
    outputs.set(outputName(config.outputs, i), outputDisplay(config, o));
  });
  return { outputs, legend: legendFromPalette(resolvePalette(config.palette)), nodeName };
}

/**
 * One output as the SSE `frame` event carries it: the base frame from the layout and its
 * labels. The page draws blinking, the stale dimming and the start-up walker itself, so
 * the event changes only when the picture does (not per fade or blink step).
 */
export type PreviewFrame = Omit<OutputView, 'leds'> & OutputLabels;

/** One output in `GET /api/state`: what it shows right now, its labels and its legend. */
export type OutputState = OutputView & OutputLabels & { legend: LegendEntry[] };

/** Status of the poll loop as the SSE `status` event carries it: timestamps, no ticking age. */
export interface StatusBody {
  version: string;
  ready: boolean;
  /** Why the display is not live (null when ready), as of `now`. */
  reason: string | null;
  stale: boolean;
  /** ISO time of the last good poll, or null before the first. */
  lastGoodPoll: string | null;
  /** The same as epoch milliseconds. */
  lastGoodPollMs: number | null;
  /** The server's clock when this was sent (epoch ms). */
  now: number;
  /**
   * How long ago the last good poll was, as of `now` (ms), or null: the page adds its own
   * elapsed time since it received this, so neither clock's setting matters.
   */
  lastGoodPollAgeMs: number | null;
  lastError: string | null;
  /**
   * How old the data shown is as of `now` (ms): the server's evaluation time minus the newest
   * kube-state-metrics sample (SPEC §3b), ticking on in the page; null when not known.
   */
  dataAgeMs: number | null;
  /** The newest kube-state-metrics sample's time (epoch ms, Prometheus' clock), or null. */
  dataTime: number | null;
  /** How often new data lands as podglow observed it (ms), or null. */
  dataEveryMs: number | null;
  /** The scrape job read (SPEC §3b lanes), or null for every job. */
  lane: string | null;
}

/** The body of `GET /api/state` and of the SSE `state` event a client gets first. */
export interface StateBody extends StatusBody {
  /** The Snapshot's JSON contract (with clusters: one block per cluster, see snapshotContract). */
  snapshot: Snapshot | ClustersSnapshotJson | null;
  outputs: OutputState[];
  /** Legend of the global palette (each output carries its own). */
  legend: LegendEntry[];
}

/** Reads the status fields from the controller. */
export function statusBody(view: StatusView, now: number = Date.now()): StatusBody {
  const r = view.readiness();
  const last = view.lastGoodPoll();
  return {
    version: VERSION,
    ready: r.ready,
    reason: r.ready ? null : (r.reason ?? 'not ready'),
    stale: view.stale(),
    lastGoodPoll: last ? last.toISOString() : null,
    lastGoodPollMs: last ? last.getTime() : null,
    now,
    lastGoodPollAgeMs: last ? Math.max(0, now - last.getTime()) : null,
    lastError: view.lastError(),
    ...dataFields(view),
  };
}

function dataFields(view: StatusView): Pick<StatusBody, 'dataAgeMs' | 'dataTime' | 'dataEveryMs' | 'lane'> {
  const d = view.dataAge?.() ?? null;
  return {
    dataAgeMs: d ? Math.round(d.ageMs) : null,
    dataTime: d?.sampleTime ?? null,
    dataEveryMs: d?.landsEveryMs ?? null,
    lane: d?.lane ?? null,
  };
}

/** Reads everything the page shows from the controller in one go. */
export function stateBody(view: StatusView, ctx: PreviewContext): StateBody {
  const snapshot = view.snapshot();
  return {
    ...statusBody(view),
    snapshot: snapshot && snapshotContract(snapshot),
    outputs: view
      .outputs()
      .map((o) => ({ ...o, ...outputLabels(o, snapshot, ctx), legend: ctx.outputs.get(o.name)?.legend ?? ctx.legend })),
    legend: ctx.legend,
  };
}

/** The `frame` event of one output: its view without the instantaneous colours, plus labels. */
export function previewFrame(view: OutputView, snapshot: Snapshot | null, ctx: PreviewContext): PreviewFrame {
  const { leds: _instant, ...rest } = view;
  return { ...rest, ...outputLabels(view, snapshot, ctx) };
}

/**
 * A key that changes exactly when the page's status must change: readiness, staleness, the
 * last good poll, the last error, whether there is data, and the newest sample's time (new
 * data landed: the page's "cluster as of" restarts). Not the readiness reason nor the ages:
 * "no good poll for 35s" ticks every second, and the page computes ages itself.
 */
export function statusKey(view: StatusView): string {
  const r = view.readiness();
  const d = view.dataAge?.() ?? null;
  return JSON.stringify([
    r.ready,
    view.stale(),
    view.lastGoodPoll()?.getTime() ?? null,
    view.lastError(),
    view.snapshot() === null,
    d?.sampleTime ?? null,
    d?.landsEveryMs ?? null,
    d?.lane ?? null,
  ]);
}

/** What the snapshot shows, without its evaluation time (a poll with the same answer changes nothing). */
export function snapshotKey(snapshot: Snapshot | null): string {
  if (!snapshot) return 'null';
  const { time: _time, ...content } = snapshot;
  return JSON.stringify(content);
}

/** Labels of one output for its current page, from its layout and the snapshot. */
export function outputLabels(view: OutputView, snapshot: Snapshot | null, ctx: PreviewContext): OutputLabels {
  const info = ctx.outputs.get(view.name);
  if (!info) return { layout: null, bands: [], ledNodes: [], subject: null };
  // The geometry the output really has (the view), as the controller laid it out.
  return layoutLabels(info.layout, snapshot, { width: view.width, height: view.height }, view.page, ctx.nodeName);
}
