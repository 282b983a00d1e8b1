import type { Rgb } from '../color.js';
import type { Logger } from '../log.js';
import type { LayoutConfig, OutputConfig } from '../config/schema.js';
import type { LegendEntry } from '../layout/labels.js';
import type { Geometry } from './geometry.js';
import type { StatusView } from '../loop/status.js';

/**
 * One device (SPEC §1). The constructor only stores values; `start()` opens the device.
 * `show()` receives final colours (after brightness, gamma and effects) in logical order,
 * `width × height` long; the driver maps them to its physical order and protocol.
 */
export interface Driver {
  start(): Promise<void>;
  /** `brightness` (0..1, the output's) is passed only to drivers with `hardwareBrightness`. */
  show(leds: readonly Rgb[], brightness?: number): Promise<void>;
  /** Blanks the LEDs unless `blank` is false, then releases the device. Idempotent. */
  stop(blank: boolean): Promise<void>;
  /** False while the device is unusable (e.g. BlinkStick unplugged); exported as podglow_output_up. */
  readonly up: boolean;
  /** Hardware ceiling for brightness (0..1), e.g. 0.5 on the Unicorn HAT; 1 when none. */
  readonly maxBrightness: number;
  /** True when colours need WS2812 gamma correction before `show()`; may change when the device opens. */
  readonly gamma: boolean;
  /**
   * Optional: for a device that dims in hardware (the Blinkt!'s 5-bit field), the share of
   * full light it gives at an output brightness. Colours then reach `show()` at full scale,
   * with the brightness as its second argument, so dim colours keep their 8-bit resolution.
   */
  hardwareBrightness?(brightness: number): number;
  /**
   * Optional: called once, before polling starts, by drivers that describe the display
   * rather than light it (the terminal output off a TTY logs base frames and display state).
   */
  follow?(status: StatusView): void;
  /**
   * The device's real size once `start()` found it, when that differs from what the config
   * alone says (a BlinkStick model without `leds:`); layouts are made for it.
   */
  readonly deviceGeometry?: Geometry;
}

/** What a driver factory gets besides its own config. */
export interface DriverContext {
  name: string;
  geometry: Geometry;
  log: Logger;
  /** The output's frame-rate cap (fps); drivers that re-send frames stay below it. */
  fps?: number;
  /** Called when the device goes down or comes back (counted in metrics). */
  onStatus?(up: boolean, error?: Error): void;
  /** Called when the device tells its size after start (a WLED that answered late): the output is laid out anew at that size. */
  onGeometry?(geometry: Geometry): void;
  /** What the output shows, for drivers that label their own picture (the terminal on a TTY). */
  display?: DisplayInfo;
}

/** An output's layout and its legend (its own palette), as a viewer labels the picture. */
export interface DisplayInfo {
  layout: LayoutConfig;
  legend: LegendEntry[];
  /** Fallback node of a `summary` layout without `node` (NODE_NAME). */
  nodeName?: string;
}

/** Builds the driver for one output; native modules are imported inside, lazily. */
export type DriverFactory<C extends OutputConfig = OutputConfig> = (config: C, ctx: DriverContext) => Promise<Driver>;
