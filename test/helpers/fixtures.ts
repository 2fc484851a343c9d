import type { DeviceKind } from '../../gateway/src/contracts';
import { hashSecret } from '../../gateway/src/auth/hash';
import type { PrismaClient } from '../../gateway/src/db/client';

/** Inserts the minimum a device row needs: a community and the device with its hashed secret. */
export async function addDevice(
  prisma: PrismaClient,
  d: { id: string; kind: DeviceKind; secret: string; enabled?: boolean; placeKind?: string },
): Promise<void> {
  await prisma.community.upsert({
    where: { id: 'test-community' },
    update: {},
    create: { id: 'test-community', name: '测试小区', latitude: 34.2583, longitude: 108.9286 },
  });
  await prisma.device.create({
    data: {
      id: d.id,
      kind: d.kind,
      name: d.id,
      communityId: 'test-community',
      placeKind: d.placeKind ?? 'outdoor',
      x: 0,
      y: 0,
      secretHash: await hashSecret(d.secret),
      enabled: d.enabled ?? true,
      supervisionSec: 60,
    },
  });
}

/** A user account (and for residents, the household and resident it belongs to). */
export async function addUser(
  prisma: PrismaClient,
  u: { username: string; password: string; role: 'resident' | 'guard' | 'admin'; householdId?: string; disabled?: boolean },
): Promise<{ userId: string; residentId: string | null }> {
  let residentId: string | null = null;
  if (u.role === 'resident') {
    const householdId = u.householdId ?? `hh-${u.username}`;
    await ensureHousehold(prisma, householdId);
    residentId = `res-${u.username}`;
    await prisma.resident.create({ data: { id: residentId, householdId, name: `住户${u.username}` } });
  }
  const userId = `user-${u.username}`;
  await prisma.user.create({
    data: { id: userId, username: u.username, passwordHash: await hashSecret(u.password), role: u.role, displayName: u.username, residentId, disabled: u.disabled ?? false },
  });
  return { userId, residentId };
}

/** Building 1, unit 1, and the household with the given id (room = id). */
export async function ensureHousehold(prisma: PrismaClient, householdId: string): Promise<void> {
  await prisma.community.upsert({ where: { id: 'test-community' }, update: {}, create: { id: 'test-community', name: '测试小区', latitude: 34.2583, longitude: 108.9286 } });
  await prisma.building.upsert({ where: { id: 'b01' }, update: {}, create: { id: 'b01', communityId: 'test-community', number: 1, name: '1号楼', x: 0, y: 0 } });
  await prisma.unit.upsert({ where: { id: 'b01-u1' }, update: {}, create: { id: 'b01-u1', buildingId: 'b01', number: 1 } });
  await prisma.household.upsert({ where: { id: householdId }, update: {}, create: { id: householdId, unitId: 'b01-u1', room: householdId, label: `1-1-${householdId}` } });
}
