import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { lookupHash } from '../auth/hash';
import type { Principal } from '../contracts/api/auth';
import { type ExpectedVisitors, type PassCreateBody, type PassCreated, type PassState, type PassView, WALK_IN_MINUTES, type WalkInBody } from '../contracts/api/passes';
import { AppError } from '../errors';
import { type AccessContext, actorOf, assertVisible, notFound } from './context';
import { maskPhone } from '../contracts/mask';
import { zonedDay } from '../contracts/zone';
import type { PassRecord } from '../db/records/access';
import { newPassCode, qrPayload } from '../auth/pass-code';

/** Clock skew we forgive a phone that sends "now" as validFrom. */
const PAST_TOLERANCE_MS = 5 * 60_000;

const invalid = (path: string, message: string) => new AppError('VALIDATION', message, { details: { issues: [{ path: `/${path}`, message }] } });

/** Visitor passes: what residents do from their phones, and the guard's list of expected visitors. */
export function passService(ctx: AccessContext) {
  const { dir, repos } = ctx;
  /** Creations under way per user: two at once cannot both take the last slot of the quota. */
  const creating = new Map<string, number>();

  /** Hourly quota on passes actually created (a refused request costs nothing here: it has its own per-minute limit). */
  async function withinQuota<T>(userId: string, now: Date, create: () => Promise<T>): Promise<T> {
    const pending = creating.get(userId) ?? 0;
    creating.set(userId, pending + 1);
    try {
      const created = await repos.passes.createdSince(userId, new Date(now.getTime() - 3_600_000));
      if (created + pending >= ctx.settings.passesPerHour) {
        throw new AppError('RATE_LIMITED', `at most ${ctx.settings.passesPerHour} visitor passes an hour`);
      }
      return await create();
    } finally {
      const left = (creating.get(userId) ?? 1) - 1;
      if (left <= 0) creating.delete(userId);
      else creating.set(userId, left);
    }
  }

  function stateOf(p: PassRecord, nowMs: number): PassState {
    if (p.status === 'revoked') return 'revoked';
    if (nowMs >= p.validUntil.getTime()) return 'expired';
    if (p.entriesUsed >= p.maxEntries) return 'used_up';
    return nowMs < p.validFrom.getTime() ? 'upcoming' : 'active';
  }

  function view(p: PassRecord): PassView {
    // The directory's count is ahead of the database by at most one group commit.
    const entriesUsed = Math.max(p.entriesUsed, dir.passes.get(p.id)?.entriesUsed ?? 0);
    const current = { ...p, entriesUsed };
    const { codeHash: _c, createdBy: _b, ...rest } = current;
    return {
      ...rest,
      validFrom: p.validFrom.toISOString(),
      validUntil: p.validUntil.toISOString(),
      createdAt: p.createdAt.toISOString(),
      revokedAt: p.revokedAt?.toISOString() ?? null,
      state: stateOf(current, ctx.now().getTime()),
    };
  }

  /** The doors a household may open for a guest: the ones its residents may use (decide.ts), nothing more. */
  function checkDoors(householdId: string, body: PassCreateBody): string[] {
    const route = dir.routeHome(householdId);
    if (body.allowedDoors === undefined) {
      const doors = [...route.mainGates, ...route.unitDoors, ...(body.plate !== undefined ? route.vehicleGates : [])].map((d) => d.id);
      if (doors.length === 0) throw new AppError('CONFLICT', 'no door is enrolled on the way to this household yet; ask the property office');
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

  function checkWindow(body: PassCreateBody, now: Date): { validFrom: Date; validUntil: Date } {
    const s = ctx.settings;
    const validFrom = body.validFrom === undefined ? now : new Date(body.validFrom);
    const validUntil = new Date(body.validUntil);
    if (validFrom.getTime() < now.getTime() - PAST_TOLERANCE_MS) throw invalid('validFrom', 'validFrom: may not lie in the past');
    if (validFrom.getTime() > now.getTime() + s.passMaxAdvanceMs) throw invalid('validFrom', `validFrom: at most ${Math.round(s.passMaxAdvanceMs / 86_400_000)} days ahead`);
    if (validUntil.getTime() <= validFrom.getTime()) throw invalid('validUntil', 'validUntil: must be after validFrom');
    if (validUntil.getTime() - validFrom.getTime() > s.passMaxValidityMs) throw invalid('validUntil', `validUntil: a pass is valid for at most ${Math.round(s.passMaxValidityMs / 3_600_000)} hours`);
    return { validFrom, validUntil };
  }

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
      if (allowedDoors.length === 0) throw new AppError('CONFLICT', 'no door is enrolled on the way to this household yet; ask the property office');
      let code = newPassCode();
      while (dir.passByCodeHash(lookupHash(ctx.keys.credentialKey, 'pass', code))) code = newPassCode();
      const pass: PassRecord = {
        id: `pass-${randomBytes(9).toString('base64url')}`,
        householdId: household.id,
        createdBy: p.userId,
        visitorName: body.visitorName,
        phoneMasked: null,
        plate: null,
        validFrom: now,
        validUntil: new Date(now.getTime() + WALK_IN_MINUTES * 60_000),
        allowedDoors,
        maxEntries: 1,
        entriesUsed: 0,
        codeHash: lookupHash(ctx.keys.credentialKey, 'pass', code),
        status: 'active',
        createdAt: now,
        revokedAt: null,
      };
      await repos.passes.create(pass, {
        actor: actorOf(p),
        action: 'pass.walk_in',
        entity: 'VisitorPass',
        entityId: pass.id,
        detail: { householdId: household.id, reason: body.reason, idLast4: body.idLast4 ?? null, hostConfirmed: body.hostConfirmed, allowedDoors, validUntil: pass.validUntil.toISOString() },
      });
      dir.putPass(pass);
      ctx.changed(allowedDoors);
      const payload = qrPayload(ctx.keys.qrSigningKey, code);
      const image = await QRCode.toDataURL(payload, { errorCorrectionLevel: 'M', margin: 2, width: 256 });
      ctx.log.info({ passId: pass.id, householdId: household.id, by: p.role }, 'walk-in visitor registered');
      return { ...view(pass), code, qr: { payload, image } };
    },

    async create(p: Principal, body: PassCreateBody): Promise<PassCreated> {
      const householdId = p.householdId;
      if (p.role !== 'resident' || householdId === null) throw new AppError('FORBIDDEN', 'only residents invite visitors');
      const now = ctx.now();
      const window = checkWindow(body, now);
      const allowedDoors = checkDoors(householdId, body);
      return withinQuota(p.userId, now, async () => {
        let code = newPassCode();
        // 10 digits and a few hundred live passes: a collision is rare, but the code must identify one pass.
        while (dir.passByCodeHash(lookupHash(ctx.keys.credentialKey, 'pass', code))) code = newPassCode();
        const pass: PassRecord = {
          id: `pass-${randomBytes(9).toString('base64url')}`,
          householdId,
          createdBy: p.userId,
          visitorName: body.visitorName,
          phoneMasked: body.phone === undefined ? null : maskPhone(body.phone),
          plate: body.plate ?? null,
          ...window,
          allowedDoors,
          maxEntries: body.maxEntries ?? allowedDoors.length,
          entriesUsed: 0,
          codeHash: lookupHash(ctx.keys.credentialKey, 'pass', code),
          status: 'active',
          createdAt: now,
          revokedAt: null,
        };
        await repos.passes.create(pass, { actor: actorOf(p), action: 'pass.create', entity: 'VisitorPass', entityId: pass.id, detail: { allowedDoors, validUntil: pass.validUntil.toISOString(), maxEntries: pass.maxEntries } });
        dir.putPass(pass);
        ctx.changed(allowedDoors);
        const payload = qrPayload(ctx.keys.qrSigningKey, code);
        const image = await QRCode.toDataURL(payload, { errorCorrectionLevel: 'M', margin: 2, width: 256 });
        ctx.log.info({ passId: pass.id, householdId, doors: allowedDoors.length }, 'visitor pass created');
        return { ...view(pass), code, qr: { payload, image } };
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
