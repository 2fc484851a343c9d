import { type AuditEntry, auditData } from './access';
import type { PrismaClient } from './client';
import type { CredentialRecord } from './records/access';

/** Residents' personal QR credentials (Credential rows of type "qr"): at most one per resident. */
export function personalQrRepo(prisma: PrismaClient) {
  return {
    /** Replaces the resident's QR credential(s) with `c` in one transaction with its audit row; the ids replaced. */
    async replace(c: CredentialRecord, audit: AuditEntry): Promise<string[]> {
      return prisma.$transaction(async (tx) => {
        const old = await tx.credential.findMany({ where: { residentId: c.residentId, type: 'qr' }, select: { id: true } });
        await tx.credential.deleteMany({ where: { residentId: c.residentId, type: 'qr' } });
        await tx.credential.create({ data: c });
        await tx.auditLog.create({ data: auditData({ ...audit, detail: { ...audit.detail, replaced: old.map((o) => o.id) } }) });
        return old.map((o) => o.id);
      });
    },

    /** Deletes the resident's QR credential(s) with an audit row (none: nothing written); the ids deleted. */
    async remove(residentId: string, audit: AuditEntry): Promise<string[]> {
      return prisma.$transaction(async (tx) => {
        const old = await tx.credential.findMany({ where: { residentId, type: 'qr' }, select: { id: true } });
        if (old.length === 0) return [];
        await tx.credential.deleteMany({ where: { residentId, type: 'qr' } });
        await tx.auditLog.create({ data: auditData({ ...audit, detail: { ...audit.detail, removed: old.map((o) => o.id) } }) });
        return old.map((o) => o.id);
      });
    },
  };
}

export type PersonalQrRepo = ReturnType<typeof personalQrRepo>;
