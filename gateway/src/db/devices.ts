import { DeviceKind } from '../contracts';
import type { PrismaClient } from './client';

export interface DeviceAuthRecord {
  id: string;
  kind: DeviceKind;
  enabled: boolean;
  secretHash: string;
  authMemo: string | null;
}

export function deviceRepo(prisma: PrismaClient) {
  return {
    async findForAuth(id: string): Promise<DeviceAuthRecord | null> {
      const row = await prisma.device.findUnique({ where: { id }, select: { id: true, kind: true, enabled: true, secretHash: true, authMemo: true } });
      if (!row) return null;
      return { ...row, kind: DeviceKind.parse(row.kind) };
    },
    async setAuthMemo(id: string, secretHash: string, memo: string): Promise<void> {
      // Conditional on the hash it was computed for: a secret rotated meanwhile is not overwritten with a stale memo.
      await prisma.device.updateMany({ where: { id, secretHash }, data: { authMemo: memo } });
    },
    /** On start every device is offline until it connects again (the previous process's sockets are gone). */
    async markAllOffline(): Promise<number> {
      const r = await prisma.device.updateMany({ where: { online: true }, data: { online: false } });
      return r.count;
    },
  };
}

export type DeviceRepo = ReturnType<typeof deviceRepo>;
