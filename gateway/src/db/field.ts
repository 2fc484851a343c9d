import type { FieldGrid, PatrolBody, PatrolKind } from '../contracts/api/field';
import { PatrolKind as PatrolKindSchema } from '../contracts/api/field';
import { writeAudit } from './audit';
import type { PrismaClient } from './client';
import type { Alert as AlertRow, Prisma } from './generated/client';

/** Which grid each alert belongs to: the household's grid, the grid a device is in the care of, or the patrol's. */
export interface GridIndex {
  gridOf(a: { id: string; householdId: string | null; deviceId: string | null }): string | null;
  where: Prisma.AlertWhereInput;
}

/** Which grid each alert of these grids belongs to, and a filter for their alerts. */
async function gridIndexOf(prisma: PrismaClient, gridIds: readonly string[]): Promise<GridIndex> {
  const ids = [...gridIds];
  const [households, devices, patrols] = await Promise.all([
    prisma.household.findMany({ where: { gridId: { in: ids } }, select: { id: true, gridId: true } }),
    prisma.gridDevice.findMany({ where: { gridId: { in: ids } } }),
    prisma.patrolReport.findMany({ where: { gridId: { in: ids }, alertId: { not: null } }, select: { alertId: true, gridId: true } }),
  ]);
  const hh = new Map(households.flatMap((h) => (h.gridId === null ? [] : [[h.id, h.gridId] as const])));
  const dev = new Map(devices.map((d) => [d.deviceId, d.gridId] as const));
  const pat = new Map(patrols.flatMap((p) => (p.alertId === null ? [] : [[p.alertId, p.gridId] as const])));
  return {
    gridOf: (a) => pat.get(a.id) ?? (a.householdId !== null ? hh.get(a.householdId) : undefined) ?? (a.deviceId !== null ? dev.get(a.deviceId) : undefined) ?? null,
    where: { OR: [{ householdId: { in: [...hh.keys()] } }, { deviceId: { in: [...dev.keys()] } }, { id: { in: [...pat.keys()] } }] },
  };
}

/**
 * Field staff data (#16): grid workers' grids (GridWorker), devices in a grid's care (GridDevice), patrol reports,
 * and the alert rows of a set of grids.
 */
export function fieldRepo(prisma: PrismaClient) {
  return { ...fieldWorkRepo(prisma), ...patrolRepo(prisma), ...gridCareRepo(prisma) };
}

/** A worker's grids, a grid's compound and zone, and the alerts of a set of grids. */
function fieldWorkRepo(prisma: PrismaClient) {
  return {
    gridIndex: (gridIds: readonly string[]) => gridIndexOf(prisma, gridIds),

    /** The grids this user works (active grids only), with the compound's name and zone. */
    async gridsOf(userId: string): Promise<FieldGrid[]> {
      const links = await prisma.gridWorker.findMany({ where: { userId }, select: { gridId: true } });
      const grids = await prisma.grid.findMany({ where: { id: { in: links.map((l) => l.gridId) }, active: true }, include: { community: true }, orderBy: { name: 'asc' } });
      return grids.map((g) => ({ id: g.id, name: g.name, compoundId: g.communityId, compound: g.community.name, timezone: g.community.timezone }));
    },

    /** A grid with its compound (null: no such grid). */
    async grid(id: string): Promise<{ id: string; name: string; communityId: string; timezone: string } | null> {
      const g = await prisma.grid.findUnique({ where: { id }, include: { community: { select: { timezone: true } } } });
      return g ? { id: g.id, name: g.name, communityId: g.communityId, timezone: g.community.timezone } : null;
    },

    async gridsIn(communityId: string | null): Promise<Array<{ id: string; name: string; communityId: string; timezone: string }>> {
      const rows = await prisma.grid.findMany({ where: communityId === null ? {} : { communityId }, include: { community: { select: { timezone: true } } }, orderBy: { name: 'asc' } });
      return rows.map((g) => ({ id: g.id, name: g.name, communityId: g.communityId, timezone: g.community.timezone }));
    },

    /** The zone of the (first) compound, for answers that concern no grid. */
    async defaultZone(): Promise<string> {
      return (await prisma.community.findFirst({ orderBy: { createdAt: 'asc' }, select: { timezone: true } }))?.timezone ?? 'Asia/Shanghai';
    },

    /** Alerts of these grids matching `where` (newest first). */
    async alerts(gridIds: readonly string[], where: Prisma.AlertWhereInput, take = 200): Promise<{ rows: AlertRow[]; index: GridIndex }> {
      const index = await gridIndexOf(prisma, gridIds);
      const rows = await prisma.alert.findMany({ where: { AND: [index.where, where] }, orderBy: { firstAt: 'desc' }, take });
      return { rows, index };
    },

    /** On-site confirmations recorded on these alerts (their history rows' detail: late, lateSec, lateReason). */
    async onSiteRows(alertIds: readonly string[]) {
      return prisma.alertHistory.findMany({ where: { alertId: { in: [...alertIds] }, action: 'on_site' }, select: { alertId: true, actor: true, at: true, detail: true } });
    },
  };
}

/** Patrol reports (with their photo) and the alerts they became. */
function patrolRepo(prisma: PrismaClient) {
  return {
    async createPatrol(id: string, body: PatrolBody, photo: Buffer | null, reportedBy: string, at: Date): Promise<void> {
      await prisma.patrolReport.create({
        data: { id, gridId: body.gridId, reportedBy, kind: body.kind, place: body.place, text: body.text, photo: photo === null ? null : new Uint8Array(photo), photoType: photo === null ? null : (body.photo?.type ?? null), createdAt: at },
      });
    },
    async linkPatrol(id: string, alertId: string): Promise<void> {
      await prisma.patrolReport.update({ where: { id }, data: { alertId } });
    },
    async patrol(id: string): Promise<{ id: string; alertId: string | null; gridId: string; kind: PatrolKind; place: string; text: string; reportedBy: string; hasPhoto: boolean; createdAt: Date } | null> {
      const r = await prisma.patrolReport.findUnique({ where: { id }, omit: { photo: true } });
      return r ? { ...r, kind: PatrolKindSchema.parse(r.kind), hasPhoto: r.photoType !== null } : null;
    },
    async patrolByAlert(alertId: string) {
      const r = await prisma.patrolReport.findUnique({ where: { alertId }, omit: { photo: true } });
      return r ? { ...r, kind: PatrolKindSchema.parse(r.kind), hasPhoto: r.photoType !== null } : null;
    },
    async patrolPhoto(alertId: string): Promise<{ gridId: string; type: string; bytes: Buffer } | null> {
      const r = await prisma.patrolReport.findUnique({ where: { alertId }, select: { gridId: true, photo: true, photoType: true } });
      return r && r.photo !== null && r.photoType !== null ? { gridId: r.gridId, type: r.photoType, bytes: Buffer.from(r.photo) } : null;
    },
    async patrolCount(gridId: string, from: Date, to: Date): Promise<number> {
      return prisma.patrolReport.count({ where: { gridId, createdAt: { gte: from, lt: to } } });
    },
  };
}

/** Administration: who works a grid, which devices it looks after (each change audited). */
function gridCareRepo(prisma: PrismaClient) {
  return {
    async workers(gridId: string) {
      const links = await prisma.gridWorker.findMany({ where: { gridId } });
      const users = await prisma.user.findMany({ where: { id: { in: links.map((l) => l.userId) } }, select: { id: true, username: true, displayName: true }, orderBy: { username: 'asc' } });
      return users.map((u) => ({ userId: u.id, username: u.username, displayName: u.displayName }));
    },
    /** Adds a grid_worker account to a grid; null when there is no such grid_worker account. */
    async addWorker(gridId: string, username: string, actor: string, at: Date): Promise<'ok' | 'no_user'> {
      return prisma.$transaction(async (t) => {
        const u = await t.user.findUnique({ where: { username }, select: { id: true, role: true } });
        if (!u || u.role !== 'grid_worker') return 'no_user';
        await t.gridWorker.upsert({ where: { gridId_userId: { gridId, userId: u.id } }, create: { gridId, userId: u.id, createdAt: at }, update: {} });
        await writeAudit(t, { actor, action: 'grid.worker.add', entity: 'Grid', entityId: gridId, before: null, after: { userId: u.id } }, at);
        return 'ok';
      });
    },
    async removeWorker(gridId: string, userId: string, actor: string, at: Date): Promise<boolean> {
      return prisma.$transaction(async (t) => {
        const n = await t.gridWorker.deleteMany({ where: { gridId, userId } });
        if (n.count > 0) await writeAudit(t, { actor, action: 'grid.worker.remove', entity: 'Grid', entityId: gridId, before: { userId }, after: null }, at);
        return n.count > 0;
      });
    },
    async devices(gridId: string): Promise<string[]> {
      return (await prisma.gridDevice.findMany({ where: { gridId }, orderBy: { deviceId: 'asc' } })).map((d) => d.deviceId);
    },
    /** Puts a device of the grid's compound in the grid's care (a device is in one grid's care at most). */
    async setDevice(gridId: string, communityId: string, deviceId: string, actor: string, at: Date): Promise<'ok' | 'no_device'> {
      return prisma.$transaction(async (t) => {
        const d = await t.device.findUnique({ where: { id: deviceId }, select: { communityId: true } });
        if (!d || d.communityId !== communityId) return 'no_device';
        await t.gridDevice.upsert({ where: { deviceId }, create: { deviceId, gridId }, update: { gridId } });
        await writeAudit(t, { actor, action: 'grid.device.set', entity: 'Grid', entityId: gridId, before: null, after: { deviceId } }, at);
        return 'ok';
      });
    },
    async removeDevice(gridId: string, deviceId: string, actor: string, at: Date): Promise<boolean> {
      return prisma.$transaction(async (t) => {
        const n = await t.gridDevice.deleteMany({ where: { gridId, deviceId } });
        if (n.count > 0) await writeAudit(t, { actor, action: 'grid.device.remove', entity: 'Grid', entityId: gridId, before: { deviceId }, after: null }, at);
        return n.count > 0;
      });
    },
  };
}

export type FieldRepo = ReturnType<typeof fieldRepo>;
