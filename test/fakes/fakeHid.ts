import type { HidDevice, HidDeviceInfo, HidModule, NativeLoaders } from '../../src/output/native.js';

/** One feature report as the device received it. */
export interface SentReport {
  time: number;
  bytes: number[];
}

/** A simulated BlinkStick on the fake USB bus. */
export class FakeStick {
  readonly reports: SentReport[] = [];
  plugged = true;
  /** Increases on every replug: handles opened before it are dead, as with hidraw. */
  generation = 0;
  opens = 0;
  closes = 0;
  modeReads = 0;
  /** Every feature report read (the mode check, the idle probe), with its time. */
  readonly reads: { time: number; id: number }[] = [];
  /** How long each transfer takes (ms, on the current timers); 0 = at once. */
  transferMs = 0;
  inFlight = 0;
  /** Most transfers that were ever in progress at once. */
  maxInFlight = 0;
  /** What report 1 reads back: the first LED. */
  color: [number, number, number] = [0, 0, 0];

  constructor(
    public serial: string,
    public release: number,
    public path: string,
    /** Mode byte kept in the device's EEPROM. */
    public mode: number,
  ) {}

  /** Feature reports other than the mode report. */
  get frames(): number[][] {
    return this.reports.filter((r) => r.bytes[0] !== 4).map((r) => r.bytes);
  }

  /** Mode reports written. */
  get modeWrites(): number[][] {
    return this.reports.filter((r) => r.bytes[0] === 4).map((r) => r.bytes);
  }

  get lastFrame(): number[] | undefined {
    const f = this.frames;
    return f[f.length - 1];
  }
}

class FakeHandle implements HidDevice {
  closed = false;
  constructor(
    private readonly stick: FakeStick,
    private readonly generation: number,
  ) {}

  // A slow USB transfer (stick.transferMs, on the current timers), counted for overlap checks.
  private async transfer(): Promise<void> {
    const s = this.stick;
    s.inFlight++;
    s.maxInFlight = Math.max(s.maxInFlight, s.inFlight);
    try {
      if (s.transferMs) await new Promise((r) => setTimeout(r, s.transferMs));
    } finally {
      s.inFlight--;
    }
  }

  private alive(): boolean {
    return !this.closed && this.stick.plugged && this.stick.generation === this.generation;
  }

  async sendFeatureReport(data: number[]): Promise<number> {
    await this.transfer();
    if (!this.alive()) throw new Error('could not send feature report to device');
    const bytes = Array.from(data);
    this.stick.reports.push({ time: Date.now(), bytes });
    if (bytes[0] === 4) this.stick.mode = bytes[1]!;
    // Report 1 reads back the first LED (blinkstick-python's get_color reads it the same way).
    if (bytes[0] === 1) this.stick.color = [bytes[1]!, bytes[2]!, bytes[3]!];
    return bytes.length;
  }

  async getFeatureReport(reportId: number, length: number): Promise<number[]> {
    await this.transfer();
    if (!this.alive()) throw new Error('could not get feature report from device');
    this.stick.reads.push({ time: Date.now(), id: reportId });
    if (reportId === 1) return [1, ...this.stick.color].slice(0, length);
    if (reportId !== 4) throw new Error(`fake: report ${reportId} not readable`);
    this.stick.modeReads++;
    return [4, this.stick.mode].slice(0, length);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stick.closes++;
  }
}

/**
 * A recording stand-in for node-hid 3's async API (devicesAsync, HIDAsync): a bus of
 * BlinkSticks whose feature reports are kept byte for byte with timestamps; sticks can be
 * unplugged and replugged.
 */
export class FakeHid {
  readonly sticks: FakeStick[] = [];
  /** Date.now() of every enumeration. */
  readonly enumerations: number[] = [];
  /** Makes devicesAsync() reject, like a node-hid binding that cannot load libudev. */
  loadError: Error | undefined;
  /** Makes opening a device throw, like a hidraw node without permissions. */
  openError: Error | undefined;
  /** Extra non-BlinkStick devices listed by devicesAsync(). */
  others: HidDeviceInfo[] = [
    { vendorId: 0x046d, productId: 0xc52b, path: '/dev/hidraw-other', release: 0x1201, serialNumber: 'X' },
  ];
  readonly module: HidModule;
  private nextPath = 0;

  constructor() {
    // The module's methods are node-hid's shape (plain functions); they reach this fake's state through self.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.module = {
      async devicesAsync(vendorId?: number, productId?: number): Promise<HidDeviceInfo[]> {
        if (self.loadError) throw self.loadError;
        self.enumerations.push(Date.now());
        const all: HidDeviceInfo[] = [
          ...self.others,
          ...self.sticks
            .filter((s) => s.plugged)
            .map((s) => ({
              vendorId: 0x20a0,
              productId: 0x41e5,
              path: s.path,
              serialNumber: s.serial,
              release: s.release,
              product: 'BlinkStick',
            })),
        ];
        return vendorId === undefined ? all : all.filter((d) => d.vendorId === vendorId && d.productId === productId);
      },
      HIDAsync: {
        async open(path: string): Promise<FakeHandle> {
          if (self.openError) throw self.openError;
          const stick = self.sticks.find((s) => s.plugged && s.path === path);
          if (!stick) throw new Error(`cannot open device with path ${path}`);
          stick.opens++;
          return new FakeHandle(stick, stick.generation);
        },
      },
    };
  }

  /** Plugs in a stick; `mode` defaults to what the variant ships with. */
  add(serial: string, release: number, mode?: number): FakeStick {
    const major = /-(\d+)\./.exec(serial)?.[1];
    const s = new FakeStick(serial, release, this.newPath(), mode ?? (major === '3' ? 2 : 0));
    this.sticks.push(s);
    return s;
  }

  unplug(stick: FakeStick): void {
    stick.plugged = false;
  }

  /** Plugs the stick back in; the kernel usually hands it a new hidraw node. */
  replug(stick: FakeStick): void {
    stick.plugged = true;
    stick.generation++;
    stick.path = this.newPath();
  }

  private newPath(): string {
    return `/dev/hidraw-fake${this.nextPath++}`;
  }

  /** Loaders that hand out this fake. */
  loaders(): NativeLoaders {
    return {
      ws281x: async () => {
        throw new Error('rpi-ws281x-native not provided by FakeHid');
      },
      hid: async () => this.module,
      getuid: () => 1000,
    };
  }
}
