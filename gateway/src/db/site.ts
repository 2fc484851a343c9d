import { z } from 'zod';
import { DeviceKind, HouseholdTag, PlaceKind } from '../contracts';
import type { AccessLogQuery, SitePlan } from '../contracts/api/site';
import type { PrismaClient } from './client';
import type { Store } from './pg-client';
import { type SitePlanRepo, sitePlanRepo } from './site-plan';

/** Wall to the first building in the seeded layout (seed/layout.ts): the compound extends that far past them. */
const SITE_MARGIN = 20;

/** Channels whose latest message is a device's current state (site/state.ts folds the later ones in memory). */
export const STATE_CHANNELS = ['door/state', 'barrier/state', 'light/state', 'battery/low'] as const;

/** Noise for a person reading a device's history: proof-of-life and raw requests (the access log has decisions). */
const HIDDEN_CHANNELS = ['heartbeat', 'access/request', 'plate/read', 'access/offline-log'];

const Tags = z.array(HouseholdTag);

export interface StoredDeviceEvent {
  seq: number;
  deviceId: string;
  channel: string;
  payload: unknown;
  deviceTime: Date;
  receivedAt: Date;
}

const RawEvent = z.object({
  seq: z.number(),
  deviceId: z.string(),
  channel: z.string(),
  payload: z.string(),
  // SQLite: the adapter's ISO text; PostgreSQL: timestamptz as a Date.
  deviceTime: z.union([z.string(), z.number(), z.date()]),
  receivedAt: z.union([z.string(), z.number(), z.date()]),
});

function toStored(row: unknown): StoredDeviceEvent {
  const r = RawEvent.parse(row);
  let payload: unknown = null;
  try {
    payload = JSON.parse(r.payload);
  } catch {
    payload = null;
  }
  return { seq: r.seq, deviceId: r.deviceId, channel: r.channel, payload, deviceTime: new Date(r.deviceTime), receivedAt: new Date(r.receivedAt) };
}

/**
 * One compound's plan: `communityId` if given, else the caller's compound (`scope`), else the first. Null when
 * that compound does not exist or is outside the caller's scope. Decommissioned devices are left out.
 */
async function loadSitePlan(prisma: PrismaClient, plans: SitePlanRepo, opts: { communityId?: string | undefined; scope: string | null }): Promise<SitePlan | null> {
  const compounds = await plans.compounds(opts.scope);
  const wanted = opts.communityId ?? opts.scope ?? compounds[0]?.id;
  const any = wanted === undefined;
  const community = any ? null : await prisma.community.findUnique({ where: { id: wanted } });
  if (!any && (!community || (opts.scope !== null && opts.scope !== community.id))) return null;
  const where = community ? { communityId: community.id } : {};
  const [buildings, devices, drawing, placed] = await Promise.all([
    prisma.building.findMany({ where, orderBy: { number: 'asc' }, include: { units: { orderBy: { number: 'asc' }, select: { id: true, number: true } } } }),
    prisma.device.findMany({
      where: { ...where, decommissionedAt: null },
      orderBy: { id: 'asc' },
      select: {
        id: true, kind: true, name: true, placeKind: true, buildingId: true, unitId: true, householdId: true, x: true, y: true, enabled: true,
        household: { select: { label: true, tags: { select: { tag: true } } } },
      },
    }),
    community ? plans.meta(community.id) : null,
    community ? plans.placementsOf(community.id) : new Map<string, { x: number; y: number }>(),
  ]);
  const at = (kind: 'building' | 'device', id: string) => (drawing ? (placed.get(`${kind}:${id}`) ?? null) : null);
  let width = 1;
  let depth = 1;
  for (const b of buildings) {
    width = Math.max(width, b.x + b.width + SITE_MARGIN);
    depth = Math.max(depth, b.y + b.depth + SITE_MARGIN);
  }
  for (const d of devices) {
    width = Math.max(width, d.x + SITE_MARGIN / 2);
    depth = Math.max(depth, d.y + SITE_MARGIN / 2);
  }
  return {
    community: community ? { id: community.id, name: community.name, timezone: community.timezone } : { id: '', name: '', timezone: 'Asia/Shanghai' },
    width,
    depth,
    buildings: buildings.map((b) => ({ id: b.id, number: b.number, name: b.name, x: b.x, y: b.y, width: b.width, depth: b.depth, floors: b.floors, units: b.units, plan: at('building', b.id) })),
    devices: devices.map((d) => ({
      id: d.id,
      kind: DeviceKind.parse(d.kind),
      name: d.name,
      placeKind: PlaceKind.parse(d.placeKind),
      buildingId: d.buildingId,
      unitId: d.unitId,
      householdId: d.householdId,
      householdLabel: d.household?.label ?? null,
      tags: Tags.parse(d.household?.tags.map((t) => t.tag) ?? []),
      x: d.x,
      y: d.y,
      enabled: d.enabled,
      plan: at('device', d.id),
    })),
    compounds: compounds.map(({ id, name }) => ({ id, name })),
    drawing,
  };
}

/** Door decisions matching the filters, newest first, with the names a guard reads (not yet masked). */
/**
 * A text search that ignores ASCII case on both stores: SQLite's LIKE (Prisma's `contains`) already does; PostgreSQL's
 * needs `mode: 'insensitive'` (ILIKE), which the SQLite client's types do not know (the two generated clients share
 * the SQLite one's types, db/pg-client.ts).
 */
function containsText(kind: Store['kind'], words: string): { contains: string } {
  if (kind === 'sqlite') return { contains: words };
  const ilike = { contains: words, mode: 'insensitive' };
  return ilike;
}

async function loadAccessLog(prisma: PrismaClient, kind: Store['kind'], q: AccessLogQuery) {
  const ors: object[] = [];
  if (q.q !== undefined && q.q !== '') {
    const text = containsText(kind, q.q);
    const [households, devices, passes, residents] = await Promise.all([
      prisma.household.findMany({ where: { label: text }, select: { id: true }, take: 500 }),
      prisma.device.findMany({ where: { OR: [{ name: text }, { id: text }] }, select: { id: true }, take: 500 }),
      prisma.visitorPass.findMany({ where: { visitorName: text }, select: { id: true }, take: 500 }),
      prisma.resident.findMany({ where: { name: text }, select: { id: true }, take: 500 }),
    ]);
    ors.push(
      { householdId: { in: households.map((h) => h.id) } },
      { deviceId: { in: devices.map((d) => d.id) } },
      { passId: { in: passes.map((p) => p.id) } },
      { residentId: { in: residents.map((r) => r.id) } },
    );
  }
  const where = {
    ...(q.deviceId !== undefined ? { deviceId: q.deviceId } : {}),
    ...(q.decision !== undefined ? { decision: q.decision } : {}),
    ...(q.credentialType !== undefined ? { credentialType: q.credentialType } : {}),
    ...(q.from !== undefined || q.to !== undefined
      ? { at: { ...(q.from !== undefined ? { gte: new Date(q.from) } : {}), ...(q.to !== undefined ? { lt: new Date(q.to) } : {}) } }
      : {}),
    ...(ors.length > 0 ? { OR: ors } : {}),
  };
  const [total, rows] = await Promise.all([
    prisma.accessEvent.count({ where }),
    prisma.accessEvent.findMany({ where, orderBy: { at: 'desc' }, take: q.limit, skip: q.offset }),
  ]);
  const ids = <K extends 'deviceId' | 'householdId' | 'residentId' | 'passId'>(k: K) => [...new Set(rows.flatMap((r) => (r[k] ? [r[k]] : [])))];
  const [devices, households, residents, passes] = await Promise.all([
    prisma.device.findMany({ where: { id: { in: ids('deviceId') } }, select: { id: true, name: true } }),
    prisma.household.findMany({ where: { id: { in: ids('householdId') } }, select: { id: true, label: true } }),
    prisma.resident.findMany({ where: { id: { in: ids('residentId') } }, select: { id: true, name: true } }),
    prisma.visitorPass.findMany({ where: { id: { in: ids('passId') } }, select: { id: true, visitorName: true } }),
  ]);
  const name = new Map(devices.map((d) => [d.id, d.name]));
  const label = new Map(households.map((h) => [h.id, h.label]));
  const resident = new Map(residents.map((r) => [r.id, r.name]));
  const visitor = new Map(passes.map((p) => [p.id, p.visitorName]));
  return {
    total,
    rows: rows.map((r) => ({
      ...r,
      deviceName: name.get(r.deviceId) ?? r.deviceId,
      householdLabel: r.householdId ? (label.get(r.householdId) ?? null) : null,
      residentName: r.residentId ? (resident.get(r.residentId) ?? null) : null,
      visitorName: r.passId ? (visitor.get(r.passId) ?? null) : null,
    })),
  };
}

/** The two reads of stored device messages, in each store's SQL. */
function eventReads(store: Store): { latestOfChannel(channel: string): Promise<unknown[]>; recent(deviceId: string, limit: number): Promise<unknown[]> } {
  if (store.kind === 'sqlite') {
    // SQLite returns the bare columns of the row that holds max(seq) in each group.
    const latest = store.raw.prepare('SELECT max(seq) AS seq, deviceId, channel, payload, deviceTime, receivedAt FROM DeviceEvent WHERE channel = ? GROUP BY deviceId');
    const recent = store.raw.prepare(
      `SELECT seq, deviceId, channel, payload, deviceTime, receivedAt FROM DeviceEvent
        WHERE deviceId = ? AND channel NOT IN (${HIDDEN_CHANNELS.map(() => '?').join(', ')}) ORDER BY seq DESC LIMIT ?`,
    );
    return {
      latestOfChannel: (channel) => Promise.resolve(latest.all(channel)),
      recent: (deviceId, limit) => Promise.resolve(recent.all(deviceId, ...HIDDEN_CHANNELS, limit)),
    };
  }
  const { pool } = store;
  return {
    latestOfChannel: async (channel) =>
      (await pool.query(
        `SELECT DISTINCT ON ("deviceId") seq, "deviceId", channel, payload, "deviceTime", "receivedAt" FROM "DeviceEvent"
          WHERE channel = $1 ORDER BY "deviceId", seq DESC`,
        [channel],
      )).rows,
    recent: async (deviceId, limit) =>
      (await pool.query(
        `SELECT seq, "deviceId", channel, payload, "deviceTime", "receivedAt" FROM "DeviceEvent"
          WHERE "deviceId" = $1 AND channel <> ALL($2::text[]) ORDER BY seq DESC LIMIT $3`,
        [deviceId, HIDDEN_CHANNELS, limit],
      )).rows,
  };
}

/** Read-only queries behind the guard station's site plan, device list and access log. */
export function siteRepo(store: Store) {
  const { prisma } = store;
  const reads = eventReads(store);
  const plans = sitePlanRepo(prisma);

  return {
    /** One compound's plan (loadSitePlan). */
    sitePlan: (opts: { communityId?: string | undefined; scope: string | null }): Promise<SitePlan | null> => loadSitePlan(prisma, plans, opts),

    async devicesSeen(): Promise<Array<{ id: string; kind: DeviceKind; lastSeenAt: Date | null }>> {
      const rows = await prisma.device.findMany({ select: { id: true, kind: true, lastSeenAt: true } });
      return rows.flatMap((r) => {
        const kind = DeviceKind.safeParse(r.kind);
        return kind.success ? [{ id: r.id, kind: kind.data, lastSeenAt: r.lastSeenAt }] : [];
      });
    },

    /** The latest stored message of each state channel, per device (where the in-memory states start from). */
    async latestStates(): Promise<StoredDeviceEvent[]> {
      return (await Promise.all(STATE_CHANNELS.map(async (c) => (await reads.latestOfChannel(c)).map(toStored)))).flat();
    },

    async recentEvents(deviceId: string, limit: number): Promise<StoredDeviceEvent[]> {
      return (await reads.recent(deviceId, limit)).map(toStored);
    },

    async deviceExists(id: string): Promise<boolean> {
      return (await prisma.device.count({ where: { id } })) > 0;
    },

    /** Door decisions matching the filters, newest first, with names (loadAccessLog). */
    accessLog: (q: AccessLogQuery) => loadAccessLog(prisma, store.kind, q),
  };
}

export type SiteRepo = ReturnType<typeof siteRepo>;
