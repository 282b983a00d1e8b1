import { readFileSync } from 'node:fs';
import { toHex } from '../color.js';
import { formatIssues } from '../config/load.js';
import { defaultLayout, outputName, type Config, type OutputType } from '../config/schema.js';
import type { Frame } from '../frame.js';
import { renderLayout, resolvePalette } from '../layout/index.js';
import { createLogger } from '../log.js';
import { outputGeometry } from '../output/geometry.js';
import { ledRows } from '../output/terminal.js';
import { resolveWledSizes } from '../output/wled.js';
import type { Snapshot } from '../snapshot.js';
import { clustersSnapshotSchema, snapshotSchema } from '../snapshotSchema.js';
import { COMMON_HELP, EXIT_FAILURE, UsageError, configFromFlags, parseCommand } from './common.js';

const HELP = [
  'Usage: podglow frame [options]',
  '',
  "One poll (or --snapshot FILE), then each output's frame: coloured blocks on a terminal,",
  'hex colours otherwise, or with --json',
  '  {"outputs":[{"name","type","width","height","leds":["#rrggbb",…]}]}',
  'LEDs in logical order (index = y × width + x, y = 0 on top), base colours before',
  'brightness, gamma and effects; a paged layout shows its first page.',
  '',
  'Options:',
  '      --snapshot FILE      render this snapshot (the JSON that `podglow snapshot --json`',
  '                           prints) instead of polling; its nodes are taken as given',
  '      --json               print JSON',
  ...COMMON_HELP,
].join('\n');

const OPTIONS = {
  snapshot: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Validates a snapshot document (SPEC §4); throws a UsageError listing every problem with its path. */
export function parseSnapshot(doc: unknown, source: string): Snapshot {
  const withClusters = typeof doc === 'object' && doc !== null && 'clusters' in doc;
  const r = (withClusters ? clustersSnapshotSchema : snapshotSchema).safeParse(doc);
  if (!r.success) {
    const problems = formatIssues(r.error.issues).map((p) => `  - ${p}`);
    throw new UsageError(`${source} is not a valid snapshot (the JSON of \`podglow snapshot --json\`):\n${problems.join('\n')}`);
  }
  return r.data;
}

/** Reads and validates a snapshot JSON file. */
export function readSnapshotFile(path: string): Snapshot {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read snapshot ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`snapshot ${path} is not JSON: ${(e as Error).message}`);
  }
  return parseSnapshot(doc, path);
}

/** One output's frame, named as in the config. */
export interface OutputFrame {
  name: string;
  type: OutputType;
  frame: Frame;
}

/** Renders every configured output's frame for a snapshot (its layout, palette and geometry). */
export function outputFrames(config: Config, snapshot: Snapshot, opts: { nodeName?: string; page?: number } = {}): OutputFrame[] {
  return config.outputs.map((o, i) => ({
    name: outputName(config.outputs, i),
    type: o.type,
    frame: renderLayout(o.layout ?? defaultLayout(o.type), snapshot, {
      geometry: outputGeometry(o),
      palette: resolvePalette(config.palette, o.palette),
      page: opts.page ?? 0,
      nodeName: opts.nodeName,
    }),
  }));
}

/** The `--json` document: `{"outputs":[{"name","type","width","height","leds":[…]}]}`. */
export function framesJson(frames: readonly OutputFrame[]): string {
  return JSON.stringify({
    outputs: frames.map(({ name, type, frame }) => ({
      name,
      type,
      width: frame.width,
      height: frame.height,
      leds: frame.leds.map(toHex),
    })),
  });
}

/**
 * Draws frames as text with the terminal output's renderer (ledRows), one row of LEDs per
 * line: truecolour LEDs when `color` (off LEDs as dark dots, blinking LEDs with the
 * terminal's blink attribute), else `#rrggbb` per LED with `*` after a blinking one.
 */
export function formatBlocks(frames: readonly OutputFrame[], color: boolean): string {
  const out: string[] = [];
  for (const { name, type, frame } of frames) {
    if (out.length) out.push('');
    const paging = frame.pages > 1 ? `, page 1 of ${frame.pages}` : '';
    out.push(`${name} (${type}, ${frame.width}×${frame.height}${paging})`);
    out.push(...ledRows(frame, frame.leds, { color, blink: frame.blink }));
  }
  return out.join('\n');
}

/** `podglow frame`: one poll (or --snapshot FILE) → each output's frame as blocks or JSON. */
export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, OPTIONS, HELP);
  if (!parsed) return 0;
  const { values } = parsed;
  const fromFile = typeof values.snapshot === 'string';
  // With a snapshot file nothing is polled, so a config without a Prometheus URL will do.
  let config = configFromFlags(values, fromFile ? { source: 'demo' } : {});
  try {
    // A wled output without a size in the file asks its device (/json/info).
    config = await resolveWledSizes(config);
  } catch (e) {
    console.error(`podglow: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT_FAILURE;
  }
  let snapshot: Snapshot;
  if (typeof values.snapshot === 'string') {
    snapshot = readSnapshotFile(values.snapshot);
  } else {
    try {
      const { pollOnce } = await import('../source/index.js');
      snapshot = await pollOnce(config, { log: createLogger({ level: 'warn', format: config.log.format }) });
    } catch (e) {
      console.error(`podglow: poll failed: ${e instanceof Error ? e.message : String(e)}`);
      return EXIT_FAILURE;
    }
  }
  const frames = outputFrames(config, snapshot, { nodeName: process.env.NODE_NAME || undefined });
  if (values.json) console.log(framesJson(frames));
  else console.log(formatBlocks(frames, process.stdout.isTTY === true && !process.env.NO_COLOR));
  return 0;
}
