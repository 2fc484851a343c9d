// Benchmark: what one group commit of device events costs on the event loop, and what it is made of.
// The production writer (db/event-writer.ts) on a migrated database, batches of --batch rows, spread over 1, 20 or
// --devices devices, varying one thing at a time:
//   - synchronous FULL (production) / NORMAL (no WAL fsync in the COMMIT) / OFF: the share of the fsync;
//   - wal_autocheckpoint 1,000 (SQLite's default) / 4,000 / 10,000 pages / none: the share of the checkpoints;
// and an fdatasync of one 4 KiB write to the same disk, alone.
// Usage: npm run bench -- commit-cost [--rows 150000] [--batch 500] [--devices 200]
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDb } from '../../gateway/src/db/client';
import { createEventWriter } from '../../gateway/src/db/event-writer';
import { benchDatabase } from './lib';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '150000' }, batch: { type: 'string', default: '500' }, devices: { type: 'string', default: '200' } },
  allowPositionals: true,
});
const ROWS = Number(values.rows);
const BATCH = Number(values.batch);
const DEVICES = Number(values.devices);

interface Variant {
  label: string;
  devices: number;
  synchronous: 'FULL' | 'NORMAL' | 'OFF';
  /** 0: no automatic checkpoint at all (the WAL grows for the whole run). */
  checkpointPages: number;
}

async function measure(v: Variant): Promise<{ usPerRow: number; msPerCommit: number; walMb: number }> {
  // The devices exist (DeviceEvent references Device, and each batch touches their lastSeenAt).
  const { dir, dbFile, devices } = await benchDatabase(v.devices, ['face_terminal']);
  const db = await openDb(dbFile, { walAutocheckpointPages: v.checkpointPages });
  db.raw.pragma(`synchronous = ${v.synchronous}`);
  const ts = new Date().toISOString().replace('Z', '+00:00');
  const row = (i: number) => {
    const deviceId = devices[i % v.devices]!.id;
    const eventId = `${deviceId}-${String(Math.floor(i / v.devices)).padStart(6, '0')}`;
    return { deviceId, eventId, channel: 'door/state', payload: `{"eventId":"${eventId}","ts":"${ts}","state":"closed","cause":"exit_button"}`, deviceTime: ts, receivedAt: ts };
  };
  let seconds = 0;
  let commits = 0;
  const writer = createEventWriter(db, {
    maxBatch: BATCH,
    maxDelayMs: 1,
    maxPending: BATCH + 1,
    onCommit: (_size, s) => {
      seconds += s;
      commits++;
    },
  });
  for (let i = 0; i < ROWS; i += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, ROWS - i) }, (_, k) => writer.write(row(i + k))));
  }
  const walPages = (db.raw.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]?.log ?? 0;
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  return { usPerRow: (seconds * 1e6) / ROWS, msPerCommit: (seconds * 1e3) / commits, walMb: (walPages * 4096) / 1e6 };
}

function fsyncAlone(): number {
  const dir = mkdtempSync(join(tmpdir(), 'linli-fsync-'));
  const fd = openSync(join(dir, 'f'), 'w');
  const page = Buffer.alloc(4096, 1);
  const n = 200;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    writeSync(fd, page, 0, page.length, (i % 16) * 4096);
    fdatasyncSync(fd);
  }
  const ms = (performance.now() - t0) / n;
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

const variants: Variant[] = [
  { label: `${DEVICES} devices, FULL, checkpoint at 1,000 pages (production until session 11)`, devices: DEVICES, synchronous: 'FULL', checkpointPages: 1_000 },
  { label: `${DEVICES} devices, NORMAL (no fsync in the COMMIT)`, devices: DEVICES, synchronous: 'NORMAL', checkpointPages: 1_000 },
  { label: `${DEVICES} devices, OFF (no fsync at all)`, devices: DEVICES, synchronous: 'OFF', checkpointPages: 1_000 },
  { label: `${DEVICES} devices, FULL, checkpoint at 4,000 pages`, devices: DEVICES, synchronous: 'FULL', checkpointPages: 4_000 },
  { label: `${DEVICES} devices, FULL, checkpoint at 10,000 pages`, devices: DEVICES, synchronous: 'FULL', checkpointPages: 10_000 },
  { label: `${DEVICES} devices, FULL, no automatic checkpoint`, devices: DEVICES, synchronous: 'FULL', checkpointPages: 0 },
  { label: '20 devices, FULL, checkpoint at 1,000 pages', devices: 20, synchronous: 'FULL', checkpointPages: 1_000 },
  { label: '1 device, FULL, checkpoint at 1,000 pages', devices: 1, synchronous: 'FULL', checkpointPages: 1_000 },
];

console.log(`commit cost: ${ROWS} device events through db/event-writer.ts in batches of ${BATCH}; fdatasync of 4 KiB alone: ${fsyncAlone().toFixed(2)} ms\n`);
console.log('| variant | µs per row | ms per COMMIT | WAL left, MB |');
console.log('| --- | ---: | ---: | ---: |');
for (const v of variants) {
  const r = await measure(v);
  console.log(`| ${v.label} | ${r.usPerRow.toFixed(1)} | ${r.msPerCommit.toFixed(2)} | ${r.walMb.toFixed(1)} |`);
}
