import { maskName, maskPhone } from '../contracts/mask';
import type { HouseholdContacts } from '../contracts/api/contacts';
import { auditData } from './access';
import type { PrismaClient } from './client';

/** A household's residents as people to call in an emergency; full numbers only through `reveal`, which audits. */
export function contactRepo(prisma: PrismaClient) {
  return {
    async list(householdId: string): Promise<HouseholdContacts | null> {
      const h = await prisma.household.findUnique({ where: { id: householdId }, select: { id: true, label: true } });
      if (!h) return null;
      const residents = await prisma.resident.findMany({ where: { householdId, status: 'active' }, orderBy: { createdAt: 'asc' }, select: { id: true, name: true, phone: true } });
      return {
        householdId: h.id,
        label: h.label,
        contacts: residents.map((r) => ({ id: r.id, name: maskName(r.name), hasPhone: r.phone !== null && r.phone !== '', phoneMasked: r.phone ? maskPhone(r.phone) : null })),
      };
    },
    /** The full number, and an audit row saying who saw whose number and for which alert, in one transaction. */
    async reveal(householdId: string, contactId: string, actor: string, alertId: string | null): Promise<string | null> {
      const r = await prisma.resident.findFirst({ where: { id: contactId, householdId, status: 'active' }, select: { phone: true } });
      if (!r?.phone) return null;
      await prisma.auditLog.create({ data: auditData({ actor, action: 'contact_phone_revealed', entity: 'resident', entityId: contactId, detail: { householdId, alertId } }) });
      return r.phone;
    },
    async belongs(householdId: string, contactId: string): Promise<boolean> {
      return (await prisma.resident.count({ where: { id: contactId, householdId } })) === 1;
    },
  };
}

export type ContactRepo = ReturnType<typeof contactRepo>;
