import type { StationView } from '../contracts/api/station';
import { auditData } from './access';
import type { PrismaClient } from './client';

type Row = { id: string; name: string; createdBy: string; createdAt: Date; expiresAt: Date; revokedAt: Date | null; lastSeenAt: Date | null };

const view = (r: Row): StationView => ({
  id: r.id,
  name: r.name,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  expiresAt: r.expiresAt.toISOString(),
  revokedAt: r.revokedAt?.toISOString() ?? null,
  lastSeenAt: r.lastSeenAt?.toISOString() ?? null,
});

/** A guard's PIN state, for a PIN sign-in. */
export interface PinRecord {
  userId: string;
  role: string;
  disabled: boolean;
  pinHash: string | null;
  pinFailures: number;
  pinLockedUntil: Date | null;
}

/** Registered guard stations (token stored as SHA-256 only) and guards' PINs; every change leaves an audit row. */
export function stationRepo(prisma: PrismaClient) {
  return {
    async register(s: { id: string; name: string; tokenHash: string; createdBy: string; expiresAt: Date }): Promise<StationView> {
      const [row] = await prisma.$transaction([
        prisma.guardStation.create({ data: s }),
        prisma.auditLog.create({ data: auditData({ actor: s.createdBy, action: 'station_registered', entity: 'GuardStation', entityId: s.id, detail: { name: s.name, expiresAt: s.expiresAt.toISOString() } }) }),
      ]);
      return view(row);
    },
    async list(): Promise<StationView[]> {
      return (await prisma.guardStation.findMany({ orderBy: { createdAt: 'desc' } })).map(view);
    },
    /** The station holding this token, if it is registered, not revoked and not expired. */
    async byToken(tokenHash: string, now: Date): Promise<StationView | null> {
      const r = await prisma.guardStation.findUnique({ where: { tokenHash } });
      if (!r || r.revokedAt || r.expiresAt <= now) return null;
      return view(r);
    },
    async seen(id: string, at: Date): Promise<void> {
      await prisma.guardStation.update({ where: { id }, data: { lastSeenAt: at } });
    },
    async revoke(id: string, actor: string, at: Date): Promise<StationView | null> {
      return prisma.$transaction(async (tx) => {
        const n = await tx.guardStation.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: at } });
        const row = await tx.guardStation.findUnique({ where: { id } });
        if (!row) return null;
        if (n.count === 1) await tx.auditLog.create({ data: auditData({ actor, action: 'station_revoked', entity: 'GuardStation', entityId: id, detail: { name: row.name } }) });
        return view(row);
      });
    },
    async pinOf(username: string): Promise<PinRecord | null> {
      const u = await prisma.user.findUnique({ where: { username }, select: { id: true, role: true, disabled: true, pinHash: true, pinFailures: true, pinLockedUntil: true } });
      return u ? { userId: u.id, role: u.role, disabled: u.disabled, pinHash: u.pinHash, pinFailures: u.pinFailures, pinLockedUntil: u.pinLockedUntil } : null;
    },
    /** Sets (or replaces) a PIN and clears any lock. */
    async setPin(userId: string, pinHash: string, actor: string, how: 'admin' | 'self'): Promise<void> {
      await prisma.$transaction([
        prisma.user.update({ where: { id: userId }, data: { pinHash, pinFailures: 0, pinLockedUntil: null } }),
        prisma.auditLog.create({ data: auditData({ actor, action: 'pin_set', entity: 'User', entityId: userId, detail: { by: how } }) }),
      ]);
    },
    /** One more wrong PIN; at `max` in a row the PIN is locked until `lockUntil` (audited). Returns whether it locked now. */
    async pinFailed(userId: string, max: number, lockUntil: Date, stationId: string): Promise<boolean> {
      return prisma.$transaction(async (tx) => {
        const u = await tx.user.update({ where: { id: userId }, data: { pinFailures: { increment: 1 } }, select: { pinFailures: true } });
        if (u.pinFailures < max) return false;
        await tx.user.update({ where: { id: userId }, data: { pinFailures: 0, pinLockedUntil: lockUntil } });
        await tx.auditLog.create({ data: auditData({ actor: `station:${stationId}`, action: 'pin_locked', entity: 'User', entityId: userId, detail: { failures: u.pinFailures, until: lockUntil.toISOString() } }) });
        return true;
      });
    },
    async pinOk(userId: string): Promise<void> {
      await prisma.user.update({ where: { id: userId }, data: { pinFailures: 0, pinLockedUntil: null } });
    },
  };
}

export type StationRepo = ReturnType<typeof stationRepo>;
