import { z } from 'zod';
import { DeviceKind } from '../contracts';
import type { DeviceAuthRecord } from '../auth/ports';
import type { Db } from './client';

const AuthRow = z.object({
  id: z.string(),
  kind: DeviceKind,
  enabled: z.union([z.literal(0), z.literal(1)]),
  secretHash: z.string(),
  prevSecretHash: z.string().nullable(),
  // Prisma stores DateTime in SQLite as milliseconds since the epoch.
  prevSecretUntil: z.union([z.number(), z.string()]).nullable(),
});

export function deviceRepo({ prisma, raw }: Pick<Db, 'prisma' | 'raw'>) {
  // Every MQTT login reads this row; after a gateway restart, every device at once. A prepared statement on the raw
  // connection costs microseconds where a Prisma query costs about a millisecond of CPU.
  const byId = raw.prepare('SELECT id, kind, enabled, secretHash, prevSecretHash, prevSecretUntil FROM Device WHERE id = ?');
  return {
    async findForAuth(id: string): Promise<DeviceAuthRecord | null> {
      const found: unknown = byId.get(id);
      if (found === undefined) return null;
      const row = AuthRow.parse(found);
      return { ...row, enabled: row.enabled === 1, prevSecretUntil: row.prevSecretUntil === null ? null : new Date(row.prevSecretUntil) };
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
