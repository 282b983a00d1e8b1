import type { NativeLoaders, Ws281xChannel, Ws281xModule, Ws281xOptions } from '../../src/output/native.js';

/**
 * A recording stand-in for rpi-ws281x-native: keeps the init options and a copy of
 * `channel.array` (0xRRGGBB per physical LED) at every render(), and fails like the
 * real module (init throwing on unsupported hardware, finalize after that crashing).
 */
export class FakeWs281x {
  readonly inits: { count: number; options: Ws281xOptions }[] = [];
  readonly renders: Uint32Array[] = [];
  finalizeCalls = 0;
  /** Set to make the next init throw, like "Hardware revision is not supported" on a Pi 5. */
  initError: Error | undefined;
  /** True once finalize() ran after a failed init: the real module segfaults there. */
  segfaulted = false;
  importCalls = 0;
  private failedInit = false;
  channel: Ws281xChannel | undefined;
  readonly module: Ws281xModule;

  constructor() {
    const init = (count: number, options: Ws281xOptions): Ws281xChannel => {
      this.inits.push({ count, options: { ...options } });
      if (this.initError) {
        this.failedInit = true;
        throw this.initError;
      }
      this.channel = { count, array: new Uint32Array(count), brightness: options.brightness };
      return this.channel;
    };
    this.module = Object.assign(init, {
      render: () => {
        if (this.channel) this.renders.push(Uint32Array.from(this.channel.array));
      },
      finalize: () => {
        this.finalizeCalls++;
        if (this.failedInit) {
          this.segfaulted = true;
          throw new Error('Segmentation fault (finalize after a failed init)');
        }
      },
    });
  }

  /** The last rendered frame. */
  get lastRender(): Uint32Array | undefined {
    return this.renders[this.renders.length - 1];
  }

  /** Loaders that hand out this fake, with the given effective user id ('none': no getuid, as on Windows). */
  loaders(uid: number | 'none' = 0): NativeLoaders {
    return {
      ws281x: async () => {
        this.importCalls++;
        return this.module;
      },
      hid: async () => {
        throw new Error('node-hid not provided by FakeWs281x');
      },
      getuid: () => (uid === 'none' ? undefined : uid),
    };
  }
}
