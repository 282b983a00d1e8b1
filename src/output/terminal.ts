import { OFF, parseHex, toHex, type Rgb } from '../color.js';
import type { OutputConfig } from '../config/schema.js';
import type { StatusView } from '../loop/status.js';
import { clusterTitle, type Snapshot } from '../snapshot.js';
import type { Driver, DriverContext, DriverFactory, DisplayInfo } from './driver.js';
import { layoutLabels, type LegendEntry, type OutputLabels } from '../layout/labels.js';
import type { Geometry } from './geometry.js';

/** Where the terminal output writes: stdout, or anything with `write` (tests). */
export interface TerminalStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** Terminal width; long lines wrap and take more rows. */
  columns?: number;
  on?(event: 'error', listener: (e: Error) => void): unknown;
}

const LED = '●';
// Off LEDs stay visible as dark dots so the device's shape is always there.
const OFF_GLYPH_COLOUR: Rgb = [48, 48, 48];
/** Longest run of LEDs on one line; longer rows of a strip wrap. */
const MAX_PER_LINE = 32;

/** How ledRows draws: truecolour glyphs, or `#rrggbb` text (NO_COLOR, plain files). */
export interface LedRowOptions {
  color: boolean;
  /** Per LED: marks blinking LEDs (the terminal's blink attribute, or `*` after the hex). */
  blink?: readonly boolean[];
}

/** The text lines of a picture, in order: each row of LEDs (y) in runs x0 .. end − 1 of at most MAX_PER_LINE. */
function* lineRuns(geometry: Geometry): Generator<{ y: number; x0: number; end: number }> {
  for (let y = 0; y < geometry.height; y++) {
    for (let x0 = 0; x0 < geometry.width; x0 += MAX_PER_LINE) yield { y, x0, end: Math.min(geometry.width, x0 + MAX_PER_LINE) };
  }
}

/**
 * The one LED renderer of podglow's text outputs (the terminal output and `podglow frame`):
 * one string per row of LEDs, rows of more than 32 LEDs wrapped. With `color`, each LED is a
 * truecolour `●` (off LEDs dark grey); without, `#rrggbb` followed by `*` when it blinks.
 */
export function ledRows(geometry: Geometry, leds: readonly Rgb[], opts: LedRowOptions): string[] {
  const rows: string[] = [];
  for (const { y, x0, end } of lineRuns(geometry)) {
    const cells: string[] = [];
    for (let x = x0; x < end; x++) {
      const i = y * geometry.width + x;
      const c = leds[i] ?? OFF;
      const blink = opts.blink?.[i] === true;
      if (!opts.color) {
        cells.push(toHex(c) + (blink ? '*' : ' '));
        continue;
      }
      const [r, g, b] = c[0] + c[1] + c[2] === 0 ? OFF_GLYPH_COLOUR : c;
      const glyph = `\x1b[38;2;${Math.round(r)};${Math.round(g)};${Math.round(b)}m${LED}`;
      // Blink as its own attribute, switched off again, so the next LED does not inherit it.
      cells.push(blink ? `\x1b[5m${glyph}\x1b[25m` : glyph);
    }
    rows.push(opts.color ? cells.join(' ') + '\x1b[0m' : cells.join(' ').trimEnd());
  }
  return rows;
}

/** Text under a TTY picture: words placed under LEDs (by LED index), then whole lines below it. */
export interface TerminalLabels {
  /** By LED index: text starting under that LED (a node name, or a marker keyed in `below`). */
  under: ReadonlyMap<number, string>;
  /** Lines after the LEDs: the key of the markers, the legend. */
  below: string[];
}

/**
 * Renders one output as lines of ANSI truecolour LED glyphs (a title line, then the rows),
 * with `labels` under the rows they belong to and below the picture.
 */
export function renderTerminalFrame(name: string, geometry: Geometry, leds: readonly Rgb[], labels?: TerminalLabels): string[] {
  const rows = ledRows(geometry, leds, { color: true });
  const out = [`\x1b[1m${name}\x1b[0m`];
  let r = 0;
  // The same runs as ledRows: each LED takes two columns ("● ").
  for (const { y, x0, end } of lineRuns(geometry)) {
    out.push(' ' + rows[r++]);
    const line: string[] = [];
    for (let x = x0; x < end; x++) {
      const text = labels?.under.get(y * geometry.width + x);
      if (text === undefined) continue;
      const at = 2 * (x - x0);
      while (line.length < at) line.push(' ');
      line.splice(at, text.length, ...text);
    }
    if (line.length) out.push(' ' + line.join('').trimEnd());
  }
  return labels ? [...out, ...labels.below] : out;
}

/** Marks for LEDs whose node name does not fit under them: 1-9, then a-z, A-Z, then `+`. */
const MARKS = '123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * The terminal's labels for one picture, as the web preview has them: node names under the
 * bands of a matrix (or a mark under each band or LED with a key line when names do not fit),
 * the node a summary shows, and a one-line legend of the palette colours in the picture.
 */
export function terminalLabels(
  geometry: Geometry,
  labels: OutputLabels,
  legend: readonly LegendEntry[],
  base: readonly string[],
  color: boolean,
): TerminalLabels {
  const under = new Map<number, string>();
  const below: string[] = [];
  const bottom = (geometry.height - 1) * geometry.width;
  // Matrix bands: the name under the band's first column, when every name fits its band.
  const places = labels.bands.length
    ? labels.bands.map((b) => ({ node: b.node, index: bottom + b.x, room: 2 * b.width - 1 }))
    : labels.ledNodes.map((l) => ({ node: l.node, index: l.index, room: 1 }));
  if (places.length && places.every((p) => [...p.node].length <= p.room)) {
    for (const p of places) under.set(p.index, p.node);
  } else if (places.length) {
    const key = places.map((p, i) => {
      const mark = MARKS[i] ?? '+';
      under.set(p.index, mark);
      return `${mark} ${p.node}`;
    });
    below.push(' ' + key.join('  '));
  }
  if (labels.subject) below.push(` ${labels.subject === '*' ? 'the whole cluster' : `node ${labels.subject}`}`);
  const inUse = new Set(base.map((c) => c.toLowerCase()));
  const shown = legend.filter((e) => e.color !== '#000000' && inUse.has(e.color.toLowerCase()));
  if (shown.length) {
    const entry = (e: LegendEntry): string => {
      if (!color) return `${e.color}${e.blink ? '*' : ''} ${e.key}`;
      const [r, g, b] = parseHex(e.color);
      const dot = `\x1b[38;2;${r};${g};${b}m${LED}\x1b[39m`;
      return `${e.blink ? `\x1b[5m${dot}\x1b[25m` : dot} ${e.key}`;
    };
    below.push(' ' + shown.map(entry).join('  '));
  }
  return { under, below };
}

/**
 * With clusters: which cluster is which, in display order, and which are stale with their
 * data age (`clusters: home live · cloud STALE (data 45s old)`); null without clusters.
 */
export function clusterLine(snapshot: Snapshot | null): string | null {
  if (!snapshot?.clusters) return null;
  const parts = snapshot.clusters.map((c) => {
    // Names are text: a control character (an escape sequence) would drive the terminal.
    const name = [...clusterTitle(c)].map((ch) => (/\p{Cc}/u.test(ch) ? '?' : ch)).join('');
    if (!c.stale) return `${name} live`;
    return `${name} STALE (${c.dataAgeSeconds === null ? 'no data' : `data ${c.dataAgeSeconds}s old`})`;
  });
  return `clusters: ${parts.join(' · ')}`;
}

/** What the display is doing, as the log line of the terminal output names it. */
export type DisplayState = 'waiting' | 'live' | 'stale' | 'off';

/** One output's picture as one log line (SPEC §10: off a TTY, one line per changed snapshot). */
export interface LogLine {
  time: Date;
  name: string;
  state: DisplayState;
  geometry: Geometry;
  /** Base colours from the layout (before brightness and effects). */
  leds: readonly Rgb[];
  blink?: readonly boolean[];
  page?: number;
  pages?: number;
  color: boolean;
  /** How old the data shown is (ms, SPEC §3b), when known. */
  dataAgeMs?: number | null;
  /** With clusters: the cluster line (clusterLine), appended in brackets. */
  clusters?: string | null;
}

/** Formats one log line: time, output, display state, the data's age, page, then every row of LEDs separated by `|`, then the clusters. */
export function formatLogLine(l: LogLine): string {
  const paging = (l.pages ?? 1) > 1 ? ` page ${(l.page ?? 0) + 1}/${l.pages}` : '';
  const age =
    typeof l.dataAgeMs === 'number' && l.state !== 'waiting' ? ` (cluster as of ${Math.round(l.dataAgeMs / 1000)}s ago)` : '';
  const rows =
    l.state === 'waiting'
      ? ['waiting for the first successful poll']
      : ledRows(l.geometry, l.leds, { color: l.color, blink: l.blink });
  const clusters = l.clusters ? ` [${l.clusters}]` : '';
  return `${l.time.toISOString()} ${l.name} ${l.state}${age}${paging}: ${rows.join(' | ')}${clusters}\n`;
}

/**
 * Every terminal output on one stream shares a screen: on a TTY their blocks are redrawn
 * together in place (cursor up), so two outputs never overwrite each other.
 */
class Screen {
  private readonly blocks: { lines: string[] }[] = [];
  private drawnLines = 0;
  /** Set when the stream failed (e.g. EPIPE after `podglow demo | head`); nothing is written after. */
  broken = false;

  constructor(private readonly stream: TerminalStream) {
    stream.on?.('error', () => {
      this.broken = true;
    });
  }

  add(): { lines: string[] } {
    const block = { lines: [] as string[] };
    this.blocks.push(block);
    return block;
  }

  remove(block: { lines: string[] }): void {
    const i = this.blocks.indexOf(block);
    if (i >= 0) this.blocks.splice(i, 1);
    if (this.blocks.length === 0) this.drawnLines = 0;
  }

  draw(block: { lines: string[] }, lines: string[]): void {
    const changed = lines.length !== block.lines.length || lines.some((l, i) => l !== block.lines[i]);
    block.lines = lines;
    if (!changed || this.broken) return;
    if (!this.stream.isTTY) {
      this.stream.write(lines.join('\n') + '\n');
      return;
    }
    const all = this.blocks.flatMap((b) => b.lines);
    const up = this.drawnLines > 0 ? `\r\x1b[${this.drawnLines}A` : '';
    this.stream.write(up + all.map((l) => `\x1b[2K${l}`).join('\n') + '\n');
    this.drawnLines = all.reduce((n, l) => n + rows(l, this.stream.columns), 0);
  }

  /** Appends a line below everything (off a TTY only: a log has no place to redraw). */
  append(line: string): void {
    if (!this.broken) this.stream.write(line);
  }
}

/** Terminal rows a line takes once it wraps at `columns`. */
function rows(line: string, columns: number | undefined): number {
  const visible = [...line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')].length;
  return columns && columns > 0 ? Math.max(1, Math.ceil(visible / columns)) : 1;
}

const screens = new WeakMap<TerminalStream, Screen>();

/**
 * Prints lines of text below the terminal outputs of `stream` (e.g. the preview URL). On a
 * TTY they become part of the redrawn region, so in-place redraws do not overwrite them.
 */
export function terminalNote(text: string, stream: TerminalStream = process.stdout): void {
  const screen = screenFor(stream);
  screen.draw(screen.add(), text.split('\n'));
}

function screenFor(stream: TerminalStream): Screen {
  let s = screens.get(stream);
  if (!s) {
    s = new Screen(stream);
    screens.set(stream, s);
  }
  return s;
}

/** Options of a terminal driver beyond its name, geometry and stream. */
export interface TerminalOptions {
  /** Colour glyphs (default: unless the NO_COLOR environment variable is set). */
  color?: boolean;
  /** Clock of the log lines' time stamps (tests). */
  now?: () => Date;
  /** The output's layout and legend: on a TTY, node names and a legend are drawn with the LEDs. */
  display?: DisplayInfo;
}

/**
 * A terminal output writing to `stream`. On a TTY it redraws the displayed colours in
 * place, fades and blinking included. Off a TTY (a log) it prints one line per change of
 * the base frame or of the display state (waiting, live, stale, off), never one per fade,
 * blink or walker step: with `follow()` it reads both from the controller; without, each
 * changed picture handed to show() is one line.
 */
export class TerminalDriver implements Driver {
  readonly maxBrightness = 1;
  readonly gamma = false;
  private block: { lines: string[] } | null = null;
  private stopped = false;
  private unfollow: (() => void) | null = null;
  private lastKey = '';
  private readonly color: boolean;
  private readonly now: () => Date;
  /** The controller, for the cluster names (with clusters:). */
  private status: StatusView | null = null;
  private readonly display: DisplayInfo | undefined;
  /** On a TTY with `display`: the labels of the picture the controller last laid out. */
  private labels: TerminalLabels | undefined;
  private lastShown: readonly Rgb[] | null = null;
  /** clusterLine of the snapshot it was made for: show() runs per frame, the snapshot changes per poll. */
  private clusters: { snapshot: Snapshot | null; line: string | null } = { snapshot: null, line: null };

  constructor(
    private readonly name: string,
    private readonly geometry: Geometry,
    private readonly stream: TerminalStream,
    opts: TerminalOptions = {},
  ) {
    this.color = opts.color ?? !process.env.NO_COLOR;
    this.now = opts.now ?? (() => new Date());
    this.display = opts.display;
  }

  get up(): boolean {
    return !this.stopped && !screenFor(this.stream).broken;
  }

  private get isLog(): boolean {
    return this.stream.isTTY !== true;
  }

  async start(): Promise<void> {
    this.block ??= screenFor(this.stream).add();
    this.stopped = false;
  }

  /**
   * Off a TTY, logs the controller's base frames and display state instead of every shown
   * picture. On a TTY (with the output's layout known), labels the picture from them.
   */
  follow(status: StatusView): void {
    this.status = status;
    if (this.unfollow) return;
    if (!this.isLog) {
      const display = this.display;
      if (!display) return;
      let lastSnapshot: unknown;
      let lastKey = '';
      this.unfollow = status.onFrame((view) => {
        if (view.name !== this.name || this.stopped) return;
        // Frame events come per fade step too: the labels change only with the snapshot, page or base frame.
        const snapshot = status.snapshot();
        const key = `${view.width}x${view.height}/${view.page}/${view.base.join()}`;
        if (snapshot === lastSnapshot && key === lastKey) return;
        lastSnapshot = snapshot;
        lastKey = key;
        const geometry = { width: view.width, height: view.height };
        const labels = layoutLabels(display.layout, snapshot, geometry, view.page, display.nodeName);
        this.labels = terminalLabels(geometry, labels, display.legend, view.base, this.color);
        if (this.lastShown) void this.show(this.lastShown);
      });
      return;
    }
    this.unfollow = status.onFrame((view) => {
      if (view.name !== this.name || this.stopped) return;
      const state: DisplayState = status.snapshot() === null ? 'waiting' : status.stale() ? 'stale' : 'live';
      this.log(state, view.base.map(parseHex), view.blink, view.page, view.pages, status.dataAge?.()?.ageMs);
    });
  }

  async show(leds: readonly Rgb[]): Promise<void> {
    if (!this.block || this.stopped) return;
    if (this.isLog) {
      if (!this.unfollow) this.log('live', leds);
      return;
    }
    this.lastShown = leds;
    const clusters = this.clusterLineNow();
    const lines = renderTerminalFrame(this.name, this.geometry, leds, this.labels);
    screenFor(this.stream).draw(this.block, clusters ? [...lines, ` ${clusters}`] : lines);
  }

  async stop(blank: boolean): Promise<void> {
    this.unfollow?.();
    this.unfollow = null;
    if (this.stopped || !this.block) {
      this.stopped = true;
      return;
    }
    const dark: Rgb[] = new Array(this.geometry.width * this.geometry.height).fill(OFF);
    if (blank && this.isLog) this.log('off', dark);
    else if (blank) await this.show(dark);
    this.stopped = true;
    screenFor(this.stream).remove(this.block);
    this.block = null;
  }

  /** The cluster line of the snapshot shown now, made again only when the snapshot changed. */
  private clusterLineNow(): string | null {
    const snapshot = this.status?.snapshot() ?? null;
    if (snapshot !== this.clusters.snapshot) this.clusters = { snapshot, line: clusterLine(snapshot) };
    return this.clusters.line;
  }

  /** Writes one log line when the picture or the state differs from the last one written. */
  private log(
    state: DisplayState,
    leds: readonly Rgb[],
    blink?: readonly boolean[],
    page = 0,
    pages = 1,
    dataAgeMs?: number | null,
  ): void {
    // The data's age is not in the key: a line per changed picture, not per tick of its age
    // (nor of a cluster's: only which clusters are stale counts).
    const snapshot = this.status?.snapshot() ?? null;
    const stale = snapshot?.clusters?.map((c) => `${c.name}:${c.stale ? 1 : 0}`).join(',') ?? '';
    const key = [state, page, pages, leds.map(toHex).join(), blink?.map(Number).join('') ?? '', stale].join('/');
    if (key === this.lastKey) return;
    this.lastKey = key;
    const line = formatLogLine({
      time: this.now(),
      name: this.name,
      state,
      geometry: this.geometry,
      leds,
      blink,
      page,
      pages,
      color: this.color,
      dataAgeMs,
      clusters: this.clusterLineNow(),
    });
    screenFor(this.stream).append(line);
  }
}

/** Builds a terminal driver factory that writes to `stream` (default stdout). */
export function terminalDriverFactory(stream: TerminalStream = process.stdout, opts: TerminalOptions = {}): DriverFactory {
  return async (_config: OutputConfig, ctx: DriverContext) =>
    new TerminalDriver(ctx.name, ctx.geometry, stream, { display: ctx.display, ...opts });
}

/** The `terminal` output (SPEC §7): ANSI truecolour LEDs on stdout. */
export const createTerminalDriver: DriverFactory = (config, ctx) => terminalDriverFactory()(config, ctx);
