import { defineConfig } from 'vitest/config';

// `npm run test:cluster`: multi-process tests (PostgreSQL, a 3-node NATS cluster, hub writer, cell gateways), each
// process started by the test on 127.0.0.1 and stopped by PID. Not part of `npm test`; .ci/run runs it after it.
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    maxWorkers: 1,
    globalSetup: ['test/global-setup.ts'],
  },
});
