import { randomBytes } from 'node:crypto';
import type { Principal } from '../contracts/api/auth';
import { maskName, maskPhone } from '../contracts/mask';
import type { ResidentWalkIn, WalkInAskBody, WalkInRequestView, WalkInState } from '../contracts/api/walk-ins';
import type { WalkInRecord } from '../db/walk-ins';
import { type AccessContext, actorOf } from './context';

/*
 * A walk-in request's record and how the guard and the household see it (walk-ins.ts sequences them): no state of
 * their own, the directory and the clock come from the AccessContext.
 */

/** A pending request past its deadline reads as unanswered, even before its timer has recorded it. */
export const walkInState = (r: WalkInRecord, nowMs: number): WalkInState => (r.status === 'pending' && nowMs >= r.answerBy.getTime() ? 'unanswered' : r.status);

/** A new pending request of the guard `p` to household `householdId`, answered by `answerMs` from now. */
export function newWalkIn(p: Principal, householdId: string, body: WalkInAskBody, now: Date, answerMs: number): WalkInRecord {
  return {
    id: `wi-${randomBytes(9).toString('base64url')}`,
    householdId,
    visitorName: body.visitorName,
    phoneMasked: body.phone === undefined ? null : maskPhone(body.phone),
    idLast4: body.idLast4 ?? null,
    reason: body.reason,
    requestedBy: actorOf(p),
    status: 'pending',
    createdAt: now,
    answerBy: new Date(now.getTime() + answerMs),
    answeredAt: null,
    answeredBy: null,
    passId: null,
  };
}

/** What the guard station and the household's phones both see of a request. */
function sharedView(ctx: AccessContext, r: WalkInRecord): ResidentWalkIn {
  return {
    id: r.id,
    visitorName: r.visitorName,
    phoneMasked: r.phoneMasked,
    reason: r.reason,
    state: walkInState(r, ctx.now().getTime()),
    createdAt: r.createdAt.toISOString(),
    answerBy: r.answerBy.toISOString(),
    answeredAt: r.answeredAt?.toISOString() ?? null,
  };
}

/** The household's phones' view: never the ID digits. */
export const householdView = (ctx: AccessContext, r: WalkInRecord): ResidentWalkIn => sharedView(ctx, r);

/** The guard station's view: besides, the household's label, the ID digits, who answered (masked) and the pass. */
export function guardView(ctx: AccessContext, r: WalkInRecord): WalkInRequestView {
  const answerer = r.answeredBy !== null ? ctx.dir.residents.get(r.answeredBy) : undefined;
  return {
    ...sharedView(ctx, r),
    householdId: r.householdId,
    householdLabel: ctx.dir.households.get(r.householdId)?.label ?? r.householdId,
    idLast4: r.idLast4,
    answeredBy: answerer ? maskName(answerer.name) : null,
    passId: r.passId,
  };
}
