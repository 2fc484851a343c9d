import { createHash } from 'node:crypto';
import { DeviceKind } from '../contracts';
import type { CompoundRef, DrawingMeta, DrawingType, PlanItem, PlanItemKind, PlanItemRole, PlanPoint } from '../contracts/api/site-plan';
import { writeAudit } from './audit';
import type { PrismaClient } from './client';

/**
 * A compound's drawn site plan: the drawing (a blob in the database — one file to back up and restore, committed in
 * the same transaction as its audit row) and where buildings and devices sit on it. Every change writes its audit
 * row in the same transaction.
 */

/** Devices a guard sees on the map, by what they are there. Indoor alarms are in flats, not on the plan. */
export function roleOfDevice(kind: DeviceKind): PlanItemRole | null {
  switch (kind) {
    case 'face_terminal':
    case 'vehicle_gate':
      return 'door';
    case 'streetlight':
      return 'lamp';
    case 'outdoor_alarm':
      return 'post';
    case 'indoor_alarm':
      return null;
  }
}

export const drawingUrl = (communityId: string) => `/api/v1/site/plans/${encodeURIComponent(communityId)}/drawing`;

type DrawingRow = { communityId: string; contentType: string; width: number; height: number; sha256: string; uploadedBy: string; uploadedAt: Date; size: number };

function metaOf(r: DrawingRow): DrawingMeta {
  return {
    contentType: r.contentType === 'image/svg+xml' ? 'image/svg+xml' : 'image/png',
    width: r.width,
    height: r.height,
    bytes: r.size,
    sha256: r.sha256,
    uploadedBy: r.uploadedBy,
    uploadedAt: r.uploadedAt.toISOString(),
    url: `${drawingUrl(r.communityId)}?v=${r.sha256.slice(0, 12)}`,
  };
}

export type PlaceResult = { ok: true; item: PlanItem } | { ok: false; code: 'NOT_FOUND' | 'CONFLICT'; message: string };

const metaSelect = { communityId: true, contentType: true, width: true, height: true, sha256: true, uploadedBy: true, uploadedAt: true } as const;

async function metaOfCompound(prisma: PrismaClient, communityId: string): Promise<DrawingMeta | null> {
  const r = await prisma.sitePlanDrawing.findUnique({ where: { communityId }, select: metaSelect });
  if (!r) return null;
  // The size without reading the blob into memory.
  const [size] = await prisma.$queryRaw<Array<{ n: number | bigint }>>`SELECT length("bytes") AS n FROM "SitePlanDrawing" WHERE "communityId" = ${communityId}`;
  return metaOf({ ...r, size: Number(size?.n ?? 0) });
}

/** Every building and placeable device of the compound, with where it is on the drawing (null: not placed yet). */
async function itemsOf(prisma: PrismaClient, communityId: string): Promise<PlanItem[]> {
  const [buildings, devices, placements] = await Promise.all([
    prisma.building.findMany({ where: { communityId }, orderBy: { number: 'asc' }, select: { id: true, name: true } }),
    prisma.device.findMany({ where: { communityId, decommissionedAt: null }, orderBy: { id: 'asc' }, select: { id: true, name: true, kind: true } }),
    placementsIn(prisma, communityId),
  ]);
  const at = (kind: PlanItemKind, id: string) => placements.get(`${kind}:${id}`) ?? null;
  return [
    ...buildings.map((b): PlanItem => ({ kind: 'building', id: b.id, name: b.name, role: 'building', deviceKind: null, plan: at('building', b.id) })),
    ...devices.flatMap((d): PlanItem[] => {
      const kind = DeviceKind.safeParse(d.kind);
      const role = kind.success ? roleOfDevice(kind.data) : null;
      return kind.success && role !== null ? [{ kind: 'device', id: d.id, name: d.name, role, deviceKind: kind.data, plan: at('device', d.id) }] : [];
    }),
  ];
}

async function placementsIn(prisma: PrismaClient, communityId: string): Promise<Map<string, PlanPoint>> {
  const rows = await prisma.sitePlacement.findMany({ where: { communityId }, select: { itemKind: true, itemId: true, x: true, y: true } });
  return new Map(rows.map((r) => [`${r.itemKind}:${r.itemId}`, { x: r.x, y: r.y }]));
}

export function sitePlanRepo(prisma: PrismaClient) {
  const meta = (communityId: string) => metaOfCompound(prisma, communityId);
  const items = (communityId: string) => itemsOf(prisma, communityId);
  const placementsOf = (communityId: string) => placementsIn(prisma, communityId);

  return {
    meta,
    items,
    placementsOf,

    /** Active compounds, oldest first; only `only` when given (a property manager's). */
    async compounds(only: string | null): Promise<Array<CompoundRef & { hasDrawing: boolean }>> {
      const [rows, drawn] = await Promise.all([
        prisma.community.findMany({ where: { active: true, ...(only !== null ? { id: only } : {}) }, orderBy: { createdAt: 'asc' }, select: { id: true, name: true } }),
        prisma.sitePlanDrawing.findMany({ select: { communityId: true } }),
      ]);
      const has = new Set(drawn.map((d) => d.communityId));
      return rows.map((r) => ({ ...r, hasDrawing: has.has(r.id) }));
    },

    async compound(id: string): Promise<CompoundRef | null> {
      return prisma.community.findUnique({ where: { id }, select: { id: true, name: true } });
    },

    async drawing(communityId: string): Promise<{ contentType: string; bytes: Uint8Array; sha256: string } | null> {
      return prisma.sitePlanDrawing.findUnique({ where: { communityId }, select: { contentType: true, bytes: true, sha256: true } });
    },

    /** Stores (or replaces) a compound's drawing; placements stay (a revised drawing of the same compound). */
    async saveDrawing(communityId: string, d: { contentType: DrawingType; width: number; height: number; bytes: Buffer }, actor: string, at: Date): Promise<DrawingMeta> {
      const sha256 = createHash('sha256').update(d.bytes).digest('hex');
      const before = await meta(communityId);
      const row = { contentType: d.contentType, width: d.width, height: d.height, bytes: new Uint8Array(d.bytes), sha256, uploadedBy: actor, uploadedAt: at };
      const after = metaOf({ communityId, ...row, size: d.bytes.length });
      await prisma.$transaction(async (tx) => {
        await tx.sitePlanDrawing.upsert({ where: { communityId }, create: { communityId, ...row }, update: row });
        await writeAudit(tx, { actor, action: before ? 'site_plan.replace_drawing' : 'site_plan.upload_drawing', entity: 'SitePlanDrawing', entityId: communityId, before, after }, at);
      });
      return after;
    },

    /** Removes the drawing (the map falls back to the generated grid); placements are kept for a new drawing. */
    async removeDrawing(communityId: string, actor: string, at: Date): Promise<boolean> {
      const before = await meta(communityId);
      if (!before) return false;
      await prisma.$transaction(async (tx) => {
        await tx.sitePlanDrawing.delete({ where: { communityId } });
        await writeAudit(tx, { actor, action: 'site_plan.remove_drawing', entity: 'SitePlanDrawing', entityId: communityId, before, after: null }, at);
      });
      return true;
    },

    /** Places (or moves) a building or a device of the compound on its drawing. */
    async place(communityId: string, kind: PlanItemKind, itemId: string, point: PlanPoint | null, actor: string, at: Date): Promise<PlaceResult> {
      const item = (await items(communityId)).find((i) => i.kind === kind && i.id === itemId);
      if (!item) return { ok: false, code: 'NOT_FOUND', message: kind === 'building' ? 'no such building in this compound' : 'no such device on this compound\u2019s plan (decommissioned devices and indoor alarms are not placed)' };
      if (point !== null && !(await prisma.sitePlanDrawing.count({ where: { communityId } }))) return { ok: false, code: 'CONFLICT', message: 'upload the compound\u2019s drawing first' };
      const entity = kind === 'building' ? 'Building' : 'Device';
      await prisma.$transaction(async (tx) => {
        if (point === null) await tx.sitePlacement.deleteMany({ where: { itemKind: kind, itemId } });
        else {
          const row = { communityId, x: point.x, y: point.y, updatedBy: actor, updatedAt: at };
          await tx.sitePlacement.upsert({ where: { itemKind_itemId: { itemKind: kind, itemId } }, create: { itemKind: kind, itemId, ...row }, update: row });
        }
        await writeAudit(tx, { actor, action: point === null ? 'site_plan.unplace' : 'site_plan.place', entity, entityId: itemId, before: { communityId, plan: item.plan }, after: { communityId, plan: point } }, at);
      });
      return { ok: true, item: { ...item, plan: point } };
    },
  };
}

export type SitePlanRepo = ReturnType<typeof sitePlanRepo>;
