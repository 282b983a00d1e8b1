import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { PioHandle, PioIo } from '../../src/output/pio.js';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code} (ws2812-pio stand-in)`), { code });
}

/**
 * A recording stand-in for /dev/ledsN backed by a real temp file, following
 * raspberrypi/linux drivers/misc/ws2812-pio-rp1.c ws2812_pio_rp1_write: each open has a
 * file position; a write lands at `position` (pwrite) or, without one, at the file
 * position and advances it; starting past the buffer or longer than it → EFBIG; running
 * past its end → ENOSPC (after copying what fits); a 1-byte write at position 0 sets the
 * brightness byte instead of pixels. The buffer is num_leds × 4 bytes.
 */
export class FakeLedsDevice {
  /** The driver's brightness byte (overlay default 255). */
  brightness = 255;
  /** A copy of the pixel buffer after every write that filled it completely (rendered at once). */
  readonly frames: Buffer[] = [];
  /** Every write: position used and byte count asked. */
  readonly writes: { position: number; length: number }[] = [];
  opens = 0;
  closes = 0;
  /** Set to make open() fail with this errno code (ENOENT, EACCES, EPERM). */
  openError: string | undefined;

  constructor(
    readonly path: string,
    readonly numLeds: number,
  ) {
    writeFileSync(path, Buffer.alloc(numLeds * 4));
  }

  get size(): number {
    return this.numLeds * 4;
  }

  /** The pixel buffer as the file holds it now. */
  contents(): Buffer {
    return readFileSync(this.path);
  }

  /** Opens the device like open(2) would; `write(data)` without a position is a plain write(2). */
  openHandle(): PioHandle & { write(data: Uint8Array, position?: number | null): Promise<number> } {
    if (this.openError) throw errno(this.openError);
    this.opens++;
    const fd = openSync(this.path, 'r+');
    let filePos = 0;
    return {
      write: async (data: Uint8Array, position?: number | null) => {
        const positional = typeof position === 'number';
        const pos = positional ? position : filePos;
        this.writes.push({ position: pos, length: data.length });
        if (pos > this.size) throw errno('EFBIG');
        let count = data.length;
        let err: string | undefined;
        if (count > this.size) {
          err = 'EFBIG';
          count = this.size;
        }
        if (pos + count > this.size) {
          err ??= 'ENOSPC';
          count = this.size - pos;
        }
        let end = pos;
        if (pos === 0 && count === 1) this.brightness = data[0]!;
        else {
          writeSync(fd, data, 0, count, pos);
          end = pos + count;
          if (count > 0 && end === this.size) this.frames.push(this.contents());
        }
        // pwrite leaves the file position alone; write(2) advances it.
        if (!positional) filePos = end;
        if (err) throw errno(err);
        return count;
      },
      close: async () => {
        this.closes++;
        closeSync(fd);
      },
    };
  }

  /** The PioIo seam: open() gives this device, readFile() reads real files (fake device trees). */
  io(): PioIo {
    return { open: async () => this.openHandle(), readFile: (p) => readFile(p) };
  }
}
