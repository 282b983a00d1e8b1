/** Options podglow passes to rpi-ws281x-native's single-channel initialiser. */
export interface Ws281xOptions {
  dma: number;
  freq: number;
  gpio: number;
  invert: boolean;
  /** 0..255, applied by the C library to every LED on top of the colour values. */
  brightness: number;
  /** One of the package's strip type ids (`ws2812`, `sk6812w`, `ws2811-rgb`, …). */
  stripType: string;
}

/** The channel object rpi-ws281x-native returns: `array` holds 0xRRGGBB per physical LED. */
export interface Ws281xChannel {
  readonly count: number;
  readonly array: Uint32Array;
  brightness: number;
}

/** What podglow uses of rpi-ws281x-native (its CommonJS default export). */
export interface Ws281xModule {
  (numLeds: number, options: Ws281xOptions): Ws281xChannel;
  render(): void;
  finalize(): void;
}

/** One entry of node-hid's `devices()`. */
export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string | undefined;
  serialNumber?: string | undefined;
  product?: string | undefined;
  /** bcdDevice, the USB release number (tells BlinkStick Square, Strip, Nano and Flex apart). */
  release: number;
}

/**
 * An open node-hid device (node-hid 3's `HIDAsync`): each transfer runs on node-hid's worker
 * thread, so a stuck USB device cannot freeze the event loop.
 */
export interface HidDevice {
  sendFeatureReport(data: number[]): Promise<number>;
  /** node-hid resolves with a Buffer; only indexing and length are used. */
  getFeatureReport(reportId: number, length: number): Promise<ArrayLike<number>>;
  close(): Promise<void>;
}

/** What podglow uses of node-hid. */
export interface HidModule {
  devicesAsync(vendorId: number, productId: number): Promise<HidDeviceInfo[]>;
  HIDAsync: { open(path: string): Promise<HidDevice> };
}

/**
 * The seam between hardware drivers and native modules: production code imports the real
 * packages lazily through these; tests pass recording fakes instead.
 */
export interface NativeLoaders {
  ws281x(): Promise<Ws281xModule>;
  hid(): Promise<HidModule>;
  /** The effective user id, undefined where the platform has none (Windows). */
  getuid(): number | undefined;
}

// CommonJS packages arrive as `{ default: module }` through a dynamic import.
function unwrap<T>(mod: unknown): T {
  const m = mod as { default?: T };
  return (m.default ?? mod) as T;
}

/** Loaders that import the real packages, only when first called. */
export const defaultLoaders: NativeLoaders = {
  async ws281x() {
    const name = 'rpi-ws281x-native';
    // A variable specifier keeps TypeScript from requiring the optional package's types.
    return unwrap<Ws281xModule>(await import(name));
  },
  async hid() {
    return unwrap<HidModule>(await import('node-hid'));
  },
  getuid() {
    return process.getuid?.();
  },
};
