import type { Rgb } from '../color.js';
import type { OutputConfig } from '../config/schema.js';
import type { Driver, DriverContext, DriverFactory } from './driver.js';
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

/** Renders one output as lines of ANSI truecolour LED glyphs (a title line, then the rows). */
export function renderTerminalFrame(name: string, geometry: Geometry, leds: readonly Rgb[]): string[] {
  const lines = [`\x1b[1m${name}\x1b[0m`];
  for (let y = 0; y < geometry.height; y++) {
    for (let x0 = 0; x0 < geometry.width; x0 += MAX_PER_LINE) {
      let line = ' ';
      const end = Math.min(geometry.width, x0 + MAX_PER_LINE);
      for (let x = x0; x < end; x++) {
        const c = leds[y * geometry.width + x] ?? OFF_GLYPH_COLOUR;
        const [r, g, b] = c[0] + c[1] + c[2] === 0 ? OFF_GLYPH_COLOUR : c;
        line += `\x1b[38;2;${Math.round(r)};${Math.round(g)};${Math.round(b)}m${LED} `;
      }
      lines.push(line.trimEnd() + '\x1b[0m');
    }
  }
  return lines;
}

/**
 * Every terminal output on one stream shares a screen: on a TTY their blocks are redrawn
 * together in place (cursor up), so two outputs never overwrite each other; elsewhere a block
 * is printed only when its frame changed.
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

/** A terminal output writing to `stream`. */
export class TerminalDriver implements Driver {
  readonly maxBrightness = 1;
  readonly gamma = false;
  private block: { lines: string[] } | null = null;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly geometry: Geometry,
    private readonly stream: TerminalStream,
  ) {}

  get up(): boolean {
    return !this.stopped && !screenFor(this.stream).broken;
  }

  async start(): Promise<void> {
    this.block ??= screenFor(this.stream).add();
    this.stopped = false;
  }

  async show(leds: readonly Rgb[]): Promise<void> {
    if (!this.block || this.stopped) return;
    screenFor(this.stream).draw(this.block, renderTerminalFrame(this.name, this.geometry, leds));
  }

  async stop(blank: boolean): Promise<void> {
    if (this.stopped || !this.block) {
      this.stopped = true;
      return;
    }
    if (blank) await this.show(Array.from({ length: this.geometry.width * this.geometry.height }, () => [0, 0, 0] as const));
    this.stopped = true;
    screenFor(this.stream).remove(this.block);
    this.block = null;
  }
}

/** Builds a terminal driver factory that writes to `stream` (default stdout). */
export function terminalDriverFactory(stream: TerminalStream = process.stdout): DriverFactory {
  return async (_config: OutputConfig, ctx: DriverContext) => new TerminalDriver(ctx.name, ctx.geometry, stream);
}

/** The `terminal` output (SPEC §7): ANSI truecolour LEDs on stdout. */
export const createTerminalDriver: DriverFactory = (config, ctx) => terminalDriverFactory()(config, ctx);
