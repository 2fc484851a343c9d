import { WALK_IN_MINUTES } from '../contracts/api/passes';
import type { HouseholdRecord, PassRecord } from '../db/records/access';
import type { AccessContext } from './context';
import type { Directory } from './directory';
import { invalid, newPass, noDoorYet, uniquePassCode } from './pass-rules';

/*
 * The walk-in visitor's pass, the one way it is made: the guard's phoned walk-in (passService.walkIn) and the
 * household's answer in the app (walkInService.issuePass) give the same pass.
 */

/** The host household the guard named: its id or its label (3-2-501). */
export function findHousehold(dir: Directory, wanted: string): HouseholdRecord {
  const household = dir.households.get(wanted) ?? [...dir.households.values()].find((h) => h.label === wanted);
  if (!household) throw invalid('household', `household: no household ${wanted}`);
  return household;
}

/** The doors of a walk-in pass: the way home, main gate → the household's unit door (refused when there is none yet). */
export function walkInDoors(ctx: AccessContext, householdId: string): string[] {
  const route = ctx.dir.routeHome(householdId);
  const doors = [...route.mainGates, ...route.unitDoors].map((d) => d.id);
  if (doors.length === 0) throw noDoorYet();
  return doors;
}

/** A walk-in visitor's pass: one entry within WALK_IN_MINUTES along the way home, with its code (shown once). */
export function walkInPass(ctx: AccessContext, a: { householdId: string; visitorName: string; phoneMasked: string | null; createdBy: string }): { pass: PassRecord; code: string } {
  const now = ctx.now();
  const allowedDoors = walkInDoors(ctx, a.householdId);
  const { code, codeHash } = uniquePassCode(ctx.dir, ctx.keys);
  const validUntil = new Date(now.getTime() + WALK_IN_MINUTES * 60_000);
  const pass = newPass({ ...a, plate: null, validFrom: now, validUntil, allowedDoors, maxEntries: 1, codeHash }, now);
  return { pass, code };
}
