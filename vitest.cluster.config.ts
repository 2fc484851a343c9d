import { defineConfig } from 'vitest/config';

// `npm run test:cluster`: multi-process tests (PostgreSQL, a 3-node NATS cluster, hub writer, cell gateways), each
// process started by the test on 127.0.0.1 and stopped by PID. Not part of `npm test`; .ci/run runs it after it.
// Project "postgres": the ingest, access and alert flow tests again, each gateway on its own PostgreSQL database
// (DATABASE_URL=postgres://…, docs/storage.md) instead of a SQLite file.
const common = { testTimeout: 600_000, hookTimeout: 600_000 };
export default defineConfig({
  test: {
    maxWorkers: 1,
    projects: [
      { test: { ...common, name: 'cluster', include: ['test/cluster/**/*.test.ts'], globalSetup: ['test/global-setup.ts'] } },
      {
        test: {
          ...common,
          name: 'postgres',
          include: ['test/ingest.test.ts', 'test/access.test.ts', 'test/alerts.test.ts', 'test/site.test.ts'],
          env: { LINLI_TEST_STORE: 'postgres' },
          globalSetup: ['test/global-setup.ts', 'test/cluster/pg-flows-setup.ts'],
        },
      },
    ],
  },
});
