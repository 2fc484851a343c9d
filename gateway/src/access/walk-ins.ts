import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Principal } from '../contracts/api/auth';
import { maskName, maskPhone } from '../contracts/mask';
import type { PassCreated } from '../contracts/api/passes';
import type { ResidentWalkIn, WalkInAskBody, WalkInRequestView, WalkInState } from '../contracts/api/walk-ins';
import type { WalkInRecord, WalkInRepo } from '../db/walk-ins';
import { AppError } from '../errors';
import { type AccessContext, actorOf, notFound } from './context';
import { invalid } from './pass-rules';
import { createdReply, walkInDoors, walkInPass } from './walk-in-pass';

/** An answered request stays on the household's screen this long (so the other phones of the flat see it settled). */
const RECENT_MS = 10 * 60_000;

/**
 * Walk-in approval in the resident app (issue 16, item 3). The guard asks the host household instead of phoning;
 * each of the household's phones shows the request live (bus `walk-in-change` → resident/ stream) and any member
 * approves or refuses in one tap; the guard station waits on the request (a long poll) and, on approval, collects
 * the one-entry pass the phoned walk-in would have given — so the code is only ever shown at the gate. Nobody
 * answering within `answerMs` makes it `unanswered` (audited) and the guard phones instead. Another household's
 * request answers 404, like one that does not exist.
 */
export function walkInService(ctx: AccessContext, repo: WalkInRepo, settings: { answerMs: number }) {
  const { dir } = ctx;
  /** Long polls wait on these: one event per request id when its state changes. */
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  const timers = new Map<string, NodeJS.Timeout>();

  const stateOf = (r: WalkInRecord, nowMs = ctx.now().getTime()): WalkInState => (r.status === 'pending' && nowMs >= r.answerBy.getTime() ? 'unanswered' : r.status);

  function guardView(r: WalkInRecord): WalkInRequestView {
    const answerer = r.answeredBy !== null ? dir.residents.get(r.answeredBy) : undefined;
    return {
      id: r.id,
      householdId: r.householdId,
      householdLabel: dir.households.get(r.householdId)?.label ?? r.householdId,
      visitorName: r.visitorName,
      phoneMasked: r.phoneMasked,
      idLast4: r.idLast4,
      reason: r.reason,
      state: stateOf(r),
      createdAt: r.createdAt.toISOString(),
      answerBy: r.answerBy.toISOString(),
      answeredAt: r.answeredAt?.toISOString() ?? null,
      answeredBy: answerer ? maskName(answerer.name) : null,
      passId: r.passId,
    };
  }

  const householdView = (r: WalkInRecord): ResidentWalkIn => ({
    id: r.id,
    visitorName: r.visitorName,
    phoneMasked: r.phoneMasked,
    reason: r.reason,
    state: stateOf(r),
    createdAt: r.createdAt.toISOString(),
    answerBy: r.answerBy.toISOString(),
    answeredAt: r.answeredAt?.toISOString() ?? null,
  });

  function changed(r: WalkInRecord): void {
    changes.emit(r.id);
    ctx.bus.emit('walk-in-change', { householdId: r.householdId, request: householdView(r) });
  }

  function schedule(r: WalkInRecord): void {
    if (r.status !== 'pending') return;
    const timer = setTimeout(() => void expire(r.id), Math.max(0, r.answerBy.getTime() - ctx.now().getTime()));
    timer.unref();
    timers.set(r.id, timer);
  }

  async function expire(id: string): Promise<void> {
    timers.delete(id);
    try {
      const r = await repo.settle(id, 'unanswered', ctx.now(), null, { actor: 'system', action: 'walk_in.unanswered', entity: 'WalkInRequest', entityId: id });
      if (r) {
        ctx.log.info({ walkInId: id, householdId: r.householdId }, 'walk-in request unanswered; the guard phones');
        changed(r);
      }
    } catch (err) {
      ctx.log.error({ err, walkInId: id }, 'could not record an unanswered walk-in request');
    }
  }

  async function visibleToHousehold(p: Principal, id: string): Promise<WalkInRecord> {
    const r = await repo.find(id);
    // Object-level authorisation: another household's request is exactly as absent as a missing one.
    if (!r || p.householdId === null || r.householdId !== p.householdId) throw notFound('walk-in request');
    return r;
  }

  /** Resolves when request `id` changes, after `ms`, or when `abort` fires, whichever comes first. */
  function waitForChange(id: string, ms: number, abort: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        changes.off(id, done);
        abort.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      changes.on(id, done);
      abort.addEventListener('abort', done);
    });
  }

  return {
    /** The guard asks the host household in the app (instead of phoning). */
    async ask(p: Principal, body: WalkInAskBody): Promise<WalkInRequestView> {
      const wanted = body.household;
      const household = dir.households.get(wanted) ?? [...dir.households.values()].find((h) => h.label === wanted);
      if (!household) throw invalid('household', `household: no household ${wanted}`);
      // Nobody could be let in anyway: say so now rather than after the household approved.
      walkInDoors(ctx, household.id);
      const now = ctx.now();
      const r: WalkInRecord = {
        id: `wi-${randomBytes(9).toString('base64url')}`,
        householdId: household.id,
        visitorName: body.visitorName,
        phoneMasked: body.phone === undefined ? null : maskPhone(body.phone),
        idLast4: body.idLast4 ?? null,
        reason: body.reason,
        requestedBy: actorOf(p),
        status: 'pending',
        createdAt: now,
        answerBy: new Date(now.getTime() + settings.answerMs),
        answeredAt: null,
        answeredBy: null,
        passId: null,
      };
      await repo.create(r, { actor: actorOf(p), action: 'walk_in.ask', entity: 'WalkInRequest', entityId: r.id, detail: { householdId: household.id, reason: r.reason, idLast4: r.idLast4, answerBy: r.answerBy.toISOString() } });
      schedule(r);
      changed(r);
      ctx.log.info({ walkInId: r.id, householdId: household.id }, 'walk-in request sent to the household');
      return guardView(r);
    },

    /** The guard station's view; with waitSec, a long poll that answers as soon as the state leaves `unlessState`. */
    async get(id: string, wait: { unlessState?: WalkInState | undefined; waitSec: number }, abort: AbortSignal): Promise<WalkInRequestView> {
      let r = await repo.find(id);
      if (!r) throw notFound('walk-in request');
      if (wait.waitSec > 0 && wait.unlessState !== undefined && stateOf(r) === wait.unlessState) {
        // A pending request also changes by itself at its deadline: never wait past it.
        const untilDeadline = r.status === 'pending' ? Math.max(0, r.answerBy.getTime() - ctx.now().getTime()) + 50 : Infinity;
        await waitForChange(id, Math.min(wait.waitSec * 1000, untilDeadline), abort);
        r = (await repo.find(id)) ?? r;
      }
      return guardView(r);
    },

    /** The household's requests of the last minutes (pending ones first to answer). */
    async forHousehold(p: Principal): Promise<ResidentWalkIn[]> {
      if (p.householdId === null) throw new AppError('FORBIDDEN', 'only residents have a household');
      const rows = await repo.ofHousehold(p.householdId, new Date(ctx.now().getTime() - RECENT_MS - settings.answerMs));
      return rows.map(householdView);
    },

    /** Any member of the host household approves or refuses, once, before the deadline. */
    async answer(p: Principal, id: string, answer: 'approve' | 'refuse'): Promise<ResidentWalkIn> {
      const r = await visibleToHousehold(p, id);
      if (stateOf(r) !== 'pending') throw new AppError('CONFLICT', `this request is already ${stateOf(r)}`);
      const status = answer === 'approve' ? 'approved' : 'refused';
      const settled = await repo.settle(id, status, ctx.now(), p.residentId, { actor: actorOf(p), action: `walk_in.${answer}`, entity: 'WalkInRequest', entityId: id, detail: { householdId: r.householdId } });
      if (!settled) {
        const now = await repo.find(id);
        throw new AppError('CONFLICT', `this request is already ${now ? stateOf(now) : 'answered'}`);
      }
      clearTimeout(timers.get(id));
      timers.delete(id);
      changed(settled);
      ctx.log.info({ walkInId: id, householdId: r.householdId, answer }, 'walk-in request answered');
      return householdView(settled);
    },

    /** The guard station collects the pass of an approved request: one entry within 30 minutes; the code shown once. */
    async issuePass(p: Principal, id: string): Promise<PassCreated> {
      const r = await repo.find(id);
      if (!r) throw notFound('walk-in request');
      if (r.status !== 'approved') throw new AppError('CONFLICT', `the household has not approved this visitor (${stateOf(r)})`);
      if (r.passId !== null) throw new AppError('CONFLICT', 'the pass of this request was already issued');
      const { pass, code } = walkInPass(ctx, { householdId: r.householdId, visitorName: r.visitorName, phoneMasked: r.phoneMasked, createdBy: p.userId });
      const issued = await repo.issue(id, pass, {
        actor: actorOf(p),
        action: 'pass.walk_in',
        entity: 'VisitorPass',
        entityId: pass.id,
        detail: { householdId: r.householdId, reason: r.reason, idLast4: r.idLast4, hostConfirmed: 'app', walkInRequestId: id, answeredBy: r.answeredBy, allowedDoors: pass.allowedDoors, validUntil: pass.validUntil.toISOString() },
      });
      if (!issued) throw new AppError('CONFLICT', 'the pass of this request was already issued');
      dir.putPass(pass);
      ctx.changed(pass.allowedDoors);
      changes.emit(id);
      ctx.log.info({ walkInId: id, passId: pass.id }, 'walk-in pass issued after the household approved');
      return createdReply(ctx, pass, code);
    },

    /** Picks up requests still pending (after a restart): their deadlines run on. */
    async start(): Promise<void> {
      for (const r of await repo.pending()) schedule(r);
    },

    /** Answers every waiting long poll now (the HTTP server is closing: nothing may hold it open). */
    release(): void {
      for (const name of changes.eventNames()) changes.emit(name);
    },

    stop(): void {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      for (const name of changes.eventNames()) changes.emit(name);
    },
  };
}

export type WalkInService = ReturnType<typeof walkInService>;
