import type { Principal } from '../contracts/api/auth';
import type { PassCreated } from '../contracts/api/passes';
import type { ResidentWalkIn, WalkInAskBody, WalkInRequestView } from '../contracts/api/walk-ins';
import type { WalkInRecord, WalkInRepo } from '../db/walk-ins';
import { AppError } from '../errors';
import { type AccessContext, actorOf, notFound } from './context';
import { passIssued } from './passes';
import type { WalkInContext } from './walk-in-context';
import { walkInDeadlines } from './walk-in-deadlines';
import { findHousehold, walkInDoors, walkInPass } from './walk-in-pass';
import { guardView, householdView, newWalkIn, walkInState } from './walk-in-request';
import { type WalkInWait, walkInWaits } from './walk-in-waits';

/** An answered request stays on the household's screen this long (so the other phones of the flat see it settled). */
const RECENT_MS = 10 * 60_000;

/**
 * Walk-in approval in the resident app (issue 16, item 3). The guard asks the host household instead of phoning;
 * each of the household's phones shows the request live (bus `walk-in-change` → resident/ stream) and any member
 * approves or refuses in one tap; the guard station waits on the request (a long poll, walk-in-waits.ts) and, on
 * approval, collects the one-entry pass the phoned walk-in would have given (walk-in-pass.ts) — so the code is only
 * ever shown at the gate. Nobody answering within `answerMs` makes it `unanswered` (walk-in-deadlines.ts) and the
 * guard phones instead. Another household's request answers 404, like one that does not exist.
 */
export function walkInService(access: AccessContext, repo: WalkInRepo, settings: { answerMs: number }) {
  const ctx: WalkInContext = {
    access,
    repo,
    changed(r) {
      waits.wake(r.id);
      access.bus.emit('walk-in-change', { householdId: r.householdId, request: householdView(access, r) });
    },
  };
  const waits = walkInWaits(ctx);
  const deadlines = walkInDeadlines(ctx);
  const stateOf = (r: WalkInRecord) => walkInState(r, access.now().getTime());

  return {
    /** The guard asks the host household in the app (instead of phoning). */
    async ask(p: Principal, body: WalkInAskBody): Promise<WalkInRequestView> {
      const household = findHousehold(access.dir, body.household);
      // Nobody could be let in anyway: say so now rather than after the household approved.
      walkInDoors(access, household.id);
      const r = newWalkIn(p, household.id, body, access.now(), settings.answerMs);
      await repo.create(r, { actor: actorOf(p), action: 'walk_in.ask', entity: 'WalkInRequest', entityId: r.id, detail: { householdId: household.id, reason: r.reason, idLast4: r.idLast4, answerBy: r.answerBy.toISOString() } });
      deadlines.schedule(r);
      ctx.changed(r);
      access.log.info({ walkInId: r.id, householdId: household.id }, 'walk-in request sent to the household');
      return guardView(access, r);
    },

    /** The guard station's view; with waitSec, a long poll that answers as soon as the state leaves `unlessState`. */
    get: (id: string, wait: WalkInWait, abort: AbortSignal): Promise<WalkInRequestView> => waits.view(id, wait, abort),

    /** The household's requests of the last minutes (pending ones first to answer). */
    async forHousehold(p: Principal): Promise<ResidentWalkIn[]> {
      if (p.householdId === null) throw new AppError('FORBIDDEN', 'only residents have a household');
      const rows = await repo.ofHousehold(p.householdId, new Date(access.now().getTime() - RECENT_MS - settings.answerMs));
      return rows.map((r) => householdView(access, r));
    },

    /** Any member of the host household approves or refuses, once, before the deadline. */
    async answer(p: Principal, id: string, answer: 'approve' | 'refuse'): Promise<ResidentWalkIn> {
      const r = await repo.find(id);
      // Object-level authorisation: another household's request is exactly as absent as a missing one.
      if (!r || p.householdId === null || r.householdId !== p.householdId) throw notFound('walk-in request');
      if (stateOf(r) !== 'pending') throw new AppError('CONFLICT', `this request is already ${stateOf(r)}`);
      const status = answer === 'approve' ? 'approved' : 'refused';
      const settled = await repo.settle(id, status, access.now(), p.residentId, { actor: actorOf(p), action: `walk_in.${answer}`, entity: 'WalkInRequest', entityId: id, detail: { householdId: r.householdId } });
      if (!settled) {
        const now = await repo.find(id);
        throw new AppError('CONFLICT', `this request is already ${now ? stateOf(now) : 'answered'}`);
      }
      deadlines.cancel(id);
      ctx.changed(settled);
      access.log.info({ walkInId: id, householdId: r.householdId, answer }, 'walk-in request answered');
      return householdView(access, settled);
    },

    /** The guard station collects the pass of an approved request: one entry within 30 minutes; the code shown once. */
    async issuePass(p: Principal, id: string): Promise<PassCreated> {
      const r = await repo.find(id);
      if (!r) throw notFound('walk-in request');
      if (r.status !== 'approved') throw new AppError('CONFLICT', `the household has not approved this visitor (${stateOf(r)})`);
      if (r.passId !== null) throw new AppError('CONFLICT', 'the pass of this request was already issued');
      const { pass, code } = walkInPass(access, { householdId: r.householdId, visitorName: r.visitorName, phoneMasked: r.phoneMasked, createdBy: p.userId });
      const issued = await repo.issue(id, pass, {
        actor: actorOf(p),
        action: 'pass.walk_in',
        entity: 'VisitorPass',
        entityId: pass.id,
        detail: { householdId: r.householdId, reason: r.reason, idLast4: r.idLast4, hostConfirmed: 'app', walkInRequestId: id, answeredBy: r.answeredBy, allowedDoors: pass.allowedDoors, validUntil: pass.validUntil.toISOString() },
      });
      if (!issued) throw new AppError('CONFLICT', 'the pass of this request was already issued');
      const created = await passIssued(access, pass, code);
      waits.wake(id);
      access.log.info({ walkInId: id, passId: pass.id }, 'walk-in pass issued after the household approved');
      return created;
    },

    /** Picks up requests still pending (after a restart): their deadlines run on. */
    async start(): Promise<void> {
      for (const r of await repo.pending()) deadlines.schedule(r);
    },

    /** Answers every waiting long poll now (the HTTP server is closing: nothing may hold it open). */
    release: (): void => waits.releaseAll(),

    stop(): void {
      deadlines.stop();
      waits.releaseAll();
    },
  };
}

export type WalkInService = ReturnType<typeof walkInService>;
