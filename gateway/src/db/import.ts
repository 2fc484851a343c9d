import { randomBytes } from 'node:crypto';
import type { DeviceKind, HouseholdTag, PlaceKind } from '../contracts';
import type { ImportCounts, ImportIssue, Tally } from '../contracts/api/transfer';
import { isoStored } from './time';

interface Where {
  sheet: string;
  row: number;
}

export interface HouseholdKey {
  building: number;
  unit: number;
  room: string;
}

/** One resident row, its secrets already hashed by the caller (db/ never sees a card number). */
export interface ResidentWrite extends HouseholdKey {
  at: Where;
  name?: string;
  phone?: string;
  /** 与户主关系 (ResidentRelation); undefined: the cell is empty or there is no such column, leave it. */
  relation?: string;
  cards: Array<{ lookupHash: string; hint: string }>;
  plates: string[];
}

export interface HouseholdWrite extends HouseholdKey {
  at: Where;
  /** undefined: the file has no tags column, leave them; otherwise the household's tags become exactly these. */
  tags?: HouseholdTag[];
}

export interface DeviceWrite {
  at: Where;
  deviceId: string;
  kind: DeviceKind;
  name: string;
  place: PlaceKind;
  building?: number;
  unit?: number;
  room?: string;
  x?: number;
  y?: number;
}

export interface ImportPlan {
  communityId: string;
  actor: string;
  fileName: string;
  households: HouseholdWrite[];
  residents: ResidentWrite[];
  devices: DeviceWrite[];
  /** argon2id hashes for devices that may be new (the caller hashed them; the KDF cannot run in a transaction). */
  deviceSecretHashes: ReadonlyMap<string, string>;
  supervisionSec: Record<DeviceKind, number>;
}

export type ImportOutcome =
  | { ok: true; counts: ImportCounts; createdDevices: string[]; auditId: number | null }
  | { ok: false; counts: ImportCounts; issues: ImportIssue[] };

const tally = (): Tally => ({ created: 0, updated: 0, unchanged: 0 });
export const emptyCounts = (): ImportCounts => ({
  buildings: tally(),
  units: tally(),
  households: tally(),
  residents: tally(),
  cards: tally(),
  plates: tally(),
  devices: tally(),
});

const newId = (prefix: string) => `${prefix}-${randomBytes(9).toString('base64url')}`;

/** New buildings are placed on a plain grid of the site plan until someone draws them where they stand. */
const GRID = { columns: 6, dx: 40, dy: 30, margin: 20 };

/**
 * The import's statements, written once for both engines: identifiers quoted (PostgreSQL folds unquoted ones to lower
 * case; SQLite reads them the same), `?` placeholders (numbered for PostgreSQL), booleans as TRUE/FALSE.
 */
const SQL = {
  community: 'SELECT "id" FROM "Community" WHERE "id" = ?',
  building: 'SELECT "id", "x", "y" FROM "Building" WHERE "communityId" = ? AND "number" = ?',
  buildingCount: 'SELECT COUNT(*) AS n FROM "Building" WHERE "communityId" = ?',
  idTaken: (table: 'Building' | 'Unit' | 'Household') => `SELECT 1 AS one FROM "${table}" WHERE "id" = ?`,
  insertBuilding: 'INSERT INTO "Building" ("id", "communityId", "number", "name", "x", "y") VALUES (?, ?, ?, ?, ?, ?)',
  unit: 'SELECT "id" FROM "Unit" WHERE "buildingId" = ? AND "number" = ?',
  insertUnit: 'INSERT INTO "Unit" ("id", "buildingId", "number") VALUES (?, ?, ?)',
  household: 'SELECT "id" FROM "Household" WHERE "unitId" = ? AND "room" = ?',
  labelOwner: 'SELECT "id" FROM "Household" WHERE "label" = ?',
  insertHousehold: 'INSERT INTO "Household" ("id", "unitId", "room", "label", "createdAt") VALUES (?, ?, ?, ?, ?)',
  tags: 'SELECT "tag" FROM "HouseholdTag" WHERE "householdId" = ? ORDER BY "tag"',
  clearTags: 'DELETE FROM "HouseholdTag" WHERE "householdId" = ?',
  insertTag: 'INSERT INTO "HouseholdTag" ("householdId", "tag") VALUES (?, ?)',
  resident: 'SELECT "id", "phone", "relation" FROM "Resident" WHERE "householdId" = ? AND "name" = ? ORDER BY "createdAt" LIMIT 1',
  insertResident: 'INSERT INTO "Resident" ("id", "householdId", "name", "phone", "relation", "status", "createdAt") VALUES (?, ?, ?, ?, ?, \'active\', ?)',
  setPhone: 'UPDATE "Resident" SET "phone" = ? WHERE "id" = ?',
  setRelation: 'UPDATE "Resident" SET "relation" = ? WHERE "id" = ?',
  credBy: (key: '"lookupHash"' | '"plate"', type: 'card' | 'plate') =>
    `SELECT c."id", c."residentId", b."communityId" FROM "Credential" c JOIN "Resident" r ON r."id" = c."residentId" JOIN "Household" h ON h."id" = r."householdId" JOIN "Unit" u ON u."id" = h."unitId" JOIN "Building" b ON b."id" = u."buildingId" WHERE c."type" = '${type}' AND c.${key} = ?`,
  blacklistedHash: 'SELECT 1 AS one FROM "Blacklist" WHERE "type" = \'card\' AND "lookupHash" = ?',
  blacklistedPlate: 'SELECT 1 AS one FROM "Blacklist" WHERE "type" = \'plate\' AND "plate" = ?',
  insertCred: 'INSERT INTO "Credential" ("id", "residentId", "type", "lookupHash", "plate", "hint", "status", "createdAt") VALUES (?, ?, ?, ?, ?, ?, \'active\', ?)',
  moveCred: 'UPDATE "Credential" SET "residentId" = ? WHERE "id" = ?',
  device: 'SELECT "id", "kind", "name", "communityId", "placeKind", "buildingId", "unitId", "householdId", "x", "y" FROM "Device" WHERE "id" = ?',
  insertDevice:
    'INSERT INTO "Device" ("id", "kind", "name", "communityId", "placeKind", "buildingId", "unitId", "householdId", "x", "y", "secretHash", "enabled", "supervisionSec", "online", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, TRUE, ?, FALSE, ?)',
  updateDevice: 'UPDATE "Device" SET "name" = ?, "placeKind" = ?, "buildingId" = ?, "unitId" = ?, "householdId" = ?, "x" = ?, "y" = ? WHERE "id" = ?',
  audit: 'INSERT INTO "AuditLog" ("at", "actor", "action", "entity", "entityId", "detail") VALUES (?, ?, ?, ?, ?, ?) RETURNING "id"',
} as const;

/**
 * A statement the import asks its engine to run. The import is written as generators that yield these and receive
 * the answer, so the one sequence of statements runs synchronously on SQLite (db/import-engines.ts) and awaits each
 * answer on PostgreSQL. `get` answers the first row or undefined, `all` the rows, `run` the number of rows changed.
 */
export interface Ask {
  mode: 'get' | 'all' | 'run';
  sql: string;
  args: unknown[];
}
export type Work<T> = Generator<Ask, T, unknown>;

function* get<T>(sql: string, ...args: unknown[]): Work<T | undefined> {
  return (yield { mode: 'get', sql, args }) as T | undefined;
}
function* all<T>(sql: string, ...args: unknown[]): Work<T[]> {
  return (yield { mode: 'all', sql, args }) as T[];
}
function* exec(sql: string, ...args: unknown[]): Work<number> {
  return (yield { mode: 'run', sql, args }) as number;
}

/** One import while its transaction runs: its plan, what it wrote and found wrong, the ids it resolved. */
interface ImportRun {
  plan: ImportPlan;
  dryRun: boolean;
  now: string;
  counts: ImportCounts;
  issues: ImportIssue[];
  createdDevices: string[];
  buildings: Map<number, { id: string; x: number; y: number }>;
  units: Map<string, string>;
  households: Map<string, string>;
  /** Households this file created (counted as created only, whatever later rows say). */
  createdNow: Set<string>;
}

const issue = (run: ImportRun, at: Where, column: string | null, reason: string) => run.issues.push({ sheet: at.sheet, row: at.row, column, reason });
function* freeId(table: 'Building' | 'Unit' | 'Household', wanted: string, prefix: string): Work<string> {
  return (yield* get(SQL.idTaken(table), wanted)) === undefined ? wanted : newId(prefix);
}

/** The compound's building `n`: found, or created in the next free spot of the layout grid. */
function* building(run: ImportRun, n: number): Work<{ id: string; x: number; y: number }> {
  const known = run.buildings.get(n);
  if (known) return known;
  let b = yield* get<{ id: string; x: number; y: number }>(SQL.building, run.plan.communityId, n);
  if (b) run.counts.buildings.unchanged++;
  else {
    // COUNT(*) is a bigint on PostgreSQL (a string in node-postgres), a number on SQLite.
    const i = Number((yield* get<{ n: number | string }>(SQL.buildingCount, run.plan.communityId))?.n ?? 0);
    const id = yield* freeId('Building', `${run.plan.communityId}-b${String(n).padStart(2, '0')}`, 'bld');
    b = { id, x: GRID.margin + (i % GRID.columns) * GRID.dx, y: GRID.margin + Math.floor(i / GRID.columns) * GRID.dy };
    yield* exec(SQL.insertBuilding, b.id, run.plan.communityId, n, `${n}号楼`, b.x, b.y);
    run.counts.buildings.created++;
  }
  run.buildings.set(n, b);
  return b;
}

/** Unit `un` of building `bn`: found, or created. */
function* unit(run: ImportRun, bn: number, un: number): Work<string> {
  const key = `${bn}-${un}`;
  const known = run.units.get(key);
  if (known) return known;
  const b = yield* building(run, bn);
  let id = (yield* get<{ id: string }>(SQL.unit, b.id, un))?.id;
  if (id) run.counts.units.unchanged++;
  else {
    id = yield* freeId('Unit', `${b.id}-u${un}`, 'unit');
    yield* exec(SQL.insertUnit, id, b.id, un);
    run.counts.units.created++;
  }
  run.units.set(key, id);
  return id;
}

/** The household's id, or null (with an issue) when its label belongs to a household of another compound. */
function* household(run: ImportRun, k: HouseholdKey, at: Where): Work<string | null> {
  const label = `${k.building}-${k.unit}-${k.room}`;
  const known = run.households.get(label);
  if (known) return known;
  const unitId = yield* unit(run, k.building, k.unit);
  let id = (yield* get<{ id: string }>(SQL.household, unitId, k.room))?.id;
  if (!id) {
    if (yield* get(SQL.labelOwner, label)) {
      issue(run, at, 'room', `household ${label} already exists in another compound (household labels are gateway-wide)`);
      return null;
    }
    id = yield* freeId('Household', `hh-${randomBytes(6).toString('base64url')}`, 'hh');
    yield* exec(SQL.insertHousehold, id, unitId, k.room, label, run.now);
    run.createdNow.add(id);
    run.counts.households.created++;
  }
  run.households.set(label, id);
  return id;
}

/** A card or plate: the same person → unchanged; another person of this compound → moved to this one (updated). */
function* credential(run: ImportRun, found: unknown, residentId: string, at: Where, what: string, t: Tally, create: () => Work<number>): Work<void> {
  const f = found as { id: string; residentId: string; communityId: string } | undefined;
  if (!f) {
    yield* create();
    t.created++;
  } else if (f.residentId === residentId) t.unchanged++;
  else if (f.communityId !== run.plan.communityId) issue(run, at, what.startsWith('card') ? 'cards' : 'plates', `${what} belongs to a resident of another compound`);
  else {
    yield* exec(SQL.moveCred, residentId, f.id);
    t.updated++;
  }
}

/** Where a device stands: its household, unit and building; null (with an issue) when its household cannot be had. */
function* devicePlace(run: ImportRun, d: DeviceWrite): Work<{ hh: string | null; unitId: string | null; b: { id: string; x: number; y: number } | null } | null> {
  const hh = d.place === 'household' && d.building !== undefined && d.unit !== undefined && d.room !== undefined ? yield* household(run, { building: d.building, unit: d.unit, room: d.room }, d.at) : null;
  if (d.place === 'household' && hh === null) return null;
  const unitId = d.building !== undefined && d.unit !== undefined && (d.place === 'unit_door' || d.place === 'household') ? yield* unit(run, d.building, d.unit) : null;
  const b = d.building !== undefined && unitId !== null ? yield* building(run, d.building) : null;
  return { hh, unitId, b };
}

/** A device by its id: found and equal → unchanged, different → updated (never its kind or compound), absent → created. */
function* device(run: ImportRun, d: DeviceWrite): Work<void> {
  const place = yield* devicePlace(run, d);
  if (place === null) return;
  const { hh, unitId, b } = place;
  const row = {
    id: d.deviceId,
    kind: d.kind,
    name: d.name,
    communityId: run.plan.communityId,
    placeKind: d.place,
    buildingId: b?.id ?? null,
    unitId,
    householdId: hh,
    x: d.x ?? b?.x ?? 0,
    y: d.y ?? b?.y ?? 0,
  };
  const found = yield* get<typeof row>(SQL.device, d.deviceId);
  if (found) {
    if (found.communityId !== run.plan.communityId) return void issue(run, d.at, 'deviceId', `device ${d.deviceId} belongs to another compound`);
    if (found.kind !== d.kind) return void issue(run, d.at, 'kind', `device ${d.deviceId} is a ${found.kind}; a device's kind is not changed by an import`);
    const same = (Object.keys(row) as Array<keyof typeof row>).every((k) => found[k] === row[k]);
    if (same) run.counts.devices.unchanged++;
    else {
      yield* exec(SQL.updateDevice, row.name, row.placeKind, row.buildingId, row.unitId, row.householdId, row.x, row.y, row.id);
      run.counts.devices.updated++;
    }
    return;
  }
  const secretHash = run.plan.deviceSecretHashes.get(d.deviceId);
  if (secretHash === undefined) {
    // A dry run hashes nothing: the device is counted, and the real import draws its secret.
    if (!run.dryRun) issue(run, d.at, 'deviceId', `device ${d.deviceId} appeared while the import ran; import the file again`);
    run.counts.devices.created++;
    return;
  }
  const { id, kind, name, communityId, placeKind, buildingId, householdId, x, y } = row;
  yield* exec(SQL.insertDevice, id, kind, name, communityId, placeKind, buildingId, unitId, householdId, x, y, secretHash, run.plan.supervisionSec[d.kind], run.now);
  run.createdDevices.push(d.deviceId);
  run.counts.devices.created++;
}

/** The file's households and their tags (a household this file created counts as created only). */
function* writeHouseholds(run: ImportRun): Work<void> {
  for (const h of run.plan.households) {
    const id = yield* household(run, h, h.at);
    if (id === null) continue;
    const before = (yield* all<{ tag: unknown }>(SQL.tags, id)).map((t) => String(t.tag)).join(',');
    const after = [...new Set(h.tags ?? [])].sort();
    const changed = h.tags !== undefined && before !== after.join(',');
    if (changed) {
      yield* exec(SQL.clearTags, id);
      for (const t of after) yield* exec(SQL.insertTag, id, t);
    }
    // A household this file created counts as created only.
    if (!run.createdNow.has(id)) run.counts.households[changed ? 'updated' : 'unchanged']++;
  }
}

/** One resident row: found by (household, name) and updated, or created; returns its id. */
function* resident(run: ImportRun, r: ResidentWrite & { name: string }, hh: string): Work<string> {
  const res = yield* get<{ id: string; phone: string | null; relation: string | null }>(SQL.resident, hh, r.name);
  if (!res) {
    const id = newId('res');
    yield* exec(SQL.insertResident, id, hh, r.name, r.phone ?? null, r.relation ?? null, run.now);
    run.counts.residents.created++;
    return id;
  }
  const phone = r.phone !== undefined && r.phone !== res.phone;
  const relation = r.relation !== undefined && r.relation !== res.relation;
  if (phone) yield* exec(SQL.setPhone, r.phone, res.id);
  if (relation) yield* exec(SQL.setRelation, r.relation, res.id);
  run.counts.residents[phone || relation ? 'updated' : 'unchanged']++;
  return res.id;
}

/** The file's residents with their cards and plates (blacklisted ones refused, another compound's an issue). */
function* writeResidents(run: ImportRun): Work<void> {
  for (const r of run.plan.residents) {
    if (r.name === undefined) continue;
    const hh = run.households.get(`${r.building}-${r.unit}-${r.room}`) ?? (yield* household(run, r, r.at));
    if (hh === null) continue;
    const id = yield* resident(run, { ...r, name: r.name }, hh);
    for (const c of r.cards) {
      if (yield* get(SQL.blacklistedHash, c.lookupHash)) {
        issue(run, r.at, 'cards', `card ****${c.hint} is on the blacklist`);
        continue;
      }
      const found = yield* get(SQL.credBy('"lookupHash"', 'card'), c.lookupHash);
      yield* credential(run, found, id, r.at, `card ****${c.hint}`, run.counts.cards, () => exec(SQL.insertCred, newId('cred'), id, 'card', c.lookupHash, null, c.hint, run.now));
    }
    for (const p of r.plates) {
      if (yield* get(SQL.blacklistedPlate, p)) {
        issue(run, r.at, 'plates', `plate ${p} is on the blacklist`);
        continue;
      }
      const found = yield* get(SQL.credBy('"plate"', 'plate'), p);
      yield* credential(run, found, id, r.at, `plate ${p}`, run.counts.plates, () => exec(SQL.insertCred, newId('cred'), id, 'plate', null, p, p, run.now));
    }
  }
}

/** Thrown inside the transaction to undo it: a dry run, or a file with an issue. */
class Rollback extends Error {}

/** The whole import as statements: throws Rollback for a dry run or at an issue, else answers the audit row's id. */
function* importWork(run: ImportRun): Work<number> {
  const { plan } = run;
  if (!(yield* get(SQL.community, plan.communityId))) {
    issue(run, { sheet: '', row: 0 }, null, `no compound ${plan.communityId}`);
    throw new Rollback();
  }
  yield* writeHouseholds(run);
  yield* writeResidents(run);
  for (const d of plan.devices) yield* device(run, d);
  if (run.issues.length > 0 || run.dryRun) throw new Rollback();
  const detail = { fileName: plan.fileName, counts: run.counts, devicesCreated: run.createdDevices.length };
  const row = yield* get<{ id: number }>(SQL.audit, run.now, plan.actor, 'import.commit', 'Community', plan.communityId, JSON.stringify(detail));
  return Number(row?.id);
}

/** Runs an import's statements in one transaction, everything or nothing (db/import-engines.ts, one per database). */
export type ImportEngine = (work: Work<number>) => Promise<number>;

/**
 * Writes an import in ONE transaction: everything or nothing. On SQLite the transaction is synchronous on the raw
 * connection (the ingest writer's own, so it never interleaves with a group commit) and spends no event-loop time
 * waiting between statements; on PostgreSQL it is one transaction on a pooled connection (db/import-engines.ts).
 * Natural keys make it idempotent: a building by (compound, number), a unit by (building, number), a household by
 * (unit, room), a resident by (household, name), a card by its lookup hash, a plate by its text, a device by its id.
 * Found and equal → unchanged; found and different → updated; absent → created. Nothing is ever deleted.
 *
 * A dry run runs the very same statements and rolls back, so it reports exactly what the import would do, including
 * the conflicts only the database can see. Any issue rolls the whole file back.
 */
export async function applyImport(engine: ImportEngine, plan: ImportPlan, dryRun: boolean): Promise<ImportOutcome> {
  const run: ImportRun = {
    plan,
    dryRun,
    now: isoStored(new Date()),
    counts: emptyCounts(),
    issues: [],
    createdDevices: [],
    buildings: new Map(),
    units: new Map(),
    households: new Map(),
    createdNow: new Set(),
  };
  try {
    const auditId = await engine(importWork(run));
    return { ok: true, counts: run.counts, createdDevices: run.createdDevices, auditId };
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
    return run.issues.length > 0 ? { ok: false, counts: run.counts, issues: run.issues } : { ok: true, counts: run.counts, createdDevices: [], auditId: null };
  }
}
