import Database from 'better-sqlite3';
import { z } from 'zod';
import type { CredentialRecord, DirectorySnapshot, PassRecord, ResidentRecord } from './records/access';
import { CredentialType, DeviceKind, PlaceKind } from '../contracts';
import { type PrismaClient, type RawDb, connectionPragmas } from './client';
import type { AccessWrite, AccessWriteResult } from './access-rows';
import { createPgAccessEventWriter } from './pg-access-writer';
import type { Store } from './pg-client';
import { type GroupCommit, type GroupCommitOptions, createGroupCommit } from './group-commit';
import { walSync } from './wal-sync';

export type { AccessEventRow, AccessWrite, AccessWriteResult } from './access-rows';

const CredentialStatus = z.enum(['active', 'suspended']);
const PassStatus = z.enum(['active', 'revoked']);
const DoorIds = z.array(z.string());

/** Row → PassRecord; the allowed doors are a JSON array in one column. */
export function toPass(p: Omit<PassRecord, 'allowedDoors' | 'status'> & { allowedDoors: string; status: string }): PassRecord {
  return { ...p, allowedDoors: DoorIds.parse(JSON.parse(p.allowedDoors)), status: PassStatus.parse(p.status) };
}

export const toCredential = <T extends { type: string; status: string }>(c: T) => ({
  ...c,
  type: CredentialType.parse(c.type),
  status: CredentialStatus.parse(c.status),
});

/** One audit row: who did what to which object (AuditLog is append-only; the migration forbids UPDATE/DELETE). */
export interface AuditEntry {
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  detail?: Record<string, unknown>;
}

export const auditData = (a: AuditEntry) => ({ actor: a.actor, action: a.action, entity: a.entity, entityId: a.entityId, detail: JSON.stringify(a.detail ?? {}) });

const residentSelect = {
  id: true,
  householdId: true,
  name: true,
  status: true,
  faceConsent: true,
  faceConsentAt: true,
  household: { select: { active: true, unit: { select: { active: true, building: { select: { active: true, community: { select: { active: true } } } } } } } },
} as const;

type ResidentPlaceRow = ResidentRecord & {
  household: { active: boolean; unit: { active: boolean; building: { active: boolean; community: { active: boolean } } } };
};

/** A deactivated household, unit, building or compound opens no door for its residents (administration). */
const withPlace = (r: ResidentRecord, placeActive: boolean): ResidentRecord => ({ ...r, status: r.status === 'active' && !placeActive ? 'inactive' : r.status });

function effectiveResident({ household: h, ...r }: ResidentPlaceRow): ResidentRecord {
  return withPlace(r, h.active && h.unit.active && h.unit.building.active && h.unit.building.community.active);
}

/** Ids of deactivated households, units and buildings (a deactivated compound's buildings count as deactivated). */
async function inactivePlaces(prisma: PrismaClient) {
  const [households, units, buildings] = await Promise.all([
    prisma.household.findMany({ where: { active: false }, select: { id: true } }),
    prisma.unit.findMany({ where: { active: false }, select: { id: true } }),
    prisma.building.findMany({ where: { OR: [{ active: false }, { community: { active: false } }] }, select: { id: true } }),
  ]);
  const ids = (rows: { id: string }[]) => new Set(rows.map((r) => r.id));
  return { households: ids(households), units: ids(units), buildings: ids(buildings) };
}

export function accessRepo(prisma: PrismaClient) {
  return {
    /** Everything a door decision needs, for the in-memory directory. Passes that ended over a day ago are left out. */
    async snapshot(now: Date): Promise<DirectorySnapshot> {
      const since = new Date(now.getTime() - 86_400_000);
      const [doors, households, residents, credentials, blacklist, passes, inactive] = await Promise.all([
        prisma.device.findMany({
          where: { kind: { in: ['face_terminal', 'vehicle_gate'] } },
          select: { id: true, kind: true, name: true, placeKind: true, buildingId: true, unitId: true, enabled: true },
        }),
        prisma.household.findMany({ select: { id: true, unitId: true, label: true, unit: { select: { buildingId: true } } } }),
        prisma.resident.findMany({ select: { id: true, householdId: true, name: true, status: true, faceConsent: true, faceConsentAt: true } }),
        prisma.credential.findMany(),
        prisma.blacklist.findMany(),
        prisma.visitorPass.findMany({ where: { validUntil: { gt: since } } }),
        inactivePlaces(prisma),
      ]);
      // A flat query per table and the (few) deactivated places: nested relation selects cost seconds at 12,000 residents.
      const placeActive = new Map(
        households.map((h) => [h.id, !(inactive.households.has(h.id) || inactive.units.has(h.unitId) || inactive.buildings.has(h.unit.buildingId))]),
      );
      return {
        doors: doors.map((d) => ({ ...d, kind: DeviceKind.parse(d.kind), placeKind: PlaceKind.parse(d.placeKind) })),
        households: households.map((h) => ({ id: h.id, unitId: h.unitId, label: h.label, buildingId: h.unit.buildingId })),
        residents: residents.map((r) => withPlace(r, placeActive.get(r.householdId) ?? false)),
        credentials: credentials.map(toCredential),
        blacklist: blacklist.map((b) => ({ ...b, type: CredentialType.parse(b.type) })),
        passes: passes.map(toPass),
      };
    },

    /** One resident as a door decision needs them (status as snapshot() derives it) with their credentials; null: gone. */
    async resident(id: string): Promise<{ resident: ResidentRecord; credentials: CredentialRecord[] } | null> {
      const [r, credentials] = await Promise.all([
        prisma.resident.findUnique({ where: { id }, select: residentSelect }),
        prisma.credential.findMany({ where: { residentId: id } }),
      ]);
      return r ? { resident: effectiveResident(r), credentials: credentials.map(toCredential) } : null;
    },

    async audit(a: AuditEntry): Promise<void> {
      await prisma.auditLog.create({ data: auditData(a) });
    },

    async events(filter: { deviceId?: string; passId?: string; householdId?: string; limit: number }) {
      return prisma.accessEvent.findMany({
        where: {
          ...(filter.deviceId !== undefined ? { deviceId: filter.deviceId } : {}),
          ...(filter.passId !== undefined ? { passId: filter.passId } : {}),
          ...(filter.householdId !== undefined ? { householdId: filter.householdId } : {}),
        },
        orderBy: { at: 'desc' },
        take: filter.limit,
      });
    },

    async doorsOnline(): Promise<Map<string, boolean>> {
      const rows = await prisma.device.findMany({ where: { kind: { in: ['face_terminal', 'vehicle_gate'] } }, select: { id: true, online: true } });
      return new Map(rows.map((r) => [r.id, r.online]));
    },
  };
}

export type AccessRepo = ReturnType<typeof accessRepo>;

/**
 * Access events through group commit, like device events: thousands of decisions a second share one transaction.
 * (deviceId, requestId) is unique, so a decision uploaded twice (offline log resent, or decided both online and
 * offline) is stored once — and only a stored grant uses a pass entry. SQLite (below) or PostgreSQL
 * (createPgAccessEventWriter), by the store's kind.
 */
export function createAccessEventWriter(store: Store, opts: GroupCommitOptions): GroupCommit<AccessWrite, AccessWriteResult> & { close(): void } {
  return store.kind === 'sqlite' ? createSqliteAccessEventWriter(store.path, store.walAutocheckpointPages, opts) : createPgAccessEventWriter(store.pool, opts);
}

/**
 * Its own connection, so a decision never waits for an ingest batch. Durable like every other write (a pass's used
 * entries must survive a power cut, or a visitor could get an extra entry), but its fsync runs off the event loop:
 * the connection commits with synchronous=NORMAL and a write resolves only once `walSync` has synced the WAL behind
 * it (db/wal-sync.ts), so a slow disk no longer stops the broker while doors wait for replies.
 */
function createSqliteAccessEventWriter(path: string, walAutocheckpointPages: number, opts: GroupCommitOptions): GroupCommit<AccessWrite, AccessWriteResult> & { close(): void } {
  const raw: RawDb = new Database(path);
  for (const p of connectionPragmas(walAutocheckpointPages, 'NORMAL')) raw.pragma(p);
  const sync = walSync(path);
  const insert = raw.prepare(
    `INSERT OR IGNORE INTO AccessEvent (id, deviceId, requestId, at, receivedAt, direction, credentialType, decision, reason, residentId, passId, householdId, offline)
     VALUES (@id, @deviceId, @requestId, @at, @receivedAt, @direction, @credentialType, @decision, @reason, @residentId, @passId, @householdId, @offline)`,
  );
  const countEntry = raw.prepare('UPDATE VisitorPass SET entriesUsed = entriesUsed + 1 WHERE id = ?');
  const commit = raw.transaction((batch: AccessWrite[]) =>
    batch.map((w): AccessWriteResult => {
      const stored = insert.run({ ...w.row, offline: w.row.offline ? 1 : 0 }).changes === 1;
      if (stored && w.countEntry && w.row.passId !== null) countEntry.run(w.row.passId);
      return stored ? 'stored' : 'duplicate';
    }),
  );
  // One WAL sync per committed batch, started right after its COMMIT; each write waits for its batch's.
  const writes = createGroupCommit((batch: AccessWrite[]) => {
    const results = commit(batch);
    const synced = sync();
    return results.map((result) => ({ result, synced }));
  }, opts);
  return {
    ...writes,
    write: (w, urgent) => writes.write(w, urgent).then(({ result, synced }) => synced.then(() => result)),
    close: () => raw.close(),
  };
}
