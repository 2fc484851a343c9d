import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DestinationStream } from 'pino';
import { inject } from 'vitest';
import { type Gateway, buildGateway } from '../../gateway/src/app';
import { ConfigSchema } from '../../gateway/src/config';
import type { Db } from '../../gateway/src/db/client';
import { createLogger } from '../../gateway/src/log';
import { PG_TEMPLATE } from '../cluster/pg-flows-setup';

export interface TestGateway {
  gw: Gateway;
  dir: string;
  dbFile: string;
  mqttUrl: string;
  wsUrl: string;
  httpUrl: string;
  ports: { http: number; mqtt: number; mqtts?: number };
  close(): Promise<void>;
}

/** A fresh migrated database file in its own temp dir (copied from the template global-setup migrated). */
export function freshDatabase(): { dir: string; dbFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'linli-test-'));
  const dbFile = join(dir, 'linli.db');
  copyFileSync(inject('templateDb'), dbFile);
  return { dir, dbFile };
}

/** A SQLite test's gateway database with its raw connection (the SQLite-only tests fill tables through it). */
export function sqliteDb(gw: Gateway): Db {
  if (gw.db.kind !== 'sqlite') throw new Error('this test needs the gateway on SQLite');
  return gw.db;
}

/** The flow tests' store: SQLite files (npm test), or PostgreSQL (the "postgres" project of npm run test:cluster). */
export const TEST_STORE: 'sqlite' | 'postgres' = process.env.LINLI_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

let pgDatabases = 0;

/**
 * A fresh migrated PostgreSQL database on the run's server (test/cluster/pg-flows-setup.ts), copied from the
 * template; returns its URL. Nothing drops it: the server and its folder go at the end of the run.
 */
export async function freshPgDatabase(): Promise<string> {
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
  const name = `t_${process.pid}_${++pgDatabases}_${Date.now()}`;
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${PG_TEMPLATE}`);
  } finally {
    await admin.end();
  }
  return inject('pgAdminUrl').replace(/\/linli_hub$/, `/${name}`);
}

/**
 * Boots the real gateway on port 0 against a real SQLite file — or, under LINLI_TEST_STORE=postgres, a fresh
 * PostgreSQL database (`dbFile` then names nothing). `env` overrides configuration like the environment would.
 */
export async function startGateway(
  env: Record<string, string> = {},
  existing?: { dir: string; dbFile: string },
  /** Runs after the gateway is built and before it listens (e.g. raise an alert no client could have seen yet). */
  beforeListen?: (gw: Gateway) => Promise<void>,
  /** Where log lines go (e.g. a test that reads the log); pino's stdout otherwise. */
  logDestination?: DestinationStream,
): Promise<TestGateway> {
  const { dir, dbFile } = existing ?? freshDatabase();
  const store = TEST_STORE === 'postgres' && existing === undefined ? { DATABASE_URL: await freshPgDatabase(), DATA_DIR: dir } : { DATABASE_URL: `file:${dbFile}` };
  const config = Object.freeze(
    ConfigSchema.parse({
      ...store,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: '0',
      MQTT_TLS_PORT: '0',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...env,
    }),
  );
  const gw = await buildGateway(config, createLogger({ level: config.LOG_LEVEL, ...(logDestination ? { destination: logDestination } : {}) }));
  await beforeListen?.(gw);
  const ports = await gw.listen();
  let closed = false;
  return {
    gw,
    dir,
    dbFile,
    ports,
    mqttUrl: `mqtt://127.0.0.1:${ports.mqtt}`,
    wsUrl: `ws://127.0.0.1:${ports.http}/mqtt`,
    httpUrl: `http://127.0.0.1:${ports.http}`,
    async close() {
      if (closed) return;
      closed = true;
      await gw.close();
      if (!existing) rmSync(dir, { recursive: true, force: true });
    },
  };
}
