import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['gateway/src/**/*.test.ts', 'devices-sim/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/bench/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: flow tests boot real gateways and SQLite files; more workers only contend.
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
  },
});
