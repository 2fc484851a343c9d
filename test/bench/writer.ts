// Benchmark: how fast can device events reach SQLite durably (WAL, synchronous=FULL)?
// Compares the three candidate paths named in the ingest issue, on the same table and the same row shape:
//   1. Prisma createMany batches through the better-sqlite3 driver adapter
//   2. a raw multi-row INSERT through Prisma ($executeRawUnsafe)
//   3. the driver underneath: prepared INSERT OR IGNORE in a better-sqlite3 transaction (what db/event-writer.ts does)
// Usage: npm run bench -- writer [--events 60000] [--batch 500]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { openDb } from '../../gateway/src/db/client';
import { createEventWriter } from '../../gateway/src/db/event-writer';

const { values } = parseArgs({ options: { events: { type: 'string', default: '60000' }, batch: { type: 'string', default: '500' } }, allowPositionals: true });
const N = Number(values.events);
const BATCH = Number(values.batch);

async function freshDb() {
  const dir = mkdtempSync(join(tmpdir(), 'linli-bench-'));
  const file = join(dir, 'bench.db');
  const r = spawnSync('node_modules/.bin/prisma', ['migrate', 'deploy'], { env: { ...process.env, DATABASE_URL: `file:${file}` } });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return { db: await openDb(file), dir };
}

const row = (i: number, run: string) => {
  const ts = new Date().toISOString().replace('Z', '+00:00');
  return {
    deviceId: `door-${i % 500}`,
    eventId: `${run}-${i}`,
    channel: 'door/state',
    payload: `{"eventId":"${run}-${i}","ts":"${ts}","state":"open","cause":"grant"}`,
    deviceTime: ts,
    receivedAt: ts,
  };
};

async function measure(name: string, fn: (db: Awaited<ReturnType<typeof openDb>>) => Promise<void>) {
  const { db, dir } = await freshDb();
  const t0 = performance.now();
  await fn(db);
  const s = (performance.now() - t0) / 1000;
  const count = await db.prisma.deviceEvent.count();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`${name.padEnd(52)} ${String(count).padStart(7)} rows  ${(count / s).toFixed(0).padStart(7)} rows/s`);
}

console.log(`writer benchmark: ${N} events, batches of ${BATCH}, WAL + synchronous=FULL`);

await measure('Prisma createMany', async (db) => {
  for (let i = 0; i < N; i += BATCH) {
    const data = Array.from({ length: Math.min(BATCH, N - i) }, (_, k) => row(i + k, 'p'));
    const toDate = (r: ReturnType<typeof row>) => ({ ...r, deviceTime: new Date(r.deviceTime), receivedAt: new Date(r.receivedAt) });
    await db.prisma.deviceEvent.createMany({ data: data.map(toDate) });
  }
});

await measure('Prisma $executeRawUnsafe multi-row INSERT', async (db) => {
  for (let i = 0; i < N; i += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, N - i) }, (_, k) => row(i + k, 'r'));
    const values = rows.map(() => '(?, ?, ?, ?, ?, ?)').join(',');
    const params = rows.flatMap((r) => [r.deviceId, r.eventId, r.channel, r.payload, r.deviceTime, r.receivedAt]);
    await db.prisma.$executeRawUnsafe(`INSERT OR IGNORE INTO DeviceEvent (deviceId, eventId, channel, payload, deviceTime, receivedAt) VALUES ${values}`, ...params);
  }
});

await measure('better-sqlite3 group commit (db/event-writer.ts)', async (db) => {
  const writer = createEventWriter(db, { maxBatch: BATCH, maxDelayMs: 2, maxPending: N + 1 });
  await Promise.all(Array.from({ length: N }, (_, i) => writer.write(row(i, 'w'))));
});
