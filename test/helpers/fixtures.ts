import type { DeviceKind } from '../../gateway/src/contracts';
import { hashSecret, lookupHash } from '../../gateway/src/auth/hash';
import type { PrismaClient } from '../../gateway/src/db/client';

/** Inserts the minimum a device row needs: a community and the device with its hashed secret. */
export async function addDevice(
  prisma: PrismaClient,
  d: { id: string; kind: DeviceKind; secret: string; enabled?: boolean; placeKind?: string; buildingId?: string; unitId?: string },
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
      buildingId: d.buildingId ?? null,
      unitId: d.unitId ?? null,
      x: 0,
      y: 0,
      secretHash: await hashSecret(d.secret),
      enabled: d.enabled ?? true,
      supervisionSec: null, // the kind's SUPERVISION_SEC_<KIND>
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

/** A door-side device of the access compound: what a simulated terminal needs to log in. */
export interface TestDoor {
  id: string;
  kind: DeviceKind;
  secret: string;
}

/**
 * A small compound for access control: the main gate, the vehicle gate and two buildings with one unit door each;
 * household A (1-1-101) whose resident never consented to face recognition and holds a card, household B (2-1-101)
 * whose resident has a face, a card, a PIN and a plate; a guard and an admin. Credentials are stored the way the
 * seed stores them (HMAC lookup hashes under the gateway's key). Call `gw.access.reload()` afterwards.
 */
export async function addAccessCompound(prisma: PrismaClient, credentialKey: string) {
  const community = { id: 'test-community', name: '测试小区', latitude: 34.2583, longitude: 108.9286 };
  await prisma.community.upsert({ where: { id: community.id }, update: {}, create: community });
  for (const n of [1, 2]) {
    await prisma.building.upsert({ where: { id: `b0${n}` }, update: {}, create: { id: `b0${n}`, communityId: community.id, number: n, name: `${n}号楼`, x: 0, y: 0 } });
    await prisma.unit.upsert({ where: { id: `b0${n}-u1` }, update: {}, create: { id: `b0${n}-u1`, buildingId: `b0${n}`, number: 1 } });
  }
  await prisma.household.create({ data: { id: 'hh-a', unitId: 'b01-u1', room: '101', label: '1-1-101' } });
  await prisma.household.create({ data: { id: 'hh-b', unitId: 'b02-u1', room: '101', label: '2-1-101' } });

  const door = (id: string, kind: DeviceKind): TestDoor => ({ id, kind, secret: `secret-of-${id}-0123456789` });
  const doors = {
    main: door('gate-main', 'face_terminal'),
    vehicle: door('gate-vehicle', 'vehicle_gate'),
    b1: door('door-b01-u1', 'face_terminal'),
    b2: door('door-b02-u1', 'face_terminal'),
  };
  await addDevice(prisma, { ...doors.main, placeKind: 'main_gate' });
  await addDevice(prisma, { ...doors.vehicle, placeKind: 'vehicle_gate' });
  await addDevice(prisma, { ...doors.b1, placeKind: 'unit_door', buildingId: 'b01', unitId: 'b01-u1' });
  await addDevice(prisma, { ...doors.b2, placeKind: 'unit_door', buildingId: 'b02', unitId: 'b02-u1' });

  const users = {
    a: { username: 'r-a', password: 'resident-a-pw' },
    b: { username: 'r-b', password: 'resident-b-pw' },
    guard: { username: 'guard1', password: 'guard-pw-0001' },
    admin: { username: 'admin', password: 'admin-pw-0001' },
  };
  const a = await addUser(prisma, { ...users.a, role: 'resident', householdId: 'hh-a' });
  const b = await addUser(prisma, { ...users.b, role: 'resident', householdId: 'hh-b' });
  await addUser(prisma, { ...users.guard, role: 'guard' });
  await addUser(prisma, { ...users.admin, role: 'admin' });
  const residentA = a.residentId ?? '';
  const residentB = b.residentId ?? '';
  await prisma.resident.update({ where: { id: residentA }, data: { name: '王小明' } });
  await prisma.resident.update({ where: { id: residentB }, data: { name: '李华', faceConsent: true, faceConsentAt: new Date() } });

  const values = { cardA: '3021457789', cardB: '3021450001', faceB: 'ft-b0000000001', pinB: '482913', plateB: '陕A12345' };
  const hashed = (type: string, v: string) => ({ lookupHash: lookupHash(credentialKey, type, v) });
  await prisma.credential.createMany({
    data: [
      { id: 'cred-a-card', residentId: residentA, type: 'card', ...hashed('card', values.cardA), hint: values.cardA.slice(-4) },
      { id: 'cred-b-card', residentId: residentB, type: 'card', ...hashed('card', values.cardB), hint: values.cardB.slice(-4) },
      { id: 'cred-b-face', residentId: residentB, type: 'face', faceTemplateRef: values.faceB },
      { id: 'cred-b-pin', residentId: residentB, type: 'pin', ...hashed('pin', values.pinB) },
      { id: 'cred-b-plate', residentId: residentB, type: 'plate', plate: values.plateB, hint: values.plateB },
    ],
  });
  return { doors, users, residents: { a: residentA, b: residentB }, values };
}

export type AccessCompound = Awaited<ReturnType<typeof addAccessCompound>>;
