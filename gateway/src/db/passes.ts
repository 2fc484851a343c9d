import type { PassRecord } from './records/access';
import { type AuditEntry, auditData, toPass } from './access';
import type { PrismaClient } from './client';

/** Visitor passes. Every change is written together with its audit row, in one transaction. */
export function passRepo(prisma: PrismaClient) {
  return {
    async create(p: PassRecord, audit: AuditEntry): Promise<void> {
      const { allowedDoors, ...rest } = p;
      await prisma.$transaction([
        prisma.visitorPass.create({ data: { ...rest, allowedDoors: JSON.stringify(allowedDoors) } }),
        prisma.auditLog.create({ data: auditData(audit) }),
      ]);
    },

    /** Passes this user created since `since` (the hourly quota counts created passes only). */
    createdSince(userId: string, since: Date): Promise<number> {
      return prisma.visitorPass.count({ where: { createdBy: userId, createdAt: { gte: since } } });
    },

    async find(id: string): Promise<PassRecord | null> {
      const row = await prisma.visitorPass.findUnique({ where: { id } });
      return row ? toPass(row) : null;
    },

    /** current: not revoked and not ended; all: the household's whole history. Newest first. */
    async ofHousehold(householdId: string, scope: 'current' | 'all', now: Date): Promise<PassRecord[]> {
      const rows = await prisma.visitorPass.findMany({
        where: { householdId, ...(scope === 'current' ? { status: 'active', validUntil: { gt: now } } : {}) },
        orderBy: { createdAt: 'desc' },
        take: 500,
      });
      return rows.map(toPass);
    },

    /** Passes whose window overlaps [from, to), for the guard's list of expected visitors. */
    async overlapping(from: Date, to: Date): Promise<PassRecord[]> {
      const rows = await prisma.visitorPass.findMany({
        where: { status: 'active', validFrom: { lt: to }, validUntil: { gt: from } },
        orderBy: { validFrom: 'asc' },
        take: 1_000,
      });
      return rows.map(toPass);
    },

    async revoke(id: string, at: Date, audit: AuditEntry): Promise<PassRecord | null> {
      const [, row] = await prisma.$transaction([
        prisma.visitorPass.updateMany({ where: { id, status: 'active' }, data: { status: 'revoked', revokedAt: at } }),
        prisma.visitorPass.findUnique({ where: { id } }),
        prisma.auditLog.create({ data: auditData(audit) }),
      ]);
      return row ? toPass(row) : null;
    },
  };
}

export type PassRepo = ReturnType<typeof passRepo>;
