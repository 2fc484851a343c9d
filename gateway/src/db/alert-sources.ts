import { DeviceKind, HouseholdTag, PlaceKind } from '../contracts';
import type { AlertPlace } from '../contracts/api/alerts';
import type { PrismaClient } from './client';
import type { Prisma } from './generated/client';

/** Where a device or household is, in words and on the site plan, with the household's tags (七彩图). */
export interface PlaceInfo {
  place: AlertPlace;
  tags: HouseholdTag[];
  householdId: string | null;
  kind: DeviceKind | null;
  /** The community's coordinates (sunrise and sunset for streetlights). */
  latitude: number;
  longitude: number;
}

const PLACE_WORDS: Record<PlaceKind, string> = {
  main_gate: '小区大门',
  vehicle_gate: '车行道闸',
  unit_door: '单元门',
  household: '住户',
  outdoor: '户外',
};

const tagsOf = (rows: { tag: string }[]) => rows.flatMap((t) => {
  const r = HouseholdTag.safeParse(t.tag);
  return r.success ? [r.data] : [];
});

const householdInclude = { tags: true, unit: { include: { building: true } } } as const;
const deviceInclude = { community: true, building: true, unit: { include: { building: true } }, household: { include: householdInclude } } as const;
type DeviceWithPlace = Prisma.DeviceGetPayload<{ include: typeof deviceInclude }>;

function placeOfDevice(d: DeviceWithPlace): PlaceInfo {
  const placeKind = PlaceKind.safeParse(d.placeKind);
  const kind = placeKind.success ? placeKind.data : null;
  const building = d.household?.unit.building ?? d.unit?.building ?? d.building;
  const unit = d.household?.unit ?? d.unit;
  let label: string;
  if (d.household && building && unit) label = `${building.name}${unit.number}单元${d.household.room}`;
  else if (kind === 'unit_door' && building && unit) label = `${building.name}${unit.number}单元门`;
  else if (kind === 'main_gate' || kind === 'vehicle_gate') label = PLACE_WORDS[kind];
  else label = d.name || (kind ? PLACE_WORDS[kind] : d.id);
  const deviceKind = DeviceKind.safeParse(d.kind);
  return {
    place: { label, kind, buildingId: building?.id ?? null, unitId: unit?.id ?? null, householdId: d.householdId, x: d.x, y: d.y },
    tags: tagsOf(d.household?.tags ?? []),
    householdId: d.householdId,
    kind: deviceKind.success ? deviceKind.data : null,
    latitude: d.community.latitude,
    longitude: d.community.longitude,
  };
}

/** Read-only look-ups the alert engine needs: places, devices to supervise, welfare subjects, stored alarm presses. */
export function alertSourceRepo(prisma: PrismaClient) {

  return {
    /** '3号楼2单元501', '3号楼2单元门', '小区大门', or the device's own name for a point on the map. */
    async devicePlace(deviceId: string): Promise<PlaceInfo | null> {
      const d = await prisma.device.findUnique({ where: { id: deviceId }, include: deviceInclude });
      return d ? placeOfDevice(d) : null;
    },

    /**
     * The places of every device of these kinds in one go (a handful of queries, not a handful per device): at start
     * the alert engine warms its cache with all alarm buttons while the whole compound reconnects.
     */
    async devicePlacesOfKinds(kinds: readonly DeviceKind[]): Promise<Map<string, PlaceInfo>> {
      const rows = await prisma.device.findMany({ where: { kind: { in: [...kinds] } }, include: deviceInclude });
      return new Map(rows.map((d) => [d.id, placeOfDevice(d)]));
    },

    async householdPlace(householdId: string): Promise<PlaceInfo | null> {
      const h = await prisma.household.findUnique({ where: { id: householdId }, include: { ...householdInclude, unit: { include: { building: { include: { community: true } } } } } });
      if (!h) return null;
      const b = h.unit.building;
      return {
        place: { label: `${b.name}${h.unit.number}单元${h.room}`, kind: 'household', buildingId: b.id, unitId: h.unitId, householdId: h.id, x: b.x, y: b.y },
        tags: tagsOf(h.tags),
        householdId: h.id,
        kind: null,
        latitude: b.community.latitude,
        longitude: b.community.longitude,
      };
    },

    /** Enabled devices with their kind, last message time and own silence window, for supervision. */
    async supervisedDevices(): Promise<Array<{ id: string; kind: DeviceKind; lastSeenAt: Date | null; supervisionSec: number | null }>> {
      const rows = await prisma.device.findMany({ where: { enabled: true }, select: { id: true, kind: true, lastSeenAt: true, supervisionSec: true } });
      return rows.flatMap((r) => {
        const k = DeviceKind.safeParse(r.kind);
        return k.success ? [{ id: r.id, kind: k.data, lastSeenAt: r.lastSeenAt, supervisionSec: r.supervisionSec }] : [];
      });
    },

    /** Households tagged elderly_alone, with their latest door grant (access/ records every decision). */
    async welfareSubjects(): Promise<Array<{ householdId: string; watchedSince: Date; lastActivityAt: Date | null }>> {
      const households = await prisma.household.findMany({ where: { tags: { some: { tag: 'elderly_alone' } } }, select: { id: true, createdAt: true } });
      if (households.length === 0) return [];
      const last = await prisma.accessEvent.groupBy({
        by: ['householdId'],
        where: { decision: 'grant', householdId: { in: households.map((h) => h.id) } },
        _max: { at: true },
      });
      const byId = new Map(last.map((l) => [l.householdId, l._max.at]));
      return households.map((h) => ({ householdId: h.id, watchedSince: h.createdAt, lastActivityAt: byId.get(h.id) ?? null }));
    },
  };
}

export type AlertSourceRepo = ReturnType<typeof alertSourceRepo>;
