import { randomBytes } from 'node:crypto';
import type { DeviceKind, HouseholdTag, PlaceKind } from '../contracts';
import type { ImportCounts, ImportIssue, Tally } from '../contracts/api/transfer';
import type { RawDb } from './client';
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

class Rollback extends Error {}

const newId = (prefix: string) => `${prefix}-${randomBytes(9).toString('base64url')}`;

/** New buildings are placed on a plain grid of the site plan until someone draws them where they stand. */
const GRID = { columns: 6, dx: 40, dy: 30, margin: 20 };

/** The prepared statements of one import, on the raw connection. */
function importStatements(raw: RawDb) {
  return {
    community: raw.prepare('SELECT id FROM Community WHERE id = ?'),
    building: raw.prepare('SELECT id, x, y FROM Building WHERE communityId = ? AND number = ?'),
    buildingCount: raw.prepare('SELECT COUNT(*) AS n FROM Building WHERE communityId = ?'),
    idTaken: (table: 'Building' | 'Unit' | 'Household') => raw.prepare(`SELECT 1 FROM ${table} WHERE id = ?`),
    insertBuilding: raw.prepare('INSERT INTO Building (id, communityId, number, name, x, y) VALUES (?, ?, ?, ?, ?, ?)'),
    unit: raw.prepare('SELECT id FROM Unit WHERE buildingId = ? AND number = ?'),
    insertUnit: raw.prepare('INSERT INTO Unit (id, buildingId, number) VALUES (?, ?, ?)'),
    household: raw.prepare('SELECT id FROM Household WHERE unitId = ? AND room = ?'),
    labelOwner: raw.prepare('SELECT id FROM Household WHERE label = ?'),
    insertHousehold: raw.prepare('INSERT INTO Household (id, unitId, room, label, createdAt) VALUES (?, ?, ?, ?, ?)'),
    tags: raw.prepare('SELECT tag FROM HouseholdTag WHERE householdId = ? ORDER BY tag'),
    clearTags: raw.prepare('DELETE FROM HouseholdTag WHERE householdId = ?'),
    insertTag: raw.prepare('INSERT INTO HouseholdTag (householdId, tag) VALUES (?, ?)'),
    resident: raw.prepare('SELECT id, phone, relation FROM Resident WHERE householdId = ? AND name = ? ORDER BY createdAt LIMIT 1'),
    insertResident: raw.prepare("INSERT INTO Resident (id, householdId, name, phone, relation, status, createdAt) VALUES (?, ?, ?, ?, ?, 'active', ?)"),
    setPhone: raw.prepare('UPDATE Resident SET phone = ? WHERE id = ?'),
    setRelation: raw.prepare('UPDATE Resident SET relation = ? WHERE id = ?'),
    credByHash: raw.prepare("SELECT c.id, c.residentId, b.communityId FROM Credential c JOIN Resident r ON r.id = c.residentId JOIN Household h ON h.id = r.householdId JOIN Unit u ON u.id = h.unitId JOIN Building b ON b.id = u.buildingId WHERE c.type = 'card' AND c.lookupHash = ?"),
    credByPlate: raw.prepare("SELECT c.id, c.residentId, b.communityId FROM Credential c JOIN Resident r ON r.id = c.residentId JOIN Household h ON h.id = r.householdId JOIN Unit u ON u.id = h.unitId JOIN Building b ON b.id = u.buildingId WHERE c.type = 'plate' AND c.plate = ?"),
    blacklistedHash: raw.prepare("SELECT 1 FROM Blacklist WHERE type = 'card' AND lookupHash = ?"),
    blacklistedPlate: raw.prepare("SELECT 1 FROM Blacklist WHERE type = 'plate' AND plate = ?"),
    insertCred: raw.prepare("INSERT INTO Credential (id, residentId, type, lookupHash, plate, hint, status, createdAt) VALUES (?, ?, ?, ?, ?, ?, 'active', ?)"),
    moveCred: raw.prepare('UPDATE Credential SET residentId = ? WHERE id = ?'),
    device: raw.prepare('SELECT id, kind, name, communityId, placeKind, buildingId, unitId, householdId, x, y FROM Device WHERE id = ?'),
    insertDevice: raw.prepare(
      'INSERT INTO Device (id, kind, name, communityId, placeKind, buildingId, unitId, householdId, x, y, secretHash, enabled, supervisionSec, online, createdAt) VALUES (@id, @kind, @name, @communityId, @placeKind, @buildingId, @unitId, @householdId, @x, @y, @secretHash, 1, @supervisionSec, 0, @createdAt)',
    ),
    updateDevice: raw.prepare('UPDATE Device SET name = @name, placeKind = @placeKind, buildingId = @buildingId, unitId = @unitId, householdId = @householdId, x = @x, y = @y WHERE id = @id'),
    audit: raw.prepare('INSERT INTO AuditLog (at, actor, action, entity, entityId, detail) VALUES (?, ?, ?, ?, ?, ?)'),
  };
}

type Statements = ReturnType<typeof importStatements>;

/** One import while its transaction runs: its plan, what it wrote and found wrong, the ids it resolved. */
interface ImportRun {
  plan: ImportPlan;
  dryRun: boolean;
  q: Statements;
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

const one = <T>(stmt: { get: (...a: unknown[]) => unknown }, ...args: unknown[]): T | undefined => stmt.get(...args) as T | undefined;
const issue = (run: ImportRun, at: Where, column: string | null, reason: string) => run.issues.push({ sheet: at.sheet, row: at.row, column, reason });
const freeId = (run: ImportRun, table: 'Building' | 'Unit' | 'Household', wanted: string, prefix: string) => (run.q.idTaken(table).get(wanted) === undefined ? wanted : newId(prefix));

/** The compound's building `n`: found, or created in the next free spot of the layout grid. */
function building(run: ImportRun, n: number) {
  const known = run.buildings.get(n);
  if (known) return known;
  let b = one<{ id: string; x: number; y: number }>(run.q.building, run.plan.communityId, n);
  if (b) run.counts.buildings.unchanged++;
  else {
    const i = one<{ n: number }>(run.q.buildingCount, run.plan.communityId)?.n ?? 0;
    b = { id: freeId(run, 'Building', `${run.plan.communityId}-b${String(n).padStart(2, '0')}`, 'bld'), x: GRID.margin + (i % GRID.columns) * GRID.dx, y: GRID.margin + Math.floor(i / GRID.columns) * GRID.dy };
    run.q.insertBuilding.run(b.id, run.plan.communityId, n, `${n}号楼`, b.x, b.y);
    run.counts.buildings.created++;
  }
  run.buildings.set(n, b);
  return b;
}

/** Unit `un` of building `bn`: found, or created. */
function unit(run: ImportRun, bn: number, un: number): string {
  const key = `${bn}-${un}`;
  const known = run.units.get(key);
  if (known) return known;
  const b = building(run, bn);
  let id = one<{ id: string }>(run.q.unit, b.id, un)?.id;
  if (id) run.counts.units.unchanged++;
  else {
    id = freeId(run, 'Unit', `${b.id}-u${un}`, 'unit');
    run.q.insertUnit.run(id, b.id, un);
    run.counts.units.created++;
  }
  run.units.set(key, id);
  return id;
}

/** The household's id, or null (with an issue) when its label belongs to a household of another compound. */
function household(run: ImportRun, k: HouseholdKey, at: Where): string | null {
  const label = `${k.building}-${k.unit}-${k.room}`;
  const known = run.households.get(label);
  if (known) return known;
  const unitId = unit(run, k.building, k.unit);
  let id = one<{ id: string }>(run.q.household, unitId, k.room)?.id;
  if (!id) {
    if (one(run.q.labelOwner, label)) {
      issue(run, at, 'room', `household ${label} already exists in another compound (household labels are gateway-wide)`);
      return null;
    }
    id = freeId(run, 'Household', `hh-${randomBytes(6).toString('base64url')}`, 'hh');
    run.q.insertHousehold.run(id, unitId, k.room, label, run.now);
    run.createdNow.add(id);
    run.counts.households.created++;
  }
  run.households.set(label, id);
  return id;
}

/** A card or plate: the same person → unchanged; another person of this compound → moved to this one (updated). */
function credential(run: ImportRun, found: unknown, residentId: string, at: Where, what: string, t: Tally, create: () => void): void {
  const f = found as { id: string; residentId: string; communityId: string } | undefined;
  if (!f) {
    create();
    t.created++;
  } else if (f.residentId === residentId) t.unchanged++;
  else if (f.communityId !== run.plan.communityId) issue(run, at, what.startsWith('card') ? 'cards' : 'plates', `${what} belongs to a resident of another compound`);
  else {
    run.q.moveCred.run(residentId, f.id);
    t.updated++;
  }
}

/** A device by its id: found and equal → unchanged, different → updated (never its kind or compound), absent → created. */
function device(run: ImportRun, d: DeviceWrite): void {
  const hh = d.place === 'household' && d.building !== undefined && d.unit !== undefined && d.room !== undefined ? household(run, { building: d.building, unit: d.unit, room: d.room }, d.at) : null;
  if (d.place === 'household' && hh === null) return;
  const unitId = d.building !== undefined && d.unit !== undefined && (d.place === 'unit_door' || d.place === 'household') ? unit(run, d.building, d.unit) : null;
  const b = d.building !== undefined && unitId !== null ? building(run, d.building) : null;
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
  const found = one<typeof row>(run.q.device, d.deviceId);
  if (found) {
    if (found.communityId !== run.plan.communityId) return void issue(run, d.at, 'deviceId', `device ${d.deviceId} belongs to another compound`);
    if (found.kind !== d.kind) return void issue(run, d.at, 'kind', `device ${d.deviceId} is a ${found.kind}; a device's kind is not changed by an import`);
    const same = (Object.keys(row) as Array<keyof typeof row>).every((k) => found[k] === row[k]);
    if (same) run.counts.devices.unchanged++;
    else {
      run.q.updateDevice.run(row);
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
  run.q.insertDevice.run({ ...row, secretHash, supervisionSec: run.plan.supervisionSec[d.kind], createdAt: run.now });
  run.createdDevices.push(d.deviceId);
  run.counts.devices.created++;
}

/** The file's households and their tags (a household this file created counts as created only). */
function writeHouseholds(run: ImportRun): void {
  for (const h of run.plan.households) {
    const id = household(run, h, h.at);
    if (id === null) continue;
    const before = run.q.tags.all(id).map((t) => String((t as { tag: unknown }).tag)).join(',');
    const after = [...new Set(h.tags ?? [])].sort();
    const changed = h.tags !== undefined && before !== after.join(',');
    if (changed) {
      run.q.clearTags.run(id);
      for (const t of after) run.q.insertTag.run(id, t);
    }
    // A household this file created counts as created only.
    if (!run.createdNow.has(id)) run.counts.households[changed ? 'updated' : 'unchanged']++;
  }
}

/** The file's residents with their cards and plates (blacklisted ones refused, another compound's an issue). */
function writeResidents(run: ImportRun): void {
  for (const r of run.plan.residents) {
    if (r.name === undefined) continue;
    const hh = run.households.get(`${r.building}-${r.unit}-${r.room}`) ?? household(run, r, r.at);
    if (hh === null) continue;
    let res = one<{ id: string; phone: string | null; relation: string | null }>(run.q.resident, hh, r.name);
    if (!res) {
      res = { id: newId('res'), phone: r.phone ?? null, relation: r.relation ?? null };
      run.q.insertResident.run(res.id, hh, r.name, res.phone, res.relation, run.now);
      run.counts.residents.created++;
    } else {
      const phone = r.phone !== undefined && r.phone !== res.phone;
      const relation = r.relation !== undefined && r.relation !== res.relation;
      if (phone) run.q.setPhone.run(r.phone, res.id);
      if (relation) run.q.setRelation.run(r.relation, res.id);
      run.counts.residents[phone || relation ? 'updated' : 'unchanged']++;
    }
    for (const c of r.cards) {
      if (one(run.q.blacklistedHash, c.lookupHash)) {
        issue(run, r.at, 'cards', `card ****${c.hint} is on the blacklist`);
        continue;
      }
      credential(run, one(run.q.credByHash, c.lookupHash), res.id, r.at, `card ****${c.hint}`, run.counts.cards, () => run.q.insertCred.run(newId('cred'), res.id, 'card', c.lookupHash, null, c.hint, run.now));
    }
    for (const p of r.plates) {
      if (one(run.q.blacklistedPlate, p)) {
        issue(run, r.at, 'plates', `plate ${p} is on the blacklist`);
        continue;
      }
      credential(run, one(run.q.credByPlate, p), res.id, r.at, `plate ${p}`, run.counts.plates, () => run.q.insertCred.run(newId('cred'), res.id, 'plate', null, p, p, run.now));
    }
  }
}

/**
 * Writes an import in ONE synchronous transaction on the raw connection (the ingest writer's own, so it never
 * interleaves with a group commit): everything or nothing, and no event-loop time spent waiting between statements.
 * Natural keys make it idempotent: a building by (compound, number), a unit by (building, number), a household by
 * (unit, room), a resident by (household, name), a card by its lookup hash, a plate by its text, a device by its id.
 * Found and equal → unchanged; found and different → updated; absent → created. Nothing is ever deleted.
 *
 * A dry run runs the very same statements and rolls back, so it reports exactly what the import would do, including
 * the conflicts only the database can see. Any issue rolls the whole file back.
 */
export function applyImport(raw: RawDb, plan: ImportPlan, dryRun: boolean): ImportOutcome {
  const run: ImportRun = {
    plan,
    dryRun,
    q: importStatements(raw),
    now: isoStored(new Date()),
    counts: emptyCounts(),
    issues: [],
    createdDevices: [],
    buildings: new Map(),
    units: new Map(),
    households: new Map(),
    createdNow: new Set(),
  };
  const { q, counts, issues, createdDevices, now } = run;
  const write = raw.transaction(() => {
    if (!one(q.community, plan.communityId)) {
      issue(run, { sheet: '', row: 0 }, null, `no compound ${plan.communityId}`);
      throw new Rollback();
    }
    writeHouseholds(run);
    writeResidents(run);
    for (const d of plan.devices) device(run, d);
    if (issues.length > 0 || dryRun) throw new Rollback();
    const detail = { fileName: plan.fileName, counts, devicesCreated: createdDevices.length };
    return Number(q.audit.run(now, plan.actor, 'import.commit', 'Community', plan.communityId, JSON.stringify(detail)).lastInsertRowid);
  });
  try {
    const auditId = write.immediate();
    return { ok: true, counts, createdDevices, auditId };
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
    return issues.length > 0 ? { ok: false, counts, issues } : { ok: true, counts, createdDevices: [], auditId: null };
  }
}
