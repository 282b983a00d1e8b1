import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Snapshot } from '../snapshot.js';
import type { Source } from './source.js';

export type { Source } from './source.js';

/** Creates the configured source (SPEC §1): `prometheus` (real) or `demo` (simulated). */
export async function createSource(config: Config, opts: { log: Logger }): Promise<Source> {
  switch (config.source) {
    case 'prometheus': {
      const { PrometheusSource } = await import('./prometheus.js');
      return new PrometheusSource(config, { log: opts.log });
    }
    case 'demo': {
      const { createDemoSource } = await import('./demo.js');
      return createDemoSource(config);
    }
  }
}

/** One poll of the configured source, its connections closed afterwards (one-shot commands). */
export async function pollOnce(config: Config, opts: { log: Logger }): Promise<Snapshot> {
  const source = await createSource(config, opts);
  try {
    return await source.poll();
  } finally {
    await source.close?.();
  }
}
