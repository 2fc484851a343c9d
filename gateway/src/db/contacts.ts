import { maskName, maskPhone } from '../contracts/mask';
import { HouseholdTag } from '../contracts';
import type { DeviceContacts, HouseholdContacts } from '../contracts/api/contacts';
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
    /**
     * The households to call from a device on the map (DeviceContacts): a unit door's whole unit in room order, a
     * household device's own household, nobody for gates and outdoor devices. Null for an unknown device.
     */
    async forDevice(deviceId: string): Promise<DeviceContacts | null> {
      const d = await prisma.device.findUnique({ where: { id: deviceId }, select: { id: true, placeKind: true, unitId: true, householdId: true } });
      if (!d) return null;
      const where = d.householdId !== null ? { id: d.householdId } : d.placeKind === 'unit_door' && d.unitId !== null ? { unitId: d.unitId, active: true } : null;
      if (where === null) return { deviceId: d.id, scope: 'none', households: [] };
      const households = await prisma.household.findMany({
        where,
        select: {
          id: true,
          label: true,
          room: true,
          tags: { select: { tag: true } },
          residents: { where: { status: 'active' }, orderBy: { createdAt: 'asc' }, select: { id: true, name: true, phone: true } },
        },
      });
      households.sort((a, b) => a.room.localeCompare(b.room, 'en', { numeric: true }));
      return {
        deviceId: d.id,
        scope: d.householdId !== null ? 'household' : 'unit',
        households: households.map((h) => ({
          householdId: h.id,
          label: h.label,
          tags: h.tags.flatMap((t) => {
            const r = HouseholdTag.safeParse(t.tag);
            return r.success ? [r.data] : [];
          }),
          contacts: h.residents.map((r) => ({ id: r.id, name: maskName(r.name), hasPhone: r.phone !== null && r.phone !== '', phoneMasked: r.phone ? maskPhone(r.phone) : null })),
        })),
      };
    },
    /** Whether the contact lives in one of the unit's households (a call about an alert at the unit's door). */
    async inUnit(unitId: string, contactId: string): Promise<boolean> {
      return (await prisma.resident.count({ where: { id: contactId, household: { unitId } } })) === 1;
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
