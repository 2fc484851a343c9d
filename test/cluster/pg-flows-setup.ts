// Global setup of the PostgreSQL flavour of the flow tests (vitest.cluster.config.ts, project "postgres"): one
// PostgreSQL 15 for the run, a template database migrated once with prisma/postgres/migrations; every gateway a test
// starts gets its own database copied from the template (test/helpers/gateway.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateCellPg } from '../../gateway/src/db/pg-client';
import { startPg } from './pg';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test server's linli_hub database: an admin connection that may CREATE DATABASE. */
    pgAdminUrl: string;
  }
}

export const PG_TEMPLATE = 'linli_cell_template';

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'linli-pg-flows-'));
  const server = await startPg(dir);
  await server.pool.query(`CREATE DATABASE ${PG_TEMPLATE}`);
  const template = new pg.Pool({ connectionString: server.url.replace(/\/linli_hub$/, `/${PG_TEMPLATE}`), max: 1 });
  await migrateCellPg(template);
  // CREATE DATABASE … TEMPLATE needs the template without connections.
  await template.end();
  project.provide('pgAdminUrl', server.url);
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
