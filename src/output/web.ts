import type { Driver, DriverFactory } from './driver.js';

/**
 * The `web` output (SPEC §7): a virtual device drawn by the preview page. The page reads
 * what it shows from the controller's OutputView, so `show()` keeps nothing of its own.
 */
export class WebDriver implements Driver {
  readonly up = true;
  readonly maxBrightness = 1;
  readonly gamma = false;

  async start(): Promise<void> {}

  async show(): Promise<void> {}

  async stop(): Promise<void> {}
}

/** Builds the driver of a `web` output. */
export const createWebDriver: DriverFactory = async () => new WebDriver();
