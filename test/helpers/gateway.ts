import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { inject } from 'vitest';
import { type Gateway, buildGateway } from '../../gateway/src/app';
import { ConfigSchema } from '../../gateway/src/config';
import { createLogger } from '../../gateway/src/log';

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

/** Boots the real gateway on port 0 against a real SQLite file. `env` overrides configuration like the environment would. */
export async function startGateway(
  env: Record<string, string> = {},
  existing?: { dir: string; dbFile: string },
  /** Runs after the gateway is built and before it listens (e.g. raise an alert no client could have seen yet). */
  beforeListen?: (gw: Gateway) => Promise<void>,
  /** Where log lines go (e.g. a test that reads the log); pino's stdout otherwise. */
  logDestination?: DestinationStream,
): Promise<TestGateway> {
  const { dir, dbFile } = existing ?? freshDatabase();
  const config = Object.freeze(
    ConfigSchema.parse({
      DATABASE_URL: `file:${dbFile}`,
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
