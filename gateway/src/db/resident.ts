import type { PrismaClient } from './client';

/**
 * What the resident phone app reads and writes (gateway/src/resident/): every read that concerns a household takes
 * its id, so the caller's own household is the only one it can reach.
 */
export function residentRepo(prisma: PrismaClient) {
  return {
    async home(householdId: string, residentId: string) {
      const h = await prisma.household.findUnique({ where: { id: householdId }, include: { unit: { include: { building: { include: { community: true } } } } } });
      const me = await prisma.resident.findFirst({ where: { id: residentId, householdId } });
      if (!h || !me) return null;
      const doors = await prisma.device.findMany({
        where: { enabled: true, kind: { in: ['face_terminal', 'vehicle_gate'] }, OR: [{ placeKind: { in: ['main_gate', 'vehicle_gate'] } }, { placeKind: 'unit_door', unitId: h.unitId }] },
        select: { id: true, name: true, placeKind: true },
        orderBy: { id: 'asc' },
      });
      return { household: h, community: h.unit.building.community, building: h.unit.building, unit: h.unit, me, doors };
    },

    alarmsOf(householdId: string, take: number) {
      return prisma.alert.findMany({ where: { householdId, type: 'alarm_press' }, orderBy: { firstAt: 'desc' }, take });
    },

    userByName(username: string) {
      return prisma.user.findUnique({ where: { username }, select: { role: true, displayName: true } });
    },

    pass(id: string) {
      return prisma.visitorPass.findUnique({ where: { id } });
    },

    /** A pass with what the visitor's page shows of its household (the first resident, for the masked host name). */
    passForVisit(id: string) {
      return prisma.visitorPass.findUnique({
        where: { id },
        include: { household: { include: { unit: { include: { building: { include: { community: true } } } }, residents: { take: 1, orderBy: { createdAt: 'asc' } } } } },
      });
    },

    async deviceNames(ids: string[]): Promise<Map<string, string>> {
      const rows = await prisma.device.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } });
      return new Map(rows.map((r) => [r.id, r.name]));
    },

    /** What an arrival notice needs: the door event's direction, the pass's visitor and household, the door's name. */
    async arrival(accessEventId: string, passId: string, deviceId: string) {
      const [event, pass, door] = await Promise.all([
        prisma.accessEvent.findUnique({ where: { id: accessEventId }, select: { direction: true } }),
        prisma.visitorPass.findUnique({ where: { id: passId }, select: { visitorName: true, householdId: true } }),
        prisma.device.findUnique({ where: { id: deviceId }, select: { name: true } }),
      ]);
      return { direction: event?.direction ?? null, pass, doorName: door?.name ?? null };
    },

    passwordHashOf(userId: string) {
      return prisma.user.findUnique({ where: { id: userId }, select: { passwordHash: true } });
    },

    /** A new password, and every other sign-in of the user ended, in one transaction. */
    async setPassword(userId: string, passwordHash: string, keepTokenHash: string, at: Date): Promise<void> {
      await prisma.$transaction([
        prisma.user.update({ where: { id: userId }, data: { passwordHash } }),
        prisma.session.updateMany({ where: { userId, revokedAt: null, tokenHash: { not: keepTokenHash } }, data: { revokedAt: at } }),
      ]);
    },
  };
}

export type ResidentRepo = ReturnType<typeof residentRepo>;
