import { randomBytes } from 'node:crypto';
import type {
  BuildingBody,
  BuildingPatch,
  BuildingView,
  CompoundBody,
  CompoundPatch,
  CompoundView,
  HouseholdBody,
  HouseholdPatch,
  HouseholdView,
  UnitBody,
  UnitPatch,
  UnitView,
} from '../contracts/api/admin';
import { HouseholdTag } from '../contracts';
import { type Tx, writeAudit } from './audit';
import type { PrismaClient } from './client';

/**
 * Compounds, buildings, units and households as the property office edits them. Every change commits together with
 * its audit row (who, what, before, after). Expected refusals are values: a parent that does not exist (or lies
 * outside the caller's compound), a duplicate number, a row something still refers to.
 *
 * `scope`: the one compound a property manager may touch; null for an administrator of the whole installation.
 */
export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; code: 'NOT_FOUND'; message: string }
  | { ok: false; code: 'VALIDATION'; message: string; path: string }
  | { ok: false; code: 'CONFLICT'; message: string; referencedBy?: Record<string, number> };

export const newId = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex')}`;
const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const missing = (what: string): Outcome<never> => ({ ok: false, code: 'NOT_FOUND', message: `no such ${what}` });
const badRef = (path: string, what: string): Outcome<never> => ({ ok: false, code: 'VALIDATION', message: `no such ${what}`, path });
const conflict = (message: string): Outcome<never> => ({ ok: false, code: 'CONFLICT', message });

/** DELETE refused: the rows that still refer to it, by table (only the non-zero ones). */
function inUse(what: string, counts: Record<string, number>): Outcome<never> | null {
  const referencedBy = Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
  if (Object.keys(referencedBy).length === 0) return null;
  const list = Object.entries(referencedBy).map(([k, n]) => `${n} ${k}`).join(', ');
  return { ok: false, code: 'CONFLICT', message: `the ${what} is still referred to by ${list}: deactivate it instead, or remove those first`, referencedBy };
}

export interface Actor {
  actor: string;
  scope: string | null;
  at: Date;
}

const inScope = (scope: string | null, compoundId: string) => scope === null || scope === compoundId;

// ── views ────────────────────────────────────────────────────────────────────────────────────────────────────
type CompoundRow = { id: string; name: string; address: string; latitude: number; longitude: number; timezone: string; active: boolean; createdAt: Date };
const compoundView = (c: CompoundRow): CompoundView => ({ ...c, createdAt: c.createdAt.toISOString() });
type BuildingRow = Omit<BuildingView, 'compoundId'> & { communityId: string };
const buildingView = ({ communityId, ...b }: BuildingRow): BuildingView => ({ ...b, compoundId: communityId });
const unitSelect = { id: true, buildingId: true, number: true, active: true, building: { select: { communityId: true } } } as const;
type UnitRow = { id: string; buildingId: string; number: number; active: boolean; building: { communityId: string } };
const unitView = (u: UnitRow): UnitView => ({ id: u.id, buildingId: u.buildingId, compoundId: u.building.communityId, number: u.number, active: u.active });
const householdSelect = {
  id: true,
  unitId: true,
  room: true,
  label: true,
  gridId: true,
  active: true,
  createdAt: true,
  tags: { select: { tag: true }, orderBy: { tag: 'asc' } },
  unit: { select: { buildingId: true, building: { select: { communityId: true } } } },
} as const;
type HouseholdRow = {
  id: string;
  unitId: string;
  room: string;
  label: string;
  gridId: string | null;
  active: boolean;
  createdAt: Date;
  tags: { tag: string }[];
  unit: { buildingId: string; building: { communityId: string } };
};
const householdView = (h: HouseholdRow): HouseholdView => ({
  id: h.id,
  unitId: h.unitId,
  buildingId: h.unit.buildingId,
  compoundId: h.unit.building.communityId,
  room: h.room,
  label: h.label,
  // Tags stored before the contract knew them are left out rather than failing the whole list.
  tags: h.tags.flatMap((t) => {
    const p = HouseholdTag.safeParse(t.tag);
    return p.success ? [p.data] : [];
  }),
  gridId: h.gridId,
  active: h.active,
  createdAt: h.createdAt.toISOString(),
});

/** building-unit-room, the label every screen shows (3-2-501). */
const labelOf = (building: number, unit: number, room: string) => `${building}-${unit}-${room}`;

async function relabel(tx: Tx, where: { unit: { buildingId: string } } | { unitId: string }): Promise<void> {
  const rows = await tx.household.findMany({ where, select: { id: true, room: true, unit: { select: { number: true, building: { select: { number: true } } } } } });
  // Two passes: a renumbering that swaps labels must not trip the unique index half-way.
  for (const h of rows) await tx.household.update({ where: { id: h.id }, data: { label: `~${h.id}` } });
  for (const h of rows) await tx.household.update({ where: { id: h.id }, data: { label: labelOf(h.unit.building.number, h.unit.number, h.room) } });
}

async function gridUsable(tx: Tx, gridId: string | null | undefined, compoundId: string): Promise<boolean> {
  if (gridId === null || gridId === undefined) return true;
  const g = await tx.grid.findUnique({ where: { id: gridId }, select: { communityId: true } });
  return g !== null && g.communityId === compoundId;
}

/** Runs `work` in one interactive transaction. */
const transactions = (prisma: PrismaClient) => <T>(work: (tx: Tx) => Promise<T>) => prisma.$transaction(work);

export function masterDataRepo(prisma: PrismaClient) {
  return { ...compoundRepo(prisma), ...buildingRepo(prisma), ...unitRepo(prisma), ...householdRepo(prisma) };
}

/** Compounds (小区). */
function compoundRepo(prisma: PrismaClient) {
  const tx = transactions(prisma);

  return {
    async compounds(scope: string | null): Promise<CompoundView[]> {
      const rows = await prisma.community.findMany({ where: scope === null ? {} : { id: scope }, orderBy: { createdAt: 'asc' } });
      return rows.map(compoundView);
    },
    async compound(id: string, scope: string | null): Promise<CompoundView | null> {
      if (!inScope(scope, id)) return null;
      const c = await prisma.community.findUnique({ where: { id } });
      return c ? compoundView(c) : null;
    },
    async createCompound(body: CompoundBody, a: Actor): Promise<Outcome<CompoundView>> {
      if (a.scope !== null) return { ok: false, code: 'NOT_FOUND', message: 'a property manager cannot create compounds' };
      return tx(async (t) => {
        const c = compoundView(await t.community.create({ data: { id: newId('cmp'), ...body } }));
        await writeAudit(t, { actor: a.actor, action: 'compound.create', entity: 'Community', entityId: c.id, before: null, after: c }, a.at);
        return ok(c);
      });
    },
    async updateCompound(id: string, patch: CompoundPatch, a: Actor): Promise<Outcome<CompoundView>> {
      if (!inScope(a.scope, id)) return missing('compound');
      return tx(async (t) => {
        const before = await t.community.findUnique({ where: { id } });
        if (!before) return missing('compound');
        const after = compoundView(await t.community.update({ where: { id }, data: patch }));
        await writeAudit(t, { actor: a.actor, action: actionOf('compound', patch), entity: 'Community', entityId: id, before: compoundView(before), after }, a.at);
        return ok(after);
      });
    },
    async deleteCompound(id: string, a: Actor): Promise<Outcome<null>> {
      if (!inScope(a.scope, id)) return missing('compound');
      return tx(async (t) => {
        const before = await t.community.findUnique({ where: { id } });
        if (!before) return missing('compound');
        const refused = inUse('compound', {
          buildings: await t.building.count({ where: { communityId: id } }),
          devices: await t.device.count({ where: { communityId: id } }),
          grids: await t.grid.count({ where: { communityId: id } }),
        });
        if (refused) return refused;
        await t.community.delete({ where: { id } });
        await writeAudit(t, { actor: a.actor, action: 'compound.delete', entity: 'Community', entityId: id, before: compoundView(before), after: null }, a.at);
        return ok(null);
      });
    },
  };
}

/** Buildings (楼栋). */
function buildingRepo(prisma: PrismaClient) {
  const tx = transactions(prisma);

  return {
    async buildings(scope: string | null, compoundId: string | undefined): Promise<BuildingView[]> {
      const ids = [scope, compoundId].filter((x): x is string => x !== null && x !== undefined);
      if (ids.length === 2 && ids[0] !== ids[1]) return [];
      const rows = await prisma.building.findMany({ where: ids[0] !== undefined ? { communityId: ids[0] } : {}, orderBy: [{ communityId: 'asc' }, { number: 'asc' }] });
      return rows.map(buildingView);
    },
    async building(id: string, scope: string | null): Promise<BuildingView | null> {
      const b = await prisma.building.findUnique({ where: { id } });
      return b && inScope(scope, b.communityId) ? buildingView(b) : null;
    },
    async createBuilding(body: BuildingBody, a: Actor): Promise<Outcome<BuildingView>> {
      if (!inScope(a.scope, body.compoundId)) return badRef('/compoundId', 'compound');
      return tx(async (t) => {
        const c = await t.community.findUnique({ where: { id: body.compoundId }, select: { active: true } });
        if (!c) return badRef('/compoundId', 'compound');
        if (!c.active) return conflict('the compound is deactivated: reactivate it first');
        if (await t.building.count({ where: { communityId: body.compoundId, number: body.number } })) return conflict(`building ${body.number} already exists in this compound`);
        const { compoundId, name, ...rest } = body;
        const b = buildingView(await t.building.create({ data: { id: newId('bld'), communityId: compoundId, name: name ?? `${body.number}号楼`, ...rest } }));
        await writeAudit(t, { actor: a.actor, action: 'building.create', entity: 'Building', entityId: b.id, before: null, after: b }, a.at);
        return ok(b);
      });
    },
    async updateBuilding(id: string, patch: BuildingPatch, a: Actor): Promise<Outcome<BuildingView>> {
      return tx(async (t) => {
        const row = await t.building.findUnique({ where: { id } });
        if (!row || !inScope(a.scope, row.communityId)) return missing('building');
        if (patch.number !== undefined && patch.number !== row.number && (await t.building.count({ where: { communityId: row.communityId, number: patch.number } }))) {
          return conflict(`building ${patch.number} already exists in this compound`);
        }
        const after = buildingView(await t.building.update({ where: { id }, data: patch }));
        if (patch.number !== undefined && patch.number !== row.number) await relabel(t, { unit: { buildingId: id } });
        await writeAudit(t, { actor: a.actor, action: actionOf('building', patch), entity: 'Building', entityId: id, before: buildingView(row), after }, a.at);
        return ok(after);
      });
    },
    async deleteBuilding(id: string, a: Actor): Promise<Outcome<null>> {
      return tx(async (t) => {
        const row = await t.building.findUnique({ where: { id } });
        if (!row || !inScope(a.scope, row.communityId)) return missing('building');
        const refused = inUse('building', { units: await t.unit.count({ where: { buildingId: id } }), devices: await t.device.count({ where: { buildingId: id } }) });
        if (refused) return refused;
        await t.building.delete({ where: { id } });
        await writeAudit(t, { actor: a.actor, action: 'building.delete', entity: 'Building', entityId: id, before: buildingView(row), after: null }, a.at);
        return ok(null);
      });
    },
  };
}

/** Units (单元). */
function unitRepo(prisma: PrismaClient) {
  const tx = transactions(prisma);

  return {
    async units(scope: string | null, buildingId: string | undefined): Promise<UnitView[]> {
      const rows = await prisma.unit.findMany({
        where: { ...(buildingId !== undefined ? { buildingId } : {}), ...(scope !== null ? { building: { communityId: scope } } : {}) },
        select: unitSelect,
        orderBy: [{ buildingId: 'asc' }, { number: 'asc' }],
      });
      return rows.map(unitView);
    },
    async unit(id: string, scope: string | null): Promise<UnitView | null> {
      const u = await prisma.unit.findUnique({ where: { id }, select: unitSelect });
      return u && inScope(scope, u.building.communityId) ? unitView(u) : null;
    },
    async createUnit(body: UnitBody, a: Actor): Promise<Outcome<UnitView>> {
      return tx(async (t) => {
        const b = await t.building.findUnique({ where: { id: body.buildingId }, select: { communityId: true, active: true } });
        if (!b || !inScope(a.scope, b.communityId)) return badRef('/buildingId', 'building');
        if (!b.active) return conflict('the building is deactivated: reactivate it first');
        if (await t.unit.count({ where: { buildingId: body.buildingId, number: body.number } })) return conflict(`unit ${body.number} already exists in this building`);
        const u = unitView(await t.unit.create({ data: { id: newId('unt'), ...body }, select: unitSelect }));
        await writeAudit(t, { actor: a.actor, action: 'unit.create', entity: 'Unit', entityId: u.id, before: null, after: u }, a.at);
        return ok(u);
      });
    },
    async updateUnit(id: string, patch: UnitPatch, a: Actor): Promise<Outcome<UnitView>> {
      return tx(async (t) => {
        const row = await t.unit.findUnique({ where: { id }, select: unitSelect });
        if (!row || !inScope(a.scope, row.building.communityId)) return missing('unit');
        if (patch.number !== undefined && patch.number !== row.number && (await t.unit.count({ where: { buildingId: row.buildingId, number: patch.number } }))) {
          return conflict(`unit ${patch.number} already exists in this building`);
        }
        const after = unitView(await t.unit.update({ where: { id }, data: patch, select: unitSelect }));
        if (patch.number !== undefined && patch.number !== row.number) await relabel(t, { unitId: id });
        await writeAudit(t, { actor: a.actor, action: actionOf('unit', patch), entity: 'Unit', entityId: id, before: unitView(row), after }, a.at);
        return ok(after);
      });
    },
    async deleteUnit(id: string, a: Actor): Promise<Outcome<null>> {
      return tx(async (t) => {
        const row = await t.unit.findUnique({ where: { id }, select: unitSelect });
        if (!row || !inScope(a.scope, row.building.communityId)) return missing('unit');
        const refused = inUse('unit', { households: await t.household.count({ where: { unitId: id } }), devices: await t.device.count({ where: { unitId: id } }) });
        if (refused) return refused;
        await t.unit.delete({ where: { id } });
        await writeAudit(t, { actor: a.actor, action: 'unit.delete', entity: 'Unit', entityId: id, before: unitView(row), after: null }, a.at);
        return ok(null);
      });
    },
  };
}

/** Households (户). */
function householdRepo(prisma: PrismaClient) {
  const tx = transactions(prisma);

  return {
    async households(scope: string | null, q: { unitId?: string | undefined; gridId?: string | undefined; tag?: string | undefined }): Promise<HouseholdView[]> {
      const rows = await prisma.household.findMany({
        where: {
          ...(q.unitId !== undefined ? { unitId: q.unitId } : {}),
          ...(q.gridId !== undefined ? { gridId: q.gridId } : {}),
          ...(q.tag !== undefined ? { tags: { some: { tag: q.tag } } } : {}),
          ...(scope !== null ? { unit: { building: { communityId: scope } } } : {}),
        },
        select: householdSelect,
        orderBy: { label: 'asc' },
        take: 10_000,
      });
      return rows.map(householdView);
    },
    async household(id: string, scope: string | null): Promise<HouseholdView | null> {
      const h = await prisma.household.findUnique({ where: { id }, select: householdSelect });
      return h && inScope(scope, h.unit.building.communityId) ? householdView(h) : null;
    },
    async createHousehold(body: HouseholdBody, a: Actor): Promise<Outcome<HouseholdView>> {
      return tx(async (t) => {
        const u = await t.unit.findUnique({ where: { id: body.unitId }, select: { number: true, active: true, building: { select: { number: true, communityId: true } } } });
        if (!u || !inScope(a.scope, u.building.communityId)) return badRef('/unitId', 'unit');
        if (!u.active) return conflict('the unit is deactivated: reactivate it first');
        if (!(await gridUsable(t, body.gridId, u.building.communityId))) return badRef('/gridId', 'grid in this compound');
        const label = labelOf(u.building.number, u.number, body.room);
        if (await t.household.count({ where: { OR: [{ unitId: body.unitId, room: body.room }, { label }] } })) return conflict(`household ${label} already exists`);
        const id = newId('hh');
        await t.household.create({ data: { id, unitId: body.unitId, room: body.room, label, gridId: body.gridId, tags: { create: body.tags.map((tag) => ({ tag })) } } });
        const h = householdView(await t.household.findUniqueOrThrow({ where: { id }, select: householdSelect }));
        await writeAudit(t, { actor: a.actor, action: 'household.create', entity: 'Household', entityId: id, before: null, after: h }, a.at);
        return ok(h);
      });
    },
    async updateHousehold(id: string, patch: HouseholdPatch, a: Actor): Promise<Outcome<HouseholdView>> {
      return tx(async (t) => {
        const row = await t.household.findUnique({ where: { id }, select: householdSelect });
        if (!row || !inScope(a.scope, row.unit.building.communityId)) return missing('household');
        if (!(await gridUsable(t, patch.gridId, row.unit.building.communityId))) return badRef('/gridId', 'grid in this compound');
        if (patch.room !== undefined && patch.room !== row.room && (await t.household.count({ where: { unitId: row.unitId, room: patch.room } }))) {
          return conflict(`room ${patch.room} already exists in this unit`);
        }
        const { tags, ...rest } = patch;
        await t.household.update({ where: { id }, data: rest });
        if (patch.room !== undefined) await relabel(t, { unitId: row.unitId });
        if (tags !== undefined) {
          await t.householdTag.deleteMany({ where: { householdId: id } });
          if (tags.length > 0) await t.householdTag.createMany({ data: tags.map((tag) => ({ householdId: id, tag })) });
        }
        const after = householdView(await t.household.findUniqueOrThrow({ where: { id }, select: householdSelect }));
        await writeAudit(t, { actor: a.actor, action: actionOf('household', patch), entity: 'Household', entityId: id, before: householdView(row), after }, a.at);
        return ok(after);
      });
    },
    async deleteHousehold(id: string, a: Actor): Promise<Outcome<null>> {
      return tx(async (t) => {
        const row = await t.household.findUnique({ where: { id }, select: householdSelect });
        if (!row || !inScope(a.scope, row.unit.building.communityId)) return missing('household');
        const refused = inUse('household', {
          residents: await t.resident.count({ where: { householdId: id } }),
          visitorPasses: await t.visitorPass.count({ where: { householdId: id } }),
          devices: await t.device.count({ where: { householdId: id } }),
          accessEvents: await t.accessEvent.count({ where: { householdId: id } }),
          alerts: await t.alert.count({ where: { householdId: id } }),
        });
        if (refused) return refused;
        await t.household.delete({ where: { id } });
        await writeAudit(t, { actor: a.actor, action: 'household.delete', entity: 'Household', entityId: id, before: householdView(row), after: null }, a.at);
        return ok(null);
      });
    },
  };
}

/** update, or deactivate/reactivate when that is all the patch does (the audit log reads better). */
export function actionOf(entity: string, patch: { active?: boolean | undefined }): string {
  if (Object.keys(patch).length === 1 && patch.active !== undefined) return `${entity}.${patch.active ? 'reactivate' : 'deactivate'}`;
  return `${entity}.update`;
}

export type MasterDataRepo = ReturnType<typeof masterDataRepo>;
