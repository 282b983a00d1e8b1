import type { Snapshot } from '../snapshot.js';
import type { OutputView, StatusView } from '../loop/status.js';
import { VERSION } from '../version.js';
import { toHex } from '../color.js';
import { PALETTE_KEYS } from '../config/schema.js';
import type { ResolvedPalette } from '../layout/types.js';

/** One row of the preview page's legend: a state or marker and the colour it shows. */
export interface LegendEntry {
  key: string;
  color: string;
  blink: boolean;
}

/** The body of `GET /api/state` and of the SSE `state` event. */
export interface StateBody {
  version: string;
  ready: boolean;
  /** Why the display is not live (null when ready). */
  reason: string | null;
  stale: boolean;
  /** ISO time of the last good poll, or null before the first. */
  lastGoodPoll: string | null;
  lastError: string | null;
  snapshot: Snapshot | null;
  outputs: OutputView[];
  legend: LegendEntry[];
}

/** Reads everything the page shows from the controller in one go. */
export function stateBody(view: StatusView, legend: LegendEntry[]): StateBody {
  const r = view.readiness();
  const last = view.lastGoodPoll();
  return {
    version: VERSION,
    ready: r.ready,
    reason: r.ready ? null : (r.reason ?? 'not ready'),
    stale: view.stale(),
    lastGoodPoll: last ? last.toISOString() : null,
    lastError: view.lastError(),
    snapshot: view.snapshot(),
    outputs: view.outputs(),
    legend,
  };
}

/** A short key that changes whenever the page's status (banner, poll time, table) must change. */
export function statusKey(view: StatusView): string {
  const r = view.readiness();
  return JSON.stringify([r.ready, r.reason ?? null, view.stale(), view.lastGoodPoll()?.getTime() ?? null, view.lastError(), view.snapshot()?.time ?? null]);
}

/** Legend rows for a resolved palette: pod states in precedence order, then the markers. */
export function legendFromPalette(palette: ResolvedPalette): LegendEntry[] {
  return PALETTE_KEYS.map((key) => ({
    key,
    color: toHex(palette.colors[key]),
    blink: palette.blink.has(key),
  }));
}
