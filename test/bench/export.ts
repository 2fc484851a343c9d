// `npm run bench -- export [rows]`: a month of door decisions of a 4,000-household compound streamed to CSV and XLSX
// files, through the same code as GET /api/v1/transfer/export/access. Prints wall time, CPU time and peak RSS.
import { createWriteStream, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDb } from '../../gateway/src/db/client';
import { isoStored } from '../../gateway/src/db/time';
import { planExport, writeExport } from '../../gateway/src/transfer/export';
import { benchDatabase } from './lib';

const rows = Number(process.argv[2] ?? 200_000);
const { dir, dbFile: file, devices } = await benchDatabase(40, ['face_terminal']);
const doors = devices.map((d) => d.id);
const db = new Database(file);
const ins = db.prepare("INSERT INTO AccessEvent (id, deviceId, requestId, at, receivedAt, direction, credentialType, decision, reason, offline) VALUES (?, ?, ?, ?, ?, 'in', 'card', ?, ?, 0)");
// Spread over 30 days from 2026-11-01 00:00 Shanghai time.
const start = Date.parse('2026-10-31T16:00:00Z');
db.transaction(() => {
  for (let i = 0; i < rows; i++) {
    const at = isoStored(new Date(start + Math.floor((i * 30 * 86_400_000) / rows)));
    ins.run(`ae-${i}`, doors[i % doors.length], `rq-${i}`, at, at, i % 9 === 0 ? 'deny' : 'grant', i % 9 === 0 ? 'unknown_credential' : 'resident');
  }
})();
db.close();

const store = await openDb(file);
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
console.log(`${rows} access rows over 30 days; rss before ${(peak / 1048576).toFixed(0)} MB`);
for (const format of ['csv', 'xlsx'] as const) {
  const out = join(dir, `access.${format}`);
  const cpu = process.cpuUsage();
  const t = performance.now();
  const n = await writeExport(await planExport(store, 'access', { from: '2026-11-01', to: '2026-11-30', format, communityId: 'bench' }), createWriteStream(out));
  const used = process.cpuUsage(cpu);
  console.log(`${format.padEnd(4)} ${n} rows  ${(statSync(out).size / 1048576).toFixed(1)} MB  wall ${((performance.now() - t) / 1000).toFixed(1)} s  cpu ${((used.user + used.system) / 1e6).toFixed(1)} s  peak rss ${(peak / 1048576).toFixed(0)} MB`);
}
clearInterval(sampler);
await store.close();
rmSync(dir, { recursive: true, force: true });
