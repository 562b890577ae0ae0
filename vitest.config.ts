import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests start real servers, child processes and backends; give them room, never retry.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file gets its own process: instrumentations patch node:http and subscribe to channels process-wide.
    pool: 'forks',
    isolate: true,
  },
});
