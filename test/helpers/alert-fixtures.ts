import { LoginReply } from '../../gateway/src/contracts/api/auth';
import { hashSecret } from '../../gateway/src/auth/hash';
import type { DeviceKind, HouseholdTag, PlaceKind } from '../../gateway/src/contracts';
import type { PrismaClient } from '../../gateway/src/db/client';
import { ensureHousehold } from './fixtures';

/** A device placed in building 1 unit 1 (household devices in the given household), like the seed places them. */
export async function addPlacedDevice(
  prisma: PrismaClient,
  d: { id: string; kind: DeviceKind; secret: string; placeKind: PlaceKind; householdId?: string; name?: string },
): Promise<void> {
  await ensureHousehold(prisma, d.householdId ?? 'hh-placeholder');
  await prisma.device.create({
    data: {
      id: d.id,
      kind: d.kind,
      name: d.name ?? d.id,
      communityId: 'test-community',
      placeKind: d.placeKind,
      buildingId: d.placeKind === 'outdoor' || d.placeKind === 'main_gate' ? null : 'b01',
      unitId: d.placeKind === 'unit_door' || d.placeKind === 'household' ? 'b01-u1' : null,
      householdId: d.placeKind === 'household' ? (d.householdId ?? null) : null,
      x: 12,
      y: 34,
      secretHash: await hashSecret(d.secret),
      supervisionSec: null, // the kind's SUPERVISION_SEC_<KIND>
    },
  });
}

export async function tagHousehold(prisma: PrismaClient, householdId: string, tags: HouseholdTag[]): Promise<void> {
  await ensureHousehold(prisma, householdId);
  for (const tag of tags) await prisma.householdTag.upsert({ where: { householdId_tag: { householdId, tag } }, update: {}, create: { householdId, tag } });
}

export async function login(httpUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${httpUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`login ${username}: HTTP ${res.status}`);
  return LoginReply.parse(await res.json()).token;
}

/** JSON API call with a bearer token; returns status and parsed body. */
export async function api(httpUrl: string, token: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${httpUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
