// The hub's downlink commands this cell has handled (DownlinkApplied, docs/scale-out.md "The downlink"), and the one
// question that makes applying them exactly-once: did a command's change already commit? Every cell service writes
// its audit row in the same transaction as the change, and a downlink command acts under an actor that names the
// command id, so an audit row by that actor is the change's own commit record.
import type { PrismaClient } from './client';

export interface DownlinkOutcome {
  commandId: string;
  seq: number;
  kind: string;
  outcome: 'applied' | 'refused';
  entityId: string | null;
  errorCode: string | null;
  error: string | null;
  at: Date;
}

export function downlinkRepo(prisma: PrismaClient) {
  return {
    async handled(commandId: string): Promise<DownlinkOutcome | null> {
      const r = await prisma.downlinkApplied.findUnique({ where: { commandId } });
      if (r === null) return null;
      return { ...r, outcome: r.outcome === 'refused' ? 'refused' : 'applied' };
    },
    /** The record a change by this actor touched, if its transaction committed (the first audit row it wrote). */
    async committedBy(actor: string): Promise<{ entityId: string } | null> {
      return prisma.auditLog.findFirst({ where: { actor }, orderBy: { id: 'asc' }, select: { entityId: true } });
    },
    /** Records the outcome (a second record of the same command keeps the first). */
    async record(o: DownlinkOutcome): Promise<void> {
      await prisma.downlinkApplied.upsert({ where: { commandId: o.commandId }, create: o, update: {} });
    },
  };
}
export type DownlinkRepo = ReturnType<typeof downlinkRepo>;
