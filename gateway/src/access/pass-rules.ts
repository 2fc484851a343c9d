import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { lookupHash } from '../auth/hash';
import { newPassCode, qrPayload } from '../auth/pass-code';
import type { PassCreateBody } from '../contracts/api/passes';
import type { PassRecord } from '../db/records/access';
import { AppError } from '../errors';
import type { AccessSettings } from './context';
import type { Directory } from './directory';
import type { Keys } from './resolve';

/*
 * The rules a visitor pass obeys, cut out of passService (passes.ts) so each can be read and unit-tested on its own:
 * they take what they need as arguments and hold no state, except the quota gate, which owns its in-flight count.
 */

/** Clock skew we forgive a phone that sends "now" as validFrom. */
const PAST_TOLERANCE_MS = 5 * 60_000;

/** A validation error pointing at one field of the request body, as the API's other 400s do. */
export const invalid = (path: string, message: string) =>
  new AppError('VALIDATION', message, { details: { issues: [{ path: `/${path}`, message }] } });

/** Both creation paths refuse the same way when the route home has no door yet: the guest could not get in anyway. */
export const noDoorYet = () => new AppError('CONFLICT', 'no door is enrolled on the way to this household yet; ask the property office');

/** Where a pass stands at `nowMs` (in contracts/, since the resident feature tells it too). */
export { passState } from '../contracts/pass-state';

/**
 * Hourly quota on passes actually created (a refused request costs nothing here: it has its own per-minute limit).
 * Creations under way are counted per user, so two at once cannot both take the last slot.
 */
export function quotaGate(countSince: (userId: string, since: Date) => Promise<number>, perHour: () => number) {
  const creating = new Map<string, number>();
  return async function withinQuota<T>(userId: string, now: Date, create: () => Promise<T>): Promise<T> {
    const pending = creating.get(userId) ?? 0;
    creating.set(userId, pending + 1);
    try {
      const created = await countSince(userId, new Date(now.getTime() - 3_600_000));
      if (created + pending >= perHour()) {
        throw new AppError('RATE_LIMITED', `at most ${perHour()} visitor passes an hour`);
      }
      return await create();
    } finally {
      const left = (creating.get(userId) ?? 1) - 1;
      if (left <= 0) creating.delete(userId);
      else creating.set(userId, left);
    }
  };
}

/** The doors a household may open for a guest: the ones its residents may use (decide.ts), nothing more. */
export function checkDoors(dir: Directory, householdId: string, body: PassCreateBody): string[] {
  const route = dir.routeHome(householdId);
  if (body.allowedDoors === undefined) {
    const doors = [...route.mainGates, ...route.unitDoors, ...(body.plate !== undefined ? route.vehicleGates : [])].map((d) => d.id);
    if (doors.length === 0) throw noDoorYet();
    return doors;
  }
  const household = dir.households.get(householdId);
  body.allowedDoors.forEach((id, i) => {
    const door = dir.doors.get(id);
    if (!door || !door.enabled) throw invalid(`allowedDoors/${i}`, `allowedDoors: no door ${id}`);
    const ok = door.placeKind === 'main_gate' || door.placeKind === 'vehicle_gate' || (door.placeKind === 'unit_door' && door.buildingId === household?.buildingId);
    if (!ok) throw invalid(`allowedDoors/${i}`, `allowedDoors: ${id} is not on the way to your home`);
    if (door.kind === 'vehicle_gate' && body.plate === undefined) throw invalid(`allowedDoors/${i}`, 'allowedDoors: the vehicle gate needs the visitor\'s plate');
  });
  return [...new Set(body.allowedDoors)];
}

/** The validity window: not in the past (beyond clock skew), not too far ahead, not too long. */
export function checkWindow(
  body: PassCreateBody,
  now: Date,
  s: Pick<AccessSettings, 'passMaxAdvanceMs' | 'passMaxValidityMs'>,
): { validFrom: Date; validUntil: Date } {
  const validFrom = body.validFrom === undefined ? now : new Date(body.validFrom);
  const validUntil = new Date(body.validUntil);
  if (validFrom.getTime() < now.getTime() - PAST_TOLERANCE_MS) throw invalid('validFrom', 'validFrom: may not lie in the past');
  if (validFrom.getTime() > now.getTime() + s.passMaxAdvanceMs) throw invalid('validFrom', `validFrom: at most ${Math.round(s.passMaxAdvanceMs / 86_400_000)} days ahead`);
  if (validUntil.getTime() <= validFrom.getTime()) throw invalid('validUntil', 'validUntil: must be after validFrom');
  if (validUntil.getTime() - validFrom.getTime() > s.passMaxValidityMs) throw invalid('validUntil', `validUntil: a pass is valid for at most ${Math.round(s.passMaxValidityMs / 3_600_000)} hours`);
  return { validFrom, validUntil };
}

/**
 * A fresh code no live pass holds, with its lookup hash. 10 digits and a few hundred live passes: a collision is
 * rare, but the code must identify one pass, so we draw again until it does.
 */
export function uniquePassCode(dir: Pick<Directory, 'passByCodeHash'>, keys: Pick<Keys, 'credentialKey'>): { code: string; codeHash: string } {
  let code = newPassCode();
  while (dir.passByCodeHash(lookupHash(keys.credentialKey, 'pass', code))) code = newPassCode();
  return { code, codeHash: lookupHash(keys.credentialKey, 'pass', code) };
}

/** The signed payload the gate scanner reads, and the same as a PNG data URL for the phone to show. */
export async function passQr(keys: Pick<Keys, 'qrSigningKey'>, code: string): Promise<{ payload: string; image: string }> {
  const payload = qrPayload(keys.qrSigningKey, code);
  const image = await QRCode.toDataURL(payload, { errorCorrectionLevel: 'M', margin: 2, width: 256 });
  return { payload, image };
}

/** What a resident's invitation and a guard's walk-in decide about a new pass; the rest is the same for both. */
export type NewPassFields = Pick<
  PassRecord,
  'householdId' | 'createdBy' | 'visitorName' | 'phoneMasked' | 'plate' | 'validFrom' | 'validUntil' | 'allowedDoors' | 'maxEntries' | 'codeHash'
>;

/** A new active pass, unused, with a fresh id. */
export function newPass(f: NewPassFields, now: Date): PassRecord {
  return {
    id: `pass-${randomBytes(9).toString('base64url')}`,
    householdId: f.householdId,
    createdBy: f.createdBy,
    visitorName: f.visitorName,
    phoneMasked: f.phoneMasked,
    plate: f.plate,
    validFrom: f.validFrom,
    validUntil: f.validUntil,
    allowedDoors: f.allowedDoors,
    maxEntries: f.maxEntries,
    entriesUsed: 0,
    codeHash: f.codeHash,
    status: 'active',
    createdAt: now,
    revokedAt: null,
  };
}
