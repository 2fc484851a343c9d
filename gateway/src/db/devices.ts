import { z } from 'zod';
import { DeviceKind } from '../contracts';
import type { DeviceAuthRecord } from '../auth/ports';
import type { Store } from './pg-client';

const AuthRow = z.object({
  id: z.string(),
  kind: DeviceKind,
  // SQLite stores booleans as 0/1; PostgreSQL has booleans.
  enabled: z.union([z.literal(0), z.literal(1), z.boolean()]),
  secretHash: z.string(),
  prevSecretHash: z.string().nullable(),
  // Prisma stores DateTime in SQLite as milliseconds since the epoch; PostgreSQL's timestamptz arrives as a Date.
  prevSecretUntil: z.union([z.number(), z.string(), z.date()]).nullable(),
});

const AUTH_COLUMNS = ['id', 'kind', 'enabled', 'secretHash', 'prevSecretHash', 'prevSecretUntil'];

/**
 * Every MQTT login reads this row; after a gateway restart, every device at once. SQLite: a prepared statement on the
 * raw connection costs microseconds where a Prisma query costs about a millisecond of CPU. PostgreSQL: a named
 * (prepared) statement through the pool.
 */
function authRowById(store: Store): (id: string) => Promise<unknown> {
  if (store.kind === 'sqlite') {
    const byId = store.raw.prepare(`SELECT ${AUTH_COLUMNS.join(', ')} FROM Device WHERE id = ?`);
    return async (id) => byId.get(id);
  }
  const text = `SELECT ${AUTH_COLUMNS.map((c) => `"${c}"`).join(', ')} FROM "Device" WHERE id = $1`;
  return async (id) => (await store.pool.query({ name: 'linli-device-auth', text, values: [id] })).rows[0];
}

export function deviceRepo(store: Store) {
  const { prisma } = store;
  const byId = authRowById(store);
  return {
    async findForAuth(id: string): Promise<DeviceAuthRecord | null> {
      const found = await byId(id);
      if (found === undefined) return null;
      const row = AuthRow.parse(found);
      return { ...row, enabled: row.enabled === 1 || row.enabled === true, prevSecretUntil: row.prevSecretUntil === null ? null : new Date(row.prevSecretUntil) };
    },
    async upgradeSecretHash(id: string, from: string, to: string): Promise<void> {
      // Conditional on the hash it was computed from: a secret rotated meanwhile is not overwritten.
      await prisma.device.updateMany({ where: { id, secretHash: from }, data: { secretHash: to, authMemo: null } });
    },
    /** On start every device is offline until it connects again (the previous process's sockets are gone). */
    async markAllOffline(): Promise<number> {
      const r = await prisma.device.updateMany({ where: { online: true }, data: { online: false } });
      return r.count;
    },
  };
}

export type DeviceRepo = ReturnType<typeof deviceRepo>;
