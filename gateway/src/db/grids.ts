import type { ContactBody, ContactPatch, ContactView, GridBody, GridPatch, GridView } from '../contracts/api/admin';
import { writeAudit } from './audit';
import type { PrismaClient } from './client';
import { type Actor, type Outcome, actionOf, newId } from './master-data';

type ContactRow = { id: string; name: string; level: number; gridId: string | null; phone: string | null; webhookUrl: string | null; active: boolean; createdAt: Date };
const contactView = (c: ContactRow): ContactView => ({ ...c, createdAt: c.createdAt.toISOString() });

const gridSelect = {
  id: true,
  communityId: true,
  name: true,
  active: true,
  createdAt: true,
  contacts: { orderBy: { level: 'asc' } },
  _count: { select: { households: true } },
} as const;
type GridRow = { id: string; communityId: string; name: string; active: boolean; createdAt: Date; contacts: ContactRow[]; _count: { households: number } };
const gridView = (g: GridRow): GridView => ({
  id: g.id,
  compoundId: g.communityId,
  name: g.name,
  active: g.active,
  households: g._count.households,
  workers: g.contacts.map(contactView),
  createdAt: g.createdAt.toISOString(),
});

// undefined: the contact's grid is gone (cannot happen with the foreign key, but never in anyone's scope).
const inScope = (scope: string | null, compoundId: string | null | undefined) => compoundId !== undefined && (scope === null || scope === compoundId);

/** What escalation routing needs: each household's grid, and every active contact (of an active grid). */
export interface RoutingSnapshot {
  householdGrids: Array<{ householdId: string; gridId: string }>;
  contacts: Array<{ id: string; name: string; level: number; gridId: string | null; webhookUrl: string | null }>;
}

/**
 * Grids (网格) with their workers, and escalation contacts. A contact with a grid is that grid's worker; one without
 * is the installation-wide contact for its level (replacing ESCALATION_CHAIN's level). Property managers see grid
 * contacts of their compound only; installation-wide contacts belong to administrators.
 */
export function gridRepo(prisma: PrismaClient) {
  return { ...gridAdminRepo(prisma), ...contactAdminRepo(prisma) };
}

/** Grids (网格): list, read, create, edit, delete where nothing refers to one. */
function gridAdminRepo(prisma: PrismaClient) {
  return {
    async grids(scope: string | null, compoundId: string | undefined): Promise<GridView[]> {
      if (scope !== null && compoundId !== undefined && scope !== compoundId) return [];
      const c = scope ?? compoundId;
      const rows = await prisma.grid.findMany({ where: c !== undefined ? { communityId: c } : {}, select: gridSelect, orderBy: { name: 'asc' } });
      return rows.map(gridView);
    },
    async grid(id: string, scope: string | null): Promise<GridView | null> {
      const g = await prisma.grid.findUnique({ where: { id }, select: gridSelect });
      return g && inScope(scope, g.communityId) ? gridView(g) : null;
    },
    async createGrid(body: GridBody, a: Actor): Promise<Outcome<GridView>> {
      if (!inScope(a.scope, body.compoundId)) return { ok: false, code: 'VALIDATION', message: 'no such compound', path: '/compoundId' };
      return prisma.$transaction(async (t) => {
        if (!(await t.community.count({ where: { id: body.compoundId } }))) return { ok: false, code: 'VALIDATION', message: 'no such compound', path: '/compoundId' };
        if (await t.grid.count({ where: { communityId: body.compoundId, name: body.name } })) return { ok: false, code: 'CONFLICT', message: `grid ${body.name} already exists in this compound` };
        const id = newId('grid');
        const g = gridView(await t.grid.create({ data: { id, communityId: body.compoundId, name: body.name }, select: gridSelect }));
        await writeAudit(t, { actor: a.actor, action: 'grid.create', entity: 'Grid', entityId: id, before: null, after: g }, a.at);
        return { ok: true, value: g };
      });
    },
    async updateGrid(id: string, patch: GridPatch, a: Actor): Promise<Outcome<GridView>> {
      return prisma.$transaction(async (t) => {
        const row = await t.grid.findUnique({ where: { id }, select: gridSelect });
        if (!row || !inScope(a.scope, row.communityId)) return { ok: false, code: 'NOT_FOUND', message: 'no such grid' };
        if (patch.name !== undefined && patch.name !== row.name && (await t.grid.count({ where: { communityId: row.communityId, name: patch.name } }))) {
          return { ok: false, code: 'CONFLICT', message: `grid ${patch.name} already exists in this compound` };
        }
        const after = gridView(await t.grid.update({ where: { id }, data: patch, select: gridSelect }));
        await writeAudit(t, { actor: a.actor, action: actionOf('grid', patch), entity: 'Grid', entityId: id, before: gridView(row), after }, a.at);
        return { ok: true, value: after };
      });
    },
    async deleteGrid(id: string, a: Actor): Promise<Outcome<null>> {
      return prisma.$transaction(async (t) => {
        const row = await t.grid.findUnique({ where: { id }, select: gridSelect });
        if (!row || !inScope(a.scope, row.communityId)) return { ok: false, code: 'NOT_FOUND', message: 'no such grid' };
        const referencedBy = Object.fromEntries(Object.entries({ households: row._count.households, contacts: row.contacts.length }).filter(([, n]) => n > 0));
        if (Object.keys(referencedBy).length > 0) {
          const list = Object.entries(referencedBy).map(([k, n]) => `${n} ${k}`).join(', ');
          return { ok: false, code: 'CONFLICT', message: `the grid is still referred to by ${list}: deactivate it instead, or move those first`, referencedBy };
        }
        await t.grid.delete({ where: { id } });
        await writeAudit(t, { actor: a.actor, action: 'grid.delete', entity: 'Grid', entityId: id, before: gridView(row), after: null }, a.at);
        return { ok: true, value: null };
      });
    },
  };
}

/** Escalation contacts stored through the administration, and the routing snapshot the alert engine loads. */
function contactAdminRepo(prisma: PrismaClient) {
  async function contactCompound(gridId: string | null): Promise<string | null | undefined> {
    if (gridId === null) return null;
    const g = await prisma.grid.findUnique({ where: { id: gridId }, select: { communityId: true } });
    return g?.communityId;
  }

  return {
    async contacts(scope: string | null, gridId: string | undefined): Promise<ContactView[]> {
      const rows = await prisma.escalationContact.findMany({
        where: { ...(gridId !== undefined ? { gridId } : {}), ...(scope !== null ? { grid: { communityId: scope } } : {}) },
        orderBy: [{ level: 'asc' }, { createdAt: 'asc' }],
      });
      return rows.map(contactView);
    },
    async contact(id: string, scope: string | null): Promise<ContactView | null> {
      const c = await prisma.escalationContact.findUnique({ where: { id } });
      return c && inScope(scope, await contactCompound(c.gridId)) ? contactView(c) : null;
    },
    async createContact(body: ContactBody, a: Actor): Promise<Outcome<ContactView>> {
      const compound = await contactCompound(body.gridId);
      if (compound === undefined || !inScope(a.scope, compound)) return { ok: false, code: 'VALIDATION', message: body.gridId === null ? 'a property manager adds contacts to a grid: give gridId' : 'no such grid', path: '/gridId' };
      return prisma.$transaction(async (t) => {
        const id = newId('esc');
        const c = contactView(await t.escalationContact.create({ data: { id, ...body } }));
        await writeAudit(t, { actor: a.actor, action: 'contact.create', entity: 'EscalationContact', entityId: id, before: null, after: c }, a.at);
        return { ok: true, value: c };
      });
    },
    async updateContact(id: string, patch: ContactPatch, a: Actor): Promise<Outcome<ContactView>> {
      const row = await prisma.escalationContact.findUnique({ where: { id } });
      if (!row || !inScope(a.scope, await contactCompound(row.gridId))) return { ok: false, code: 'NOT_FOUND', message: 'no such contact' };
      if (patch.gridId !== undefined) {
        const target = await contactCompound(patch.gridId);
        if (target === undefined || !inScope(a.scope, target)) return { ok: false, code: 'VALIDATION', message: 'no such grid', path: '/gridId' };
      }
      return prisma.$transaction(async (t) => {
        const after = contactView(await t.escalationContact.update({ where: { id }, data: patch }));
        await writeAudit(t, { actor: a.actor, action: actionOf('contact', patch), entity: 'EscalationContact', entityId: id, before: contactView(row), after }, a.at);
        return { ok: true, value: after };
      });
    },
    /** Nothing refers to a contact (deliveries keep their own copy of the target): it can always be deleted. */
    async deleteContact(id: string, a: Actor): Promise<Outcome<null>> {
      const row = await prisma.escalationContact.findUnique({ where: { id } });
      if (!row || !inScope(a.scope, await contactCompound(row.gridId))) return { ok: false, code: 'NOT_FOUND', message: 'no such contact' };
      return prisma.$transaction(async (t) => {
        await t.escalationContact.delete({ where: { id } });
        await writeAudit(t, { actor: a.actor, action: 'contact.delete', entity: 'EscalationContact', entityId: id, before: contactView(row), after: null }, a.at);
        return { ok: true, value: null };
      });
    },

    async routing(): Promise<RoutingSnapshot> {
      const [households, contacts] = await Promise.all([
        prisma.household.findMany({ where: { gridId: { not: null }, grid: { active: true } }, select: { id: true, gridId: true } }),
        prisma.escalationContact.findMany({
          where: { active: true, OR: [{ gridId: null }, { grid: { active: true } }] },
          select: { id: true, name: true, level: true, gridId: true, webhookUrl: true },
          orderBy: [{ level: 'asc' }, { createdAt: 'asc' }],
        }),
      ]);
      return { householdGrids: households.flatMap((h) => (h.gridId === null ? [] : [{ householdId: h.id, gridId: h.gridId }])), contacts };
    },
  };
}

export type GridRepo = ReturnType<typeof gridRepo>;
