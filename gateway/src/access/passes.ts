import type { Principal } from '../contracts/api/auth';
import type { ExpectedVisitors, PassCreateBody, PassCreated, PassView, WalkInBody } from '../contracts/api/passes';
import { AppError } from '../errors';
import { type AccessContext, actorOf, assertVisible, notFound } from './context';
import { maskPhone } from '../contracts/mask';
import { zonedDay } from '../contracts/zone';
import type { PassRecord } from '../db/records/access';
import type { AuditEntry } from '../db/access';
import { checkDoors, checkWindow, newPass, passQr, passState, quotaGate, uniquePassCode } from './pass-rules';
import { findHousehold, walkInPass } from './walk-in-pass';

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

/**
 * A new pass just stored (by passService, or with its walk-in request by walkInService): into the directory, its doors
 * told, and the reply with its code and QR (shown this once).
 */
export async function passIssued(ctx: AccessContext, pass: PassRecord, code: string): Promise<PassCreated> {
  ctx.dir.putPass(pass);
  ctx.changed(pass.allowedDoors);
  const qr = await passQr(ctx.keys, code);
  return { ...passView(ctx, pass), code, qr };
}

/** Stores a new pass with its audit row, then as passIssued. */
async function issuePass(ctx: AccessContext, pass: PassRecord, code: string, audit: AuditEntry): Promise<PassCreated> {
  await ctx.repos.passes.create(pass, audit);
  return passIssued(ctx, pass, code);
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
    /** A guard registers a visitor at the gate (after phoning the host): the walk-in pass (walk-in-pass.ts). */
    async walkIn(p: Principal, body: WalkInBody): Promise<PassCreated> {
      if (p.role !== 'guard' && p.role !== 'admin') throw new AppError('FORBIDDEN', 'only guards register walk-in visitors');
      const household = findHousehold(dir, body.household);
      const { pass, code } = walkInPass(ctx, { householdId: household.id, visitorName: body.visitorName, phoneMasked: null, createdBy: p.userId });
      const created = await issuePass(ctx, pass, code, {
        actor: actorOf(p),
        action: 'pass.walk_in',
        entity: 'VisitorPass',
        entityId: pass.id,
        detail: { householdId: household.id, reason: body.reason, idLast4: body.idLast4 ?? null, hostConfirmed: body.hostConfirmed, allowedDoors: pass.allowedDoors, validUntil: pass.validUntil.toISOString() },
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

    /**
     * The property office issues a pass for a household (the hub's downlink, replication/downlink.ts): a resident's
     * rules (window, doors on the way home), without the hourly quota of a resident's own invitations.
     */
    async issueFor(p: Principal, householdId: string, body: PassCreateBody): Promise<PassCreated> {
      if (p.role !== 'admin') throw new AppError('FORBIDDEN', 'only the property office issues passes for a household');
      const household = findHousehold(dir, householdId);
      const now = ctx.now();
      const window = checkWindow(body, now, ctx.settings);
      const allowedDoors = checkDoors(dir, household.id, body);
      const { code, codeHash } = uniquePassCode(dir, ctx.keys);
      const phoneMasked = body.phone === undefined ? null : maskPhone(body.phone);
      const fields = { householdId: household.id, createdBy: p.userId, visitorName: body.visitorName, phoneMasked, plate: body.plate ?? null, ...window };
      const pass = newPass({ ...fields, allowedDoors, maxEntries: body.maxEntries ?? allowedDoors.length, codeHash }, now);
      const audit = { actor: actorOf(p), action: 'pass.create', entity: 'VisitorPass', entityId: pass.id, detail: { householdId: household.id, allowedDoors, validUntil: pass.validUntil.toISOString(), maxEntries: pass.maxEntries } };
      const created = await issuePass(ctx, pass, code, audit);
      ctx.log.info({ passId: pass.id, householdId: household.id, doors: allowedDoors.length, by: actorOf(p) }, 'visitor pass issued by the office');
      return created;
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
