import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['gateway/src/**/*.test.ts', 'devices-sim/src/**/*.test.ts', 'test/**/*.test.ts'],
    // test/cluster/: `npm run test:cluster` (vitest.cluster.config.ts), many processes, minutes each.
    exclude: ['**/node_modules/**', 'test/bench/**', 'test/cluster/**'],
    testTimeout: 90_000,
    // Generous bounds: a test waits on events, and a busy CI machine (or a CPU hog beside it) only makes them slower.
    hookTimeout: 180_000,
    // Two cores: flow tests boot real gateways and SQLite files; more workers only contend.
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
  },
});
