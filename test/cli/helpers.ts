import { vi } from 'vitest';

/** The environment `podglow check` reads, stubbed empty so a test sees only its own config. */
export function stubPodglowEnv(): void {
  for (const k of [
    'PODGLOW_CONFIG',
    'PODGLOW_PROMETHEUS_URL',
    'PODGLOW_CLUSTER',
    'PODGLOW_NAMESPACES',
    'PODGLOW_PROMETHEUS_ORG_ID',
  ])
    vi.stubEnv(k, '');
}
