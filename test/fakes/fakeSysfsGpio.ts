import * as fs from 'node:fs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { SysfsIo } from '../../src/output/sysfsGpio.js';

/** A gpiochip directory of the fake tree. */
export interface FakeChip {
  base: number;
  label: string;
  ngpio: number;
}

/** One write to a line's value file, in the order made. */
export interface ValueWrite {
  /** Global GPIO number of the line. */
  gpio: number;
  /** The text written. */
  text: string;
  /** File position given to the write (null: the file position). */
  position: number | null;
}

function errno(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${path} (fake sysfs)`), { code, path });
}

/**
 * A fake /sys/class/gpio in a temporary directory, following the kernel's
 * Documentation/ABI/obsolete/sysfs-gpio: gpiochipN/{base,label,ngpio}; writing a number to
 * `export` creates gpioN/{direction,value} (plain files cannot do that by themselves, so
 * the io wrapper does what the kernel would: at once, or after `exportDelayMs` as udev's
 * late permission change looks to a program); a number no chip covers is EINVAL;
 * `direction` out drives the line low. Every write to a value file is recorded in order,
 * across both lines, so tests can decode the wire.
 */
export class FakeSysfsGpio {
  readonly dir: string;
  readonly root: string;
  readonly valueWrites: ValueWrite[] = [];
  /** Numbers written to export / unexport, in order. */
  readonly exported: number[] = [];
  readonly unexported: number[] = [];
  /** Set to make writes to `export` fail with this errno code (EACCES: no permission; EROFS: read-only /sys). */
  exportError: string | undefined;
  /** Set to make a value write fail with this code (a line that went away). */
  valueError: string | undefined;
  /** Delay before an exported line's directory appears (ms). */
  exportDelayMs = 0;
  private readonly valueFds = new Map<number, number>();
  readonly io: SysfsIo;

  constructor(
    readonly chips: readonly FakeChip[],
    opts: { noGpioDir?: boolean } = {},
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'podglow-sysfs-'));
    this.root = join(this.dir, 'class', 'gpio');
    if (!opts.noGpioDir) {
      mkdirSync(this.root, { recursive: true });
      writeFileSync(join(this.root, 'export'), '');
      writeFileSync(join(this.root, 'unexport'), '');
      for (const c of chips) {
        const d = join(this.root, `gpiochip${c.base}`);
        mkdirSync(d);
        writeFileSync(join(d, 'base'), `${c.base}\n`);
        writeFileSync(join(d, 'label'), `${c.label}\n`);
        writeFileSync(join(d, 'ngpio'), `${c.ngpio}\n`);
      }
    }
    this.io = this.wrap();
  }

  /** Creates gpioN as the kernel's export would (also used to start with lines already exported). */
  createLine(n: number): void {
    const d = join(this.root, `gpio${n}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'direction'), 'in\n');
    writeFileSync(join(d, 'value'), '0\n');
  }

  private covers(n: number): boolean {
    return this.chips.some((c) => n >= c.base && n < c.base + c.ngpio);
  }

  private wrap(): SysfsIo {
    // Arrow functions keep `this`: the fake itthis.
    const io: SysfsIo = {
      closeSync: (fd) => {
        this.valueFds.delete(fd);
        fs.closeSync(fd);
      },
      existsSync: (p) => fs.existsSync(p),
      readdirSync: ((p: fs.PathLike) => fs.readdirSync(p)) as SysfsIo['readdirSync'],
      readFileSync: fs.readFileSync,
      openSync: ((p: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode | null) => {
        const fd = fs.openSync(p, flags ?? 'r', mode);
        const path = String(p);
        if (basename(path) === 'value') this.valueFds.set(fd, Number(basename(dirname(path)).slice(4)));
        return fd;
      }) as SysfsIo['openSync'],
      writeSync: ((fd: number, buf: NodeJS.ArrayBufferView, offset?: number, length?: number, position?: number | null) => {
        const gpio = this.valueFds.get(fd);
        if (gpio !== undefined) {
          if (this.valueError) throw errno(this.valueError, `gpio${gpio}/value`);
          const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).subarray(
            offset ?? 0,
            (offset ?? 0) + (length ?? buf.byteLength),
          );
          this.valueWrites.push({ gpio, text: bytes.toString('latin1'), position: position ?? null });
        }
        return fs.writeSync(fd, buf, offset, length, position);
      }) as SysfsIo['writeSync'],
      writeFileSync: ((p: fs.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView) => {
        const path = String(p);
        const text = String(data).trim();
        if (path === join(this.root, 'export')) {
          if (this.exportError) throw errno(this.exportError, path);
          const n = Number(text);
          if (!this.covers(n)) throw errno('EINVAL', path);
          if (fs.existsSync(join(this.root, `gpio${n}`))) throw errno('EBUSY', path);
          this.exported.push(n);
          if (this.exportDelayMs > 0) setTimeout(() => this.createLine(n), this.exportDelayMs);
          else this.createLine(n);
          return;
        }
        if (path === join(this.root, 'unexport')) {
          const n = Number(text);
          this.unexported.push(n);
          rmSync(join(this.root, `gpio${n}`), { recursive: true, force: true });
          return;
        }
        if (!fs.existsSync(path)) throw errno('ENOENT', path);
        fs.writeFileSync(path, data);
        if (basename(path) === 'direction' && (text === 'out' || text === 'low'))
          fs.writeFileSync(join(dirname(path), 'value'), '0\n');
      }) as SysfsIo['writeFileSync'],
    };
    return io;
  }

  /** The text a line's direction file holds. */
  direction(n: number): string {
    return fs.readFileSync(join(this.root, `gpio${n}`, 'direction'), 'utf8').trim();
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// Labels and line counts from the kernel's pin controllers: drivers/pinctrl/bcm/pinctrl-bcm2835.c
// (MODULE_NAME "pinctrl-bcm2835", BCM2835_NUM_GPIOS 54; "pinctrl-bcm2711", BCM2711_NUM_GPIOS 58)
// and raspberrypi/linux drivers/pinctrl/pinctrl-rp1.c (MODULE_NAME "pinctrl-rp1",
// RP1_NUM_GPIOS 54). Bases from 512 on 6.6+: GPIO_DYNAMIC_BASE in the kernel's gpiolib
// (include/asm-generic/gpio.h); the exact bases are those the boards show (SPEC §7).
/**
 * Chip sets for the tests: the header chip at the base each kernel gives it (0 before 6.6,
 * 512 on a Pi 1–4 and 571 on a Pi 5 with 6.6+, SPEC §7), among other chips whose labels
 * and bases here are only examples.
 */
export const PI_CHIPS = {
  /** Pi 3 on a kernel before 6.6: the header at 0, the firmware expander after it. */
  pi3Old: [
    { base: 0, label: 'pinctrl-bcm2835', ngpio: 54 },
    { base: 504, label: 'raspberrypi-exp-gpio', ngpio: 8 },
  ],
  /** Pi 4 on 6.6+: numbering from 512, the expander first in the listing. */
  pi4: [
    { base: 570, label: 'raspberrypi-exp-gpio', ngpio: 8 },
    { base: 512, label: 'pinctrl-bcm2711', ngpio: 58 },
  ],
  /** Pi 5 on 6.1: the RP1 header chip at 399 (SPEC §7), after another chip. */
  pi5Old: [
    { base: 453, label: 'gpio-brcmstb@107d508500', ngpio: 59 },
    { base: 399, label: 'pinctrl-rp1', ngpio: 54 },
  ],
  /** Pi 5 on 6.6+: the RP1 header chip at 571 after other chips. */
  pi5: [
    { base: 512, label: 'gpio-brcmstb@107d508500', ngpio: 32 },
    { base: 544, label: 'gpio-brcmstb@107d508520', ngpio: 4 },
    { base: 548, label: 'gpio-brcmstb@107d517c00', ngpio: 17 },
    { base: 565, label: 'gpio-brcmstb@107d517c20', ngpio: 6 },
    { base: 571, label: 'pinctrl-rp1', ngpio: 54 },
  ],
} satisfies Record<string, FakeChip[]>;
