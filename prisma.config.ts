import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { defineConfig } from 'prisma/config';

// The CLI (migrate deploy / diff) runs through the same driver adapter as the gateway: no native engine.
// DATABASE_URL is read here only because the Prisma CLI runs outside the gateway's config module.
const url = process.env.DATABASE_URL ?? 'file:./data/linli.db';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  async adapter() {
    return new PrismaBetterSQLite3({ url });
  },
});
