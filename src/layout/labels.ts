// What a viewer needs beside the LEDs: which node each band or LED shows, and what each
// colour means. Shared by the web preview (src/server/state.ts) and the terminal output.
import { clusterTitle, type Snapshot } from '../snapshot.js';
import { toHex } from '../color.js';
import { PALETTE_KEYS, defaultLayout, type Config, type LayoutConfig, type OutputConfig } from '../config/schema.js';
import type { Geometry } from '../output/geometry.js';
import type { ResolvedPalette } from './types.js';
import { resolvePalette } from './palette.js';
import { matrixBands, type MatrixBand } from './matrix.js';
import { nodeSlotsOnPage } from './nodes.js';
import { clustersOnPage } from './clusters.js';

/** One row of a legend: a state or marker and the colour it shows. */
export interface LegendEntry {
  key: string;
  color: string;
  blink: boolean;
}

/** Legend rows for a resolved palette: pod states in precedence order, then the markers. */
export function legendFromPalette(palette: ResolvedPalette): LegendEntry[] {
  return PALETTE_KEYS.map((key) => ({
    key,
    color: toHex(palette.colors[key]),
    blink: palette.blink.has(key),
  }));
}

/**
 * One output's layout and the legend of its own palette (the global one merged with the
 * output's), as a viewer labels its picture: the preview's context and the terminal's.
 */
export function outputDisplay(config: Config, o: OutputConfig): { layout: LayoutConfig; legend: LegendEntry[] } {
  return { layout: o.layout ?? defaultLayout(o.type), legend: legendFromPalette(resolvePalette(config.palette, o.palette)) };
}

/** Which node each part of an output shows, so a viewer can write names under the LEDs. */
export interface OutputLabels {
  /** Layout type, or null when the output's config is not known. */
  layout: LayoutConfig['type'] | null;
  /** matrix: the node of each band on the current page. */
  bands: MatrixBand[];
  /** nodes: the node each LED shows on the current page (and its cluster with clusters:); clusters: each LED's cluster title. */
  ledNodes: { node: string; index: number; cluster?: string }[];
  /** summary: the node it summarises, `*` for the whole cluster, null when none. */
  subject: string | null;
}

/** Labels of one output's page `page` at `geometry` (the geometry the output really has), from its layout and the snapshot. */
export function layoutLabels(
  layout: LayoutConfig,
  snapshot: Snapshot | null,
  geometry: Geometry,
  page: number,
  nodeName?: string,
): OutputLabels {
  const labels: OutputLabels = { layout: layout.type, bands: [], ledNodes: [], subject: null };
  if (layout.type === 'summary') {
    labels.subject = layout.node ?? nodeName ?? null;
    return labels;
  }
  if (!snapshot) return labels;
  if (layout.type === 'matrix') labels.bands = matrixBands(layout, snapshot, geometry, page, nodeName);
  else if (layout.type === 'clusters') {
    labels.ledNodes = clustersOnPage(snapshot, geometry, page).map((c, index) => ({
      node: clusterTitle(c),
      index,
      cluster: c.name,
    }));
  } else {
    labels.ledNodes = nodeSlotsOnPage(snapshot, geometry, page).map(({ node, cluster }, index) =>
      cluster ? { node: node.name, index, cluster: cluster.name } : { node: node.name, index },
    );
  }
  return labels;
}
