import { defineConfig } from 'vitest/config';

// Tiers: `unit` needs no root and no backend (unit tests, loopback servers, child processes, npm pack/install
// from npm's cache); `backends` needs promtool/Prometheus/VictoriaMetrics (installed by .ci/install-backends.sh,
// as root) or real installs of other OpenTelemetry lines from the registry. `npm run test:unit` runs the first,
// `npm test` both.
const BACKENDS = [
  'test/e2e/**',
  'test/deploy/configs.test.ts',
  'test/deploy/promql.test.ts',
  'test/deploy/rules.test.ts',
];

export default defineConfig({
  test: {
    // Tests start real servers, child processes and backends; give them room, never retry.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file gets its own process: instrumentations patch node:http and subscribe to channels process-wide.
    pool: 'forks',
    isolate: true,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: BACKENDS } },
      {
        extends: true,
        test: { name: 'backends', include: BACKENDS.map((p) => (p.endsWith('**') ? `${p}/*.test.ts` : p)) },
      },
    ],
  },
});
