import type { Principal } from '../contracts/api/auth';
import { type ExpectedVisitors, type PassCreateBody, type PassCreated, type PassView, WALK_IN_MINUTES, type WalkInBody } from '../contracts/api/passes';
import { AppError } from '../errors';
import { type AccessContext, actorOf, assertVisible, notFound } from './context';
import { maskPhone } from '../contracts/mask';
import { zonedDay } from '../contracts/zone';
import type { PassRecord } from '../db/records/access';
import type { AuditEntry } from '../db/access';
import { checkDoors, checkWindow, invalid, newPass, noDoorYet, passQr, passState, quotaGate, uniquePassCode } from './pass-rules';

/** A pass as its owner and the guard see it: never its code or hash, with its state now. */
function passView(ctx: AccessContext, p: PassRecord): PassView {
  // The directory's count is ahead of the database by at most one group commit.
  const entriesUsed = Math.max(p.entriesUsed, ctx.dir.passes.get(p.id)?.entriesUsed ?? 0);
  const current = { ...p, entriesUsed };
  const { codeHash: _c, createdBy: _b, ...rest } = current;
  return {
    ...rest,
    validFrom: p.validFrom.toISOString(),
    validUntil: p.validUntil.toISOString(),
    createdAt: p.createdAt.toISOString(),
    revokedAt: p.revokedAt?.toISOString() ?? null,
    state: passState(current, ctx.now().getTime()),
  };
}

/** Stores a new pass with its audit row, tells its doors, and answers with its code and QR (shown this once). */
async function issuePass(ctx: AccessContext, pass: PassRecord, code: string, audit: AuditEntry): Promise<PassCreated> {
  await ctx.repos.passes.create(pass, audit);
  ctx.dir.putPass(pass);
  ctx.changed(pass.allowedDoors);
  const qr = await passQr(ctx.keys, code);
  return { ...passView(ctx, pass), code, qr };
}

/**
 * Visitor passes: what residents do from their phones, and the guard's list of expected visitors.
 * The rules a pass obeys live in pass-rules.ts; this closure only sequences them with the repository and directory.
 */
export function passService(ctx: AccessContext) {
  const { dir, repos } = ctx;
  const withinQuota = quotaGate((userId, since) => repos.passes.createdSince(userId, since), () => ctx.settings.passesPerHour);

  const view = (p: PassRecord) => passView(ctx, p);

  return {
    /** A guard registers a visitor at the gate (after phoning the host): one entry within WALK_IN_MINUTES. */
    async walkIn(p: Principal, body: WalkInBody): Promise<PassCreated> {
      if (p.role !== 'guard' && p.role !== 'admin') throw new AppError('FORBIDDEN', 'only guards register walk-in visitors');
      const wanted = body.household;
      const household = dir.households.get(wanted) ?? [...dir.households.values()].find((h) => h.label === wanted);
      if (!household) throw invalid('household', `household: no household ${wanted}`);
      const now = ctx.now();
      const route = dir.routeHome(household.id);
      const allowedDoors = [...route.mainGates, ...route.unitDoors].map((d) => d.id);
      if (allowedDoors.length === 0) throw noDoorYet();
      const { code, codeHash } = uniquePassCode(dir, ctx.keys);
      const validUntil = new Date(now.getTime() + WALK_IN_MINUTES * 60_000);
      const fields = { householdId: household.id, createdBy: p.userId, visitorName: body.visitorName, phoneMasked: null, plate: null, validFrom: now, validUntil };
      const pass = newPass({ ...fields, allowedDoors, maxEntries: 1, codeHash }, now);
      const created = await issuePass(ctx, pass, code, {
        actor: actorOf(p),
        action: 'pass.walk_in',
        entity: 'VisitorPass',
        entityId: pass.id,
        detail: { householdId: household.id, reason: body.reason, idLast4: body.idLast4 ?? null, hostConfirmed: body.hostConfirmed, allowedDoors, validUntil: pass.validUntil.toISOString() },
      });
      ctx.log.info({ passId: pass.id, householdId: household.id, by: p.role }, 'walk-in visitor registered');
      return created;
    },

    async create(p: Principal, body: PassCreateBody): Promise<PassCreated> {
      const householdId = p.householdId;
      if (p.role !== 'resident' || householdId === null) throw new AppError('FORBIDDEN', 'only residents invite visitors');
      const now = ctx.now();
      const window = checkWindow(body, now, ctx.settings);
      const allowedDoors = checkDoors(dir, householdId, body);
      return withinQuota(p.userId, now, async () => {
        const { code, codeHash } = uniquePassCode(dir, ctx.keys);
        const phoneMasked = body.phone === undefined ? null : maskPhone(body.phone);
        const fields = { householdId, createdBy: p.userId, visitorName: body.visitorName, phoneMasked, plate: body.plate ?? null, ...window };
        const pass = newPass({ ...fields, allowedDoors, maxEntries: body.maxEntries ?? allowedDoors.length, codeHash }, now);
        const audit = { actor: actorOf(p), action: 'pass.create', entity: 'VisitorPass', entityId: pass.id, detail: { allowedDoors, validUntil: pass.validUntil.toISOString(), maxEntries: pass.maxEntries } };
        const created = await issuePass(ctx, pass, code, audit);
        ctx.log.info({ passId: pass.id, householdId, doors: allowedDoors.length }, 'visitor pass created');
        return created;
      });
    },

    async list(p: Principal, scope: 'current' | 'all'): Promise<PassView[]> {
      if (p.householdId === null) throw new AppError('FORBIDDEN', 'only residents have passes of their own');
      return (await repos.passes.ofHousehold(p.householdId, scope, ctx.now())).map(view);
    },

    async get(p: Principal, id: string): Promise<PassView> {
      const pass = await repos.passes.find(id);
      if (!pass) throw notFound('pass');
      assertVisible(p, pass.householdId, 'pass');
      return view(pass);
    },

    async revoke(p: Principal, id: string): Promise<PassView> {
      const pass = await repos.passes.find(id);
      if (!pass) throw notFound('pass');
      assertVisible(p, pass.householdId, 'pass');
      if (pass.status === 'revoked') return view(pass);
      const updated = await repos.passes.revoke(id, ctx.now(), { actor: actorOf(p), action: 'pass.revoke', entity: 'VisitorPass', entityId: id });
      if (!updated) throw notFound('pass');
      // Kept in memory as revoked, so the door says "revoked" rather than "unknown" until it is pruned.
      dir.putPass({ ...updated, entriesUsed: Math.max(updated.entriesUsed, dir.passes.get(id)?.entriesUsed ?? 0) });
      ctx.changed(updated.allowedDoors);
      ctx.log.info({ passId: id, by: p.role }, 'visitor pass revoked');
      return view(updated);
    },

    /** Passes whose window touches the given day (community time), for the guard room. */
    async expected(date: string | undefined): Promise<ExpectedVisitors> {
      const { day, from, to } = zonedDay(date, ctx.now(), ctx.settings.timezone);
      const passes = await repos.passes.overlapping(from, to);
      return { date: day, visitors: passes.map((x) => ({ ...view(x), householdLabel: dir.households.get(x.householdId)?.label ?? x.householdId })) };
    },
  };
}

export type PassService = ReturnType<typeof passService>;
