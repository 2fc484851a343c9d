import { DeviceKind, PlaceKind } from '../contracts';
import { Criticality } from '../contracts/api/devices';
import { type AuditEntry, auditData } from './access';
import type { PrismaClient } from './client';

const select = {
  id: true,
  kind: true,
  name: true,
  communityId: true,
  placeKind: true,
  buildingId: true,
  unitId: true,
  householdId: true,
  x: true,
  y: true,
  enabled: true,
  criticality: true,
  supervisionSec: true,
  online: true,
  lastSeenAt: true,
  firmware: true,
  clockDriftSec: true,
  prevSecretUntil: true,
  decommissionedAt: true,
  createdAt: true,
} as const;

export interface DeviceRecord {
  id: string;
  kind: DeviceKind;
  name: string;
  communityId: string;
  placeKind: PlaceKind;
  buildingId: string | null;
  unitId: string | null;
  householdId: string | null;
  x: number;
  y: number;
  enabled: boolean;
  criticality: Criticality | null;
  supervisionSec: number | null;
  online: boolean;
  lastSeenAt: Date | null;
  firmware: string | null;
  clockDriftSec: number | null;
  prevSecretUntil: Date | null;
  decommissionedAt: Date | null;
  createdAt: Date;
}

type Row = { [K in keyof DeviceRecord]: K extends 'kind' | 'placeKind' | 'criticality' ? string | null : DeviceRecord[K] };

const record = (r: Row): DeviceRecord => ({
  ...r,
  kind: DeviceKind.parse(r.kind),
  placeKind: PlaceKind.parse(r.placeKind),
  criticality: r.criticality === null ? null : Criticality.parse(r.criticality),
});

export type DeviceWrite = Partial<{
  name: string;
  x: number;
  y: number;
  enabled: boolean;
  criticality: Criticality;
  supervisionSec: number | null;
  secretHash: string;
  authMemo: null;
  prevSecretHash: string | null;
  prevSecretUntil: Date | null;
  decommissionedAt: Date;
}>;

/** Devices for administration (devices/): provisioning, rotation, state. Every change is written with its audit row. */
export function deviceAdminRepo(prisma: PrismaClient) {
  return {
    async list(where: { communityId?: string; status?: 'active' | 'disabled' | 'decommissioned' }): Promise<DeviceRecord[]> {
      const status =
        where.status === 'decommissioned'
          ? { decommissionedAt: { not: null } }
          : where.status === 'disabled'
            ? { enabled: false, decommissionedAt: null }
            : where.status === 'active'
              ? { enabled: true, decommissionedAt: null }
              : {};
      const rows = await prisma.device.findMany({ where: { ...(where.communityId ? { communityId: where.communityId } : {}), ...status }, select, orderBy: { id: 'asc' } });
      return rows.map(record);
    },
    async get(id: string): Promise<DeviceRecord | null> {
      const r = await prisma.device.findUnique({ where: { id }, select });
      return r ? record(r) : null;
    },
    /** The current hash, kept as the previous one during a rotation's grace period. */
    async secretHashOf(id: string): Promise<string | null> {
      return (await prisma.device.findUnique({ where: { id }, select: { secretHash: true } }))?.secretHash ?? null;
    },
    exists: async (id: string) => (await prisma.device.count({ where: { id } })) > 0,
    /** The place exists and hangs together: the unit in the building, the household in the unit, all in the compound. */
    async placeProblem(p: { communityId: string; buildingId?: string | undefined; unitId?: string | undefined; householdId?: string | undefined }): Promise<string | null> {
      if ((await prisma.community.count({ where: { id: p.communityId } })) === 0) return 'communityId: no such compound';
      if (p.buildingId !== undefined && (await prisma.building.count({ where: { id: p.buildingId, communityId: p.communityId } })) === 0) return 'buildingId: no such building in this compound';
      if (p.unitId !== undefined) {
        const u = await prisma.unit.findUnique({ where: { id: p.unitId }, select: { buildingId: true, building: { select: { communityId: true } } } });
        if (!u || u.building.communityId !== p.communityId || (p.buildingId !== undefined && u.buildingId !== p.buildingId)) return 'unitId: no such unit here';
      }
      if (p.householdId !== undefined) {
        const h = await prisma.household.findUnique({ where: { id: p.householdId }, select: { unitId: true, unit: { select: { building: { select: { communityId: true } } } } } });
        if (!h || h.unit.building.communityId !== p.communityId || (p.unitId !== undefined && h.unitId !== p.unitId)) return 'householdId: no such household here';
      }
      return null;
    },
    async create(
      data: {
        id: string;
        kind: DeviceKind;
        name: string;
        communityId: string;
        placeKind: PlaceKind;
        buildingId: string | null;
        unitId: string | null;
        householdId: string | null;
        x: number;
        y: number;
        criticality: Criticality;
        supervisionSec: number;
        secretHash: string;
      },
      audit: AuditEntry,
    ): Promise<DeviceRecord> {
      const [r] = await prisma.$transaction([prisma.device.create({ data, select }), prisma.auditLog.create({ data: auditData(audit) })]);
      return record(r);
    },
    async update(id: string, data: DeviceWrite, audit: AuditEntry): Promise<DeviceRecord> {
      const [r] = await prisma.$transaction([prisma.device.update({ where: { id }, data, select }), prisma.auditLog.create({ data: auditData(audit) })]);
      return record(r);
    },
    /** From a heartbeat: not audited (the device's own report, not a person's change). */
    async setHealth(id: string, firmware: string | null, clockDriftSec: number): Promise<void> {
      await prisma.device.updateMany({ where: { id }, data: { ...(firmware !== null ? { firmware } : {}), clockDriftSec } });
    },
    /** Setup checklist counts. */
    async counts(): Promise<{ communities: number; buildings: number; households: number; devices: number; guards: number; adminPasswordChanged: boolean }> {
      const [communities, buildings, households, devices, guards, changed] = await Promise.all([
        prisma.community.count(),
        prisma.building.count(),
        prisma.household.count(),
        prisma.device.count({ where: { decommissionedAt: null } }),
        prisma.user.count({ where: { role: 'guard', disabled: false } }),
        prisma.user.count({ where: { role: 'admin', disabled: false, mustChangePassword: false } }),
      ]);
      return { communities, buildings, households, devices, guards, adminPasswordChanged: changed > 0 };
    },
  };
}

export type DeviceAdminRepo = ReturnType<typeof deviceAdminRepo>;
