import * as nodeFs from 'node:fs';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { naturalCompare } from '../naturalSort.js';
import type { OutputLine } from './blinktProtocol.js';

// Facts from the kernel's Documentation/ABI/obsolete/sysfs-gpio (torvalds/linux):
// - /sys/class/gpio/export and /unexport take a global GPIO number;
// - /sys/class/gpio/gpiochipN/{base,label,ngpio}: a chip's lines are base .. base + ngpio − 1;
// - /sys/class/gpio/gpioN/direction: `out` makes the line an output driven low;
//   gpioN/value takes 0 or 1.
// The Raspberry Pi header's chip is labelled pinctrl-bcm2835 (Pi 1–3), pinctrl-bcm2711
// (Pi 4) or pinctrl-rp1 (Pi 5); its base is 0 on old kernels, 512 (Pi 1–4) or 571 (Pi 5)
// on 6.6 and later, 399 on a Pi 5 with 6.1: read, never assumed.

/** Where the kernel's sysfs GPIO lives. */
export const SYSFS_GPIO_ROOT = '/sys/class/gpio';
/** Labels of the chip that owns the 40-pin header's BCM lines. */
export const HEADER_CHIP_LABELS = ['pinctrl-bcm2835', 'pinctrl-bcm2711', 'pinctrl-rp1'] as const;
/** How long an exported line's files may take to appear and become writable (udev sets the gpio group after export). */
export const EXPORT_SETTLE_MS = 2000;

/** Opens header lines (by BCM number) as outputs driven low; another backend (the GPIO character device) can implement it too. */
export interface GpioBackend {
  /** Opens every line as an output, low; throws a GpioError naming the fix. */
  open(bcm: readonly number[]): Promise<GpioLines>;
}

/** Lines opened together, in the order asked. */
export interface GpioLines {
  readonly lines: readonly OutputLine[];
  /** Releases the lines (unexports those this backend exported); idempotent. */
  close(): void;
}

/** A GPIO set-up problem; the message names the fix. */
export class GpioError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'GpioError';
  }
}

/** The header's chip as sysfs shows it. */
export interface HeaderChip {
  /** Its directory name, e.g. gpiochip512. */
  name: string;
  label: string;
  base: number;
  ngpio: number;
}

/** The calls the sysfs backend makes: node:fs in production; tests wrap it to record or refuse. */
export type SysfsIo = Pick<
  typeof nodeFs,
  'closeSync' | 'existsSync' | 'openSync' | 'readFileSync' | 'readdirSync' | 'writeFileSync' | 'writeSync'
>;

function readText(io: SysfsIo, path: string): string {
  return io.readFileSync(path, 'utf8').trim();
}

const PERMISSION_FIX =
  "let podglow's user write the GPIO files: add it to the gpio group (sudo usermod -aG gpio <user>, then log in again; " +
  'Raspberry Pi OS gives that group /sys/class/gpio through its udev rules), or run as root. In a container, /sys must be ' +
  'mounted writable (deploy/overlays/blinkt explains how).';

function fsError(what: string, path: string, e: unknown): GpioError {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return new GpioError(`permission denied ${what} ${path}: ${PERMISSION_FIX}`, err.code);
    case 'EROFS':
      return new GpioError(
        `${path} is on a read-only /sys (${what}): in a container, mount the host's /sys writable (deploy/overlays/blinkt explains how).`,
        err.code,
      );
    case 'EBUSY':
      return new GpioError(
        `${path}: the line is busy (${what}): another program or a kernel driver (a dtoverlay using GPIO 23/24?) holds it.`,
        err.code,
      );
    default:
      return new GpioError(`${what} ${path} failed: ${err.message}`, err.code ?? 'EIO');
  }
}

/** Finds the header's chip among root/gpiochip*: the first, in natural order, with a known label. */
export function findHeaderChip(root: string = SYSFS_GPIO_ROOT, io: SysfsIo = nodeFs): HeaderChip {
  let entries: string[];
  try {
    entries = io.readdirSync(root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new GpioError(
        `${root} does not exist: this kernel has no sysfs GPIO (CONFIG_GPIO_SYSFS), or, in a container, the host's /sys is ` +
          'not mounted (deploy/overlays/blinkt mounts it).',
        'ENOENT',
      );
    }
    throw fsError('reading', root, e);
  }
  const seen: string[] = [];
  for (const name of entries.filter((n) => /^gpiochip\d+$/.test(n)).sort(naturalCompare)) {
    let label: string;
    try {
      label = readText(io, join(root, name, 'label'));
    } catch {
      continue;
    }
    seen.push(`${name} "${label}"`);
    if (!(HEADER_CHIP_LABELS as readonly string[]).includes(label)) continue;
    const base = Number(readText(io, join(root, name, 'base')));
    const ngpio = Number(readText(io, join(root, name, 'ngpio')));
    if (!Number.isInteger(base) || base < 0 || !Number.isInteger(ngpio) || ngpio < 1) {
      throw new GpioError(`${join(root, name)}: unreadable base or ngpio`, 'EINVAL');
    }
    return { name, label, base, ngpio };
  }
  throw new GpioError(
    `no GPIO chip labelled ${HEADER_CHIP_LABELS.join(', ')} under ${root} (found: ${seen.length ? seen.join(', ') : 'none'}): ` +
      "this is not a Raspberry Pi, or the container sees another machine's /sys" +
      (seen.length
        ? '.'
        : ', or the kernel was built without GPIO_SYSFS_LEGACY (no gpiochipN entries and no global export file).'),
    'ENOCHIP',
  );
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One value file kept open; writes land at position 0. */
class ValueFile implements OutputLine {
  private static readonly HIGH = Buffer.from('1');
  private static readonly LOW = Buffer.from('0');

  constructor(
    private readonly io: SysfsIo,
    readonly fd: number,
  ) {}

  write(high: boolean): void {
    this.io.writeSync(this.fd, high ? ValueFile.HIGH : ValueFile.LOW, 0, 1, 0);
  }
}

/** Options of the sysfs backend. */
export interface SysfsGpioOptions {
  /** The sysfs GPIO directory; only tests change it (a fake tree in a temp directory). */
  root?: string;
  /** Longest wait for an exported line's files; see EXPORT_SETTLE_MS. */
  settleMs?: number;
  /** node:fs unless a test records or refuses calls. */
  io?: SysfsIo;
}

/**
 * GPIO through the kernel's sysfs interface with plain `fs`: finds the header's chip by its
 * label, adds its base to each BCM number, exports the lines that are not yet exported, sets
 * `direction` to out and keeps each `value` file open.
 */
export class SysfsGpio implements GpioBackend {
  readonly root: string;
  private readonly settleMs: number;
  private readonly io: SysfsIo;

  constructor(opts: SysfsGpioOptions = {}) {
    this.root = opts.root ?? SYSFS_GPIO_ROOT;
    this.settleMs = opts.settleMs ?? EXPORT_SETTLE_MS;
    this.io = opts.io ?? nodeFs;
  }

  async open(bcm: readonly number[]): Promise<GpioLines> {
    const { io } = this;
    const chip = findHeaderChip(this.root, io);
    const exported: number[] = [];
    const fds: number[] = [];
    const release = () => {
      for (const fd of fds.splice(0)) {
        try {
          io.closeSync(fd);
        } catch {
          // A descriptor the kernel already dropped: nothing left to release.
        }
      }
      for (const n of exported.splice(0)) {
        try {
          io.writeFileSync(join(this.root, 'unexport'), String(n));
        } catch {
          // Already gone, or no permission: the line stays exported, which harms nothing.
        }
      }
    };
    try {
      for (const b of bcm) {
        if (b >= chip.ngpio) throw new GpioError(`${chip.name} (${chip.label}) has ${chip.ngpio} lines: no BCM ${b}`, 'EINVAL');
        const n = chip.base + b;
        const dir = join(this.root, `gpio${n}`);
        if (!io.existsSync(dir)) {
          const exportFile = join(this.root, 'export');
          try {
            io.writeFileSync(exportFile, String(n));
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EBUSY' || !io.existsSync(dir))
              throw fsError(`exporting GPIO ${n} (BCM ${b}) through`, exportFile, e);
          }
          exported.push(n);
        }
        await this.setOutput(join(dir, 'direction'), n, b);
        const value = join(dir, 'value');
        try {
          // O_WRONLY alone: a value file that is not there must fail, not be created.
          fds.push(io.openSync(value, constants.O_WRONLY));
        } catch (e) {
          throw fsError('opening', value, e);
        }
      }
    } catch (e) {
      release();
      throw e;
    }
    const lines = fds.map((fd) => new ValueFile(io, fd));
    let closed = false;
    return {
      lines,
      close() {
        if (closed) return;
        closed = true;
        release();
      },
    };
  }

  /**
   * Writes `out` to the line's direction file. Right after an export the file may not be
   * there yet, or still be root's until udev gives it to the gpio group: retried briefly.
   */
  private async setOutput(path: string, n: number, bcm: number): Promise<void> {
    const deadline = performance.now() + this.settleMs;
    for (;;) {
      try {
        this.io.writeFileSync(path, 'out');
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const settling = code === 'ENOENT' || code === 'EACCES';
        if (!settling || performance.now() >= deadline) {
          if (code === 'ENOENT') throw new GpioError(`GPIO ${n} (BCM ${bcm}) was exported but ${path} did not appear`, 'ENOENT');
          throw fsError('writing', path, e);
        }
      }
      await sleep(20);
    }
  }
}
