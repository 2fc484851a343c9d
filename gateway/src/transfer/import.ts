import { stringify } from 'csv-stringify/sync';
import { hashDeviceSecret, lookupHash, newSecret } from '../auth/hash';
import type { DeviceKind, HouseholdTag } from '../contracts';
import type { ImportReport } from '../contracts/api/transfer';
import { type HouseholdWrite, type ImportOutcome, type ImportPlan, applyImport, emptyCounts } from '../db/import';
import { importEngine } from '../db/import-engines';
import type { Store } from '../db/pg-client';
import { readSheets } from './read';
import { validateSheets } from './validate';

export interface ImportDeps {
  /** The gateway's store, SQLite or PostgreSQL: the import is one transaction on either (db/import-engines.ts). */
  store: Store;
  credentialKey: string;
  supervisionSec: Record<DeviceKind, number>;
  /** After a committed import: reload what serves the doors (access directory, credential sets). */
  afterCommit: () => Promise<void>;
}

export interface ImportRequest {
  fileName: string;
  bytes: Buffer;
  communityId: string;
  actor: string;
  dryRun: boolean;
}

const MAX_ISSUES = 1_000;

/**
 * SQLITE_BUSY from the raw connection (busy_timeout=0): someone else holds the write lock for a moment. On PostgreSQL,
 * a lock wait that outlasted lock_timeout (55P03) or a deadlock the server broke (40P01).
 */
const BUSY = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', '55P03', '40P01']);
const isBusy = (err: unknown) => typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' && BUSY.has(err.code);

/** The transaction never waits for a lock on the event loop: it is retried asynchronously, for up to ~10 s. */
async function withRetry(fn: () => Promise<ImportOutcome>): Promise<ImportOutcome> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isBusy(err) || attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, Math.min(250, 5 * 2 ** attempt)));
    }
  }
}

/** Households in file order, with the union of their rows' tags when a sheet has a tags column. */
function householdsOf(v: ReturnType<typeof validateSheets>): Map<string, HouseholdWrite> {
  const households = new Map<string, HouseholdWrite>();
  const tagged = v.sheets.some((s) => s.kind === 'residents' && s.columns.has('tags'));
  for (const r of v.residents) {
    const key = `${r.building}-${r.unit}-${r.room}`;
    const h = households.get(key) ?? { building: r.building, unit: r.unit, room: r.room, at: r.at, ...(tagged ? { tags: [] as HouseholdTag[] } : {}) };
    if (h.tags && r.tags) h.tags.push(...r.tags);
    households.set(key, h);
  }
  return households;
}

/**
 * One file: read (CSV or XLSX, every sheet), check each row against the contracts, hash cards, then one transaction
 * (db/import.ts) — rolled back for a dry run or at the first bad row, which is then reported with all the others.
 * New devices get a secret each, returned once in `secretsFile` and stored only as an argon2id hash.
 */
export async function importFile(deps: ImportDeps, req: ImportRequest): Promise<ImportReport> {
  const base = { dryRun: req.dryRun, fileName: req.fileName, communityId: req.communityId, counts: emptyCounts(), notes: [] as string[] };
  const read = await readSheets(req.fileName, req.bytes);
  if (!read.ok) return { ...base, ok: false, sheets: [], issues: [{ sheet: '', row: 0, column: null, reason: read.reason }], issuesTotal: 1 };
  const v = validateSheets(read.sheets);
  const sheets = v.sheets.map((s) => ({ name: s.name, kind: s.kind, rows: s.rows }));
  const report = (ok: boolean, issues: ImportReport['issues'], counts = base.counts): ImportReport => ({
    ...base,
    ok,
    sheets,
    counts,
    notes: v.notes,
    issues: issues.slice(0, MAX_ISSUES),
    issuesTotal: issues.length,
  });
  if (v.issues.length > 0) return report(false, v.issues);

  const households = householdsOf(v);
  const secrets = new Map<string, string>();
  const hashes = new Map<string, string>();
  if (!req.dryRun && v.devices.length > 0) {
    const known = new Set((await deps.store.prisma.device.findMany({ where: { id: { in: v.devices.map((d) => d.deviceId) } }, select: { id: true } })).map((d) => d.id));
    for (const d of v.devices) {
      if (known.has(d.deviceId)) continue;
      const secret = newSecret();
      secrets.set(d.deviceId, secret);
      hashes.set(d.deviceId, hashDeviceSecret(deps.credentialKey, d.deviceId, secret));
    }
  }
  const plan: ImportPlan = {
    communityId: req.communityId,
    actor: req.actor,
    fileName: req.fileName,
    households: [...households.values()],
    residents: v.residents.map((r) => ({
      at: r.at,
      building: r.building,
      unit: r.unit,
      room: r.room,
      ...(r.name !== undefined ? { name: r.name } : {}),
      ...(r.phone !== undefined ? { phone: r.phone } : {}),
      ...(r.relation !== undefined ? { relation: r.relation } : {}),
      cards: (r.cards ?? []).map((c) => ({ lookupHash: lookupHash(deps.credentialKey, 'card', c), hint: c.slice(-4) })),
      plates: r.plates ?? [],
    })),
    devices: v.devices.map(({ at, deviceId, kind, name, place, building, unit, room, x, y }) => ({
      at, deviceId, kind, name, place,
      ...(building !== undefined ? { building } : {}),
      ...(unit !== undefined ? { unit } : {}),
      ...(room !== undefined ? { room } : {}),
      ...(x !== undefined ? { x } : {}),
      ...(y !== undefined ? { y } : {}),
    })),
    deviceSecretHashes: hashes,
    supervisionSec: deps.supervisionSec,
  };
  const engine = importEngine(deps.store);
  const outcome = await withRetry(() => applyImport(engine, plan, req.dryRun));
  if (!outcome.ok) return report(false, outcome.issues, outcome.counts);
  if (req.dryRun) return report(true, [], outcome.counts);
  await deps.afterCommit();
  const created = outcome.createdDevices.flatMap((id) => {
    const secret = secrets.get(id);
    return secret === undefined ? [] : [[id, secret]];
  });
  return {
    ...report(true, [], outcome.counts),
    ...(created.length > 0
      ? {
          secretsFile: {
            name: `device-secrets-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '')}.csv`,
            contentType: 'text/csv' as const,
            content: stringify([['deviceId', 'secret'], ...created]),
          },
        }
      : {}),
  };
}
