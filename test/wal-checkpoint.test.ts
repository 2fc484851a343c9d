// DB_WAL_AUTOCHECKPOINT_PAGES (docs/operations.md): every write connection to the SQLite file — Prisma's, the raw
// one of device events and alerts, and the access writer's own — checkpoints once the WAL passes that many pages, and
// not before. Seen on disk: the size of the -wal file, which SQLite rewinds (and never shrinks) after a checkpoint.
import { rmSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { type AccessEventRow, createAccessEventWriter } from '../gateway/src/db/access';
import { openDb } from '../gateway/src/db/client';
import { createEventWriter } from '../gateway/src/db/event-writer';
import { addDevice } from './helpers/fixtures';
import { freshDatabase } from './helpers/gateway';

const PAGE = 4096;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const walPages = (dbFile: string) => statSync(`${dbFile}-wal`).size / PAGE;
const ts = '2026-12-03T10:00:00.000+00:00';
const DEVICES = 40;

/** Device events in batches of 200 spread over DEVICES doors: every batch dirties dozens of index pages. */
async function writeEvents(pages: number, rows: number): Promise<number> {
  const { dir, dbFile } = freshDatabase();
  dirs.push(dir);
  const db = await openDb(dbFile, { walAutocheckpointPages: pages });
  for (let d = 0; d < DEVICES; d++) await addDevice(db.prisma, { id: `door-ckpt-${d}`, kind: 'face_terminal', secret: `ckpt-secret-${String(d).padStart(4, '0')}` });
  const writer = createEventWriter(db, { maxBatch: 200, maxDelayMs: 1, maxPending: rows + 1 });
  const payload = JSON.stringify({ state: 'closed', cause: 'exit_button', pad: 'x'.repeat(200) });
  for (let i = 0; i < rows; i += 200) {
    await Promise.all(
      Array.from({ length: 200 }, (_, k) => writer.write({ deviceId: `door-ckpt-${(i + k) % DEVICES}`, eventId: `ev-${i + k}`, channel: 'door/state', payload, deviceTime: ts, receivedAt: ts })),
    );
  }
  await writer.drain(5_000);
  const wal = walPages(dbFile);
  await db.close();
  return wal;
}

const decision = (n: number): AccessEventRow => ({
  id: `ae-ckpt-${n}`,
  deviceId: `door-ckpt-${n % DEVICES}`,
  requestId: `req-${n}-${'r'.repeat(200)}`,
  at: ts,
  receivedAt: ts,
  direction: 'in',
  credentialType: 'card',
  decision: 'grant',
  reason: 'resident',
  residentId: null,
  passId: null,
  householdId: null,
  offline: false,
});

/** Access decisions alone, through the access writer's own connection. */
async function writeDecisions(pages: number, rows: number): Promise<number> {
  const { dir, dbFile } = freshDatabase();
  dirs.push(dir);
  const db = await openDb(dbFile, { walAutocheckpointPages: pages });
  const writer = createAccessEventWriter(db, { maxBatch: 200, maxDelayMs: 1, maxPending: rows + 1 });
  for (let i = 0; i < rows; i += 200) await Promise.all(Array.from({ length: 200 }, (_, k) => writer.write({ row: decision(i + k), countEntry: false })));
  await writer.drain(5_000);
  const wal = walPages(dbFile);
  writer.close();
  await db.close();
  return wal;
}

describe('the WAL checkpoints at DB_WAL_AUTOCHECKPOINT_PAGES', () => {
  it('device events: the WAL stays near 100 pages when told 100, and grows past 1,000 when told 10,000', async () => {
    const small = await writeEvents(100, 12_000);
    const large = await writeEvents(10_000, 12_000);
    // The WAL is rewound after each checkpoint: it never holds much more than the threshold plus one commit.
    expect(small).toBeLessThan(400);
    expect(large).toBeGreaterThan(1_000);
    expect(large).toBeLessThan(10_000 + 400);
  });

  it('access decisions: the access writer’s own connection follows the same setting', async () => {
    const small = await writeDecisions(100, 12_000);
    const large = await writeDecisions(10_000, 12_000);
    expect(small).toBeLessThan(400);
    expect(large).toBeGreaterThan(1_000);
  });
});
