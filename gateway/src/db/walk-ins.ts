import { WalkInState } from '../contracts/api/walk-ins';
import { type AuditEntry, auditData } from './access';
import type { PrismaClient } from './client';
import type { PassRecord } from './records/access';

/** A walk-in request as stored (status is what was recorded; `pending` past `answerBy` reads as unanswered). */
export interface WalkInRecord {
  id: string;
  householdId: string;
  visitorName: string;
  phoneMasked: string | null;
  idLast4: string | null;
  reason: string;
  requestedBy: string;
  status: WalkInState;
  createdAt: Date;
  answerBy: Date;
  answeredAt: Date | null;
  answeredBy: string | null;
  passId: string | null;
}

type Row = Omit<WalkInRecord, 'status'> & { status: string };

const toRecord = (r: Row): WalkInRecord => {
  const status = WalkInState.safeParse(r.status);
  return { ...r, status: status.success ? status.data : 'unanswered' };
};

/** Walk-in requests (access/walk-ins.ts). Every change is written with its audit row, in one transaction. */
export function walkInRepo(prisma: PrismaClient) {
  return {
    async create(r: WalkInRecord, audit: AuditEntry): Promise<void> {
      await prisma.$transaction([prisma.walkInRequest.create({ data: r }), prisma.auditLog.create({ data: auditData(audit) })]);
    },

    async find(id: string): Promise<WalkInRecord | null> {
      const row = await prisma.walkInRequest.findUnique({ where: { id } });
      return row ? toRecord(row) : null;
    },

    /** Requests still waiting for an answer (scheduled again after a restart). */
    async pending(): Promise<WalkInRecord[]> {
      return (await prisma.walkInRequest.findMany({ where: { status: 'pending' }, take: 1_000 })).map(toRecord);
    },

    /** A household's requests created since `since`, newest first. */
    async ofHousehold(householdId: string, since: Date): Promise<WalkInRecord[]> {
      const rows = await prisma.walkInRequest.findMany({ where: { householdId, createdAt: { gte: since } }, orderBy: { createdAt: 'desc' }, take: 20 });
      return rows.map(toRecord);
    },

    /**
     * Records the outcome of a pending request: only one of an answer and the deadline wins (the update is
     * conditional on `pending`). Null when it was no longer pending.
     */
    async settle(id: string, status: Exclude<WalkInState, 'pending'>, at: Date, answeredBy: string | null, audit: AuditEntry): Promise<WalkInRecord | null> {
      return prisma.$transaction(async (tx) => {
        const { count } = await tx.walkInRequest.updateMany({ where: { id, status: 'pending' }, data: { status, answeredAt: at, answeredBy } });
        if (count === 0) return null;
        await tx.auditLog.create({ data: auditData(audit) });
        const row = await tx.walkInRequest.findUnique({ where: { id } });
        return row ? toRecord(row) : null;
      });
    },

    /** The pass of an approved request, made once: false when it already has one (nothing is written then). */
    async issue(id: string, pass: PassRecord, audit: AuditEntry): Promise<boolean> {
      return prisma.$transaction(async (tx) => {
        const { count } = await tx.walkInRequest.updateMany({ where: { id, status: 'approved', passId: null }, data: { passId: pass.id } });
        if (count === 0) return false;
        const { allowedDoors, ...rest } = pass;
        await tx.visitorPass.create({ data: { ...rest, allowedDoors: JSON.stringify(allowedDoors) } });
        await tx.auditLog.create({ data: auditData(audit) });
        return true;
      });
    },
  };
}

export type WalkInRepo = ReturnType<typeof walkInRepo>;
