import { toHex } from '../../src/color.js';
import type { Frame } from '../../src/frame.js';
import { emptyAlerts, type NodeSnapshot, type Snapshot } from '../../src/snapshot.js';
import { emptyCounts, type StateCounts } from '../../src/states.js';

/** A node for tests: Ready, schedulable, with the given pod counts (others 0). */
export function node(name: string, pods: Partial<StateCounts> = {}, extra: Partial<NodeSnapshot> = {}): NodeSnapshot {
  return {
    name,
    ready: true,
    unschedulable: false,
    pods: { ...emptyCounts(), ...pods },
    conditions: [],
    alerts: emptyAlerts(),
    ...extra,
  };
}

/** A snapshot of these nodes, nothing unscheduled unless given. */
export function snapshot(nodes: NodeSnapshot[], unscheduled: Partial<StateCounts> = {}, extra: Partial<Snapshot> = {}): Snapshot {
  return {
    time: '2026-11-21T12:00:00.000Z',
    nodes,
    unscheduled: { ...emptyCounts(), ...unscheduled },
    alerts: emptyAlerts(),
    queries: {},
    ...extra,
  };
}

/**
 * Draws a frame as ASCII art, one string per row (y = 0 first), one character per LED,
 * using `legend` (`#rrggbb` → character); `.` is off; an unknown colour fails the test.
 */
export function art(frame: Frame, legend: Record<string, string>): string[] {
  const chars = frame.leds.map((c) => {
    const hex = toHex(c);
    if (hex === '#000000') return '.';
    const ch = legend[hex];
    if (ch === undefined) throw new Error(`colour ${hex} has no character in the legend`);
    return ch;
  });
  const rows: string[] = [];
  for (let y = 0; y < frame.height; y++) rows.push(chars.slice(y * frame.width, (y + 1) * frame.width).join(''));
  return rows;
}

/** The blink flags as art: `*` blinks, `.` does not. */
export function blinkArt(frame: Frame): string[] {
  const rows: string[] = [];
  for (let y = 0; y < frame.height; y++) {
    rows.push(
      frame.blink
        .slice(y * frame.width, (y + 1) * frame.width)
        .map((b) => (b ? '*' : '.'))
        .join(''),
    );
  }
  return rows;
}

/** Legend of the default palette: G running, A pending, B terminating, X crashing/failed, U unknown, S succeeded, O overflow, N notReady, C cordoned, K critical alert, W warning alert, I info alert, P node condition, E query error. */
export const DEFAULT_LEGEND: Record<string, string> = {
  '#00ff00': 'G',
  '#ff9900': 'A',
  '#0000ff': 'B',
  '#ff0000': 'X',
  '#8000ff': 'U',
  '#303030': 'S',
  '#ffffff': 'O',
  '#400000': 'N',
  '#402600': 'C',
  // SPEC §4b keys
  '#ff0040': 'K',
  '#ffd000': 'W',
  '#0080ff': 'I',
  '#003838': 'P',
  '#ff00ff': 'E',
};
