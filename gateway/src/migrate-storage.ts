import { type Config, databasePath, isPostgres } from './config';
import { type MigrateResult, findMigrationsDir, migrateDatabase, readMigrations } from './db/migrate';
import { migratePgDatabase } from './db/store';

/**
 * The schema of DATABASE_URL brought up to date (`apply`) or checked: SQLite's prisma/migrations, PostgreSQL's
 * prisma/postgres/migrations (docs/storage.md), each found upwards from `here` (the gateway's own folder).
 */
export async function migrateStorage(config: Config, here: string, apply: boolean): Promise<MigrateResult> {
  if (isPostgres(config)) return migratePgDatabase(config.DATABASE_URL, { apply, from: here });
  const dir = findMigrationsDir(here);
  if (dir === null) return { ok: false, message: 'prisma/migrations not found beside the gateway (the release is incomplete)', pending: [] };
  return migrateDatabase(databasePath(config), readMigrations(dir), { apply });
}

/** Where the schema is, for messages: the SQLite file's path, or the PostgreSQL database without its credentials. */
export function storageLabel(config: Config): string {
  if (!isPostgres(config)) return databasePath(config);
  const u = new URL(config.DATABASE_URL);
  return `postgres://${u.host}${u.pathname}`;
}
