import { randomBytes } from 'node:crypto';
import { type PassCreated, type PassView, WALK_IN_MINUTES } from '../contracts/api/passes';
import type { PassRecord } from '../db/records/access';
import type { AccessContext } from './context';
import { noDoorYet, passQr, passState, uniquePassCode } from './pass-rules';

/** The doors of a walk-in pass: the way home, main gate → the household's unit door (refused when there is none yet). */
export function walkInDoors(ctx: AccessContext, householdId: string): string[] {
  const route = ctx.dir.routeHome(householdId);
  const doors = [...route.mainGates, ...route.unitDoors].map((d) => d.id);
  if (doors.length === 0) throw noDoorYet();
  return doors;
}

/** A walk-in visitor's pass, as the phoned walk-in makes it: one entry within WALK_IN_MINUTES along the way home. */
export function walkInPass(ctx: AccessContext, a: { householdId: string; visitorName: string; phoneMasked: string | null; createdBy: string }): { pass: PassRecord; code: string } {
  const now = ctx.now();
  const allowedDoors = walkInDoors(ctx, a.householdId);
  const { code, codeHash } = uniquePassCode(ctx.dir, ctx.keys);
  const pass: PassRecord = {
    id: `pass-${randomBytes(9).toString('base64url')}`,
    householdId: a.householdId,
    createdBy: a.createdBy,
    visitorName: a.visitorName,
    phoneMasked: a.phoneMasked,
    plate: null,
    validFrom: now,
    validUntil: new Date(now.getTime() + WALK_IN_MINUTES * 60_000),
    allowedDoors,
    maxEntries: 1,
    entriesUsed: 0,
    codeHash,
    status: 'active',
    createdAt: now,
    revokedAt: null,
  };
  return { pass, code };
}

/** The reply for a pass just made: its view with the code and QR, shown this once. */
export async function createdReply(ctx: AccessContext, p: PassRecord, code: string): Promise<PassCreated> {
  const { codeHash: _c, createdBy: _b, ...rest } = p;
  const view: PassView = {
    ...rest,
    validFrom: p.validFrom.toISOString(),
    validUntil: p.validUntil.toISOString(),
    createdAt: p.createdAt.toISOString(),
    revokedAt: p.revokedAt?.toISOString() ?? null,
    state: passState(p, ctx.now().getTime()),
  };
  return { ...view, code, qr: await passQr(ctx.keys, code) };
}
