import type { BlacklistRecord, CredentialRecord, CredentialStatus, ResidentRecord } from './records/access';
import { CredentialType } from '../contracts';
import { type AuditEntry, auditData, toCredential } from './access';
import type { PrismaClient } from './client';

export interface ResidentRow extends ResidentRecord {
  householdLabel: string;
}

const residentSelect = {
  id: true,
  householdId: true,
  name: true,
  status: true,
  faceConsent: true,
  faceConsentAt: true,
  household: { select: { label: true } },
} as const;

const toResident = (r: { household: { label: string } } & ResidentRecord): ResidentRow => {
  const { household, ...rest } = r;
  return { ...rest, householdLabel: household.label };
};

/** Residents, their credentials and the blacklist. Every change is written together with its audit row. */
export function credentialRepo(prisma: PrismaClient) {
  return {
    async resident(id: string): Promise<ResidentRow | null> {
      const r = await prisma.resident.findUnique({ where: { id }, select: residentSelect });
      return r ? toResident(r) : null;
    },

    async residents(householdId: string | undefined): Promise<ResidentRow[]> {
      const rows = await prisma.resident.findMany({
        where: householdId === undefined ? {} : { householdId },
        select: residentSelect,
        orderBy: { id: 'asc' },
        take: 5_000,
      });
      return rows.map(toResident);
    },

    /**
     * PIPL: consent is recorded with its time; withdrawing it deletes every face credential of the resident in the
     * same transaction (the template reference is the only face data we hold). Returns the deleted credential ids.
     */
    async setFaceConsent(residentId: string, consent: boolean, at: Date, audit: AuditEntry, by: 'resident' | 'staff' = 'resident'): Promise<string[]> {
      return prisma.$transaction(async (tx) => {
        const faces = consent ? [] : await tx.credential.findMany({ where: { residentId, type: 'face' }, select: { id: true } });
        await tx.resident.update({ where: { id: residentId }, data: { faceConsent: consent, faceConsentAt: consent ? at : null, faceConsentBy: consent ? by : null, faceConsentRef: null } });
        if (faces.length > 0) await tx.credential.deleteMany({ where: { id: { in: faces.map((f) => f.id) } } });
        await tx.auditLog.create({ data: auditData({ ...audit, detail: { ...audit.detail, deletedFaceCredentials: faces.length } }) });
        return faces.map((f) => f.id);
      });
    },

    async credentials(residentId: string): Promise<CredentialRecord[]> {
      const rows = await prisma.credential.findMany({ where: { residentId }, orderBy: { createdAt: 'asc' } });
      return rows.map(toCredential);
    },

    async credential(id: string): Promise<CredentialRecord | null> {
      const row = await prisma.credential.findUnique({ where: { id } });
      return row ? toCredential(row) : null;
    },

    /** Whether a card, face reference or plate is already enrolled (one value must identify one person). */
    async taken(c: Pick<CredentialRecord, 'type' | 'lookupHash' | 'faceTemplateRef' | 'plate'>): Promise<boolean> {
      const where =
        c.type === 'plate' ? { type: 'plate', plate: c.plate } : c.type === 'face' ? { type: 'face', faceTemplateRef: c.faceTemplateRef } : { type: c.type, lookupHash: c.lookupHash };
      return (await prisma.credential.count({ where })) > 0;
    },

    async enrol(c: CredentialRecord, audit: AuditEntry): Promise<void> {
      await prisma.$transaction([prisma.credential.create({ data: c }), prisma.auditLog.create({ data: auditData(audit) })]);
    },

    async setStatus(id: string, status: CredentialStatus, audit: AuditEntry): Promise<CredentialRecord> {
      const [row] = await prisma.$transaction([
        prisma.credential.update({ where: { id }, data: { status } }),
        prisma.auditLog.create({ data: auditData(audit) }),
      ]);
      return toCredential(row);
    },

    async remove(id: string, audit: AuditEntry): Promise<void> {
      await prisma.$transaction([prisma.credential.delete({ where: { id } }), prisma.auditLog.create({ data: auditData(audit) })]);
    },

    async blacklist(): Promise<BlacklistRecord[]> {
      const rows = await prisma.blacklist.findMany({ orderBy: { createdAt: 'desc' }, take: 5_000 });
      return rows.map((b) => ({ ...b, type: CredentialType.parse(b.type) }));
    },

    async blacklisted(b: Pick<BlacklistRecord, 'type' | 'lookupHash' | 'plate'>): Promise<boolean> {
      const where = b.type === 'plate' ? { type: 'plate', plate: b.plate } : { type: b.type, lookupHash: b.lookupHash };
      return (await prisma.blacklist.count({ where })) > 0;
    },

    async addBlacklist(b: BlacklistRecord, audit: AuditEntry): Promise<void> {
      await prisma.$transaction([prisma.blacklist.create({ data: b }), prisma.auditLog.create({ data: auditData(audit) })]);
    },

    async blacklistEntry(id: string): Promise<BlacklistRecord | null> {
      const b = await prisma.blacklist.findUnique({ where: { id } });
      return b ? { ...b, type: CredentialType.parse(b.type) } : null;
    },

    async removeBlacklist(id: string, audit: AuditEntry): Promise<void> {
      await prisma.$transaction([prisma.blacklist.delete({ where: { id } }), prisma.auditLog.create({ data: auditData(audit) })]);
    },
  };
}

export type CredentialRepo = ReturnType<typeof credentialRepo>;
