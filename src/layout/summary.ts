import { OFF, parseHex } from '../color.js';
import type { SummaryLayoutConfig } from '../config/schema.js';
import { blankFrame, type Frame } from '../frame.js';
import type { Snapshot } from '../snapshot.js';
import { POD_STATES, type PodState, type StateCounts } from '../states.js';
import type { LayoutContext } from './types.js';

/** Node name that makes a summary cover the whole cluster. */
export const WHOLE_CLUSTER = '*';

/**
 * Pod counts a summary shows: one node's, or with `*` every node's plus the unscheduled
 * pods (a pod the scheduler cannot place is part of the cluster's state). Undefined when
 * the node is not in the snapshot (or no node is configured).
 */
export function summaryCounts(snapshot: Snapshot, node: string | undefined): StateCounts | undefined {
  if (node === WHOLE_CLUSTER) {
    const sum = { ...snapshot.unscheduled };
    for (const n of snapshot.nodes) for (const s of POD_STATES) sum[s] += n.pods[s];
    return sum;
  }
  return snapshot.nodes.find((n) => n.name === node)?.pods;
}

/**
 * The summary layout (SPEC §5): LED i shows the colour of the first state in its list with
 * a pod, else its `otherwise` colour. A node missing from the snapshot lights every listed
 * LED in the notReady colour; LEDs beyond the list stay off.
 */
export function renderSummary(layout: SummaryLayoutConfig, snapshot: Snapshot, ctx: LayoutContext): Frame {
  const { geometry, palette } = ctx;
  const frame = blankFrame(geometry);
  const { leds, blink } = frame;
  const count = leds.length;
  const counts = summaryCounts(snapshot, layout.node ?? ctx.nodeName);
  layout.leds.slice(0, count).forEach((led, i) => {
    if (!counts) {
      leds[i] = palette.colors.notReady;
      return;
    }
    const state = led.states.find((s) => counts[s] > 0);
    if (state !== undefined) {
      leds[i] = palette.colors[state];
      blink[i] = palette.blink.has(state);
    } else if (led.otherwise === 'off') {
      leds[i] = OFF;
    } else if (led.otherwise.startsWith('#')) {
      leds[i] = parseHex(led.otherwise);
    } else {
      leds[i] = palette.colors[led.otherwise as PodState];
    }
  });
  return frame;
}
