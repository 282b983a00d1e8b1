import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Real Prometheus and Chromium instances are heavy on a 2-core machine.
    maxWorkers: 2,
  },
});
