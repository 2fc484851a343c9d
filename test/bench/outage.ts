// Outage benchmark: a one-key alarm pressed every 100 ms through a 30 s database lock (another process holds
// BEGIN EXCLUSIVE) and, when the database can live on a small tmpfs (root), 30 s of a full disk. Measures press →
// guard frame during the outage (the unsaved frame), the gateway's event-loop lag (p99, max), CONNACK times while
// the database is unavailable, and at the end acknowledged-and-lost (must be 0) and stored == counted in alerts.
// Prints numbers; asserts nothing. Usage: npm run bench -- outage [--lock-sec 30] [--full-sec 30] [--every-ms 100]
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { hashSecret } from '../../gateway/src/auth/hash';
import { AlarmPress, topicFor } from '../../gateway/src/contracts';
import { LiveUnsaved } from '../../gateway/src/contracts/live';
import { openDb } from '../../gateway/src/db/client';
import { login } from '../helpers/alert-fixtures';
import { SseClient } from '../helpers/sse';
import { benchDatabase, noDelay, startBenchGateway, stopGateway } from './lib';

const { values } = parseArgs({
  options: { 'lock-sec': { type: 'string', default: '30' }, 'full-sec': { type: 'string', default: '30' }, 'every-ms': { type: 'string', default: '100' } },
  allowPositionals: true,
});
const lockSec = Number(values['lock-sec']);
const fullSec = Number(values['full-sec']);
const everyMs = Number(values['every-ms']);

// The database on a 64 MB tmpfs when we may mount one (a disk that can really fill up); else in /tmp, lock only.
const mnt = mkdtempSync(join(tmpdir(), 'linli-outage-'));
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mnt]).status === 0;
if (!mounted) console.log('(could not mount a tmpfs: the full-disk phase is skipped)');
const { dbFile, devices } = await benchDatabase(2, ['indoor_alarm'], mnt);
const [button, probe] = devices;
if (!button || !probe) throw new Error('bench devices missing');
{
  const db = await openDb(dbFile);
  await db.prisma.user.create({ data: { id: 'bench-guard', username: 'guard', passwordHash: await hashSecret('bench-guard-password'), role: 'guard', displayName: '值班' } });
  await db.close();
}
process.on('exit', () => {
  if (mounted) spawnSync('umount', ['-l', mnt]);
});
const gw = await startBenchGateway(dbFile, { SUPERVISION_SEC_INDOOR_ALARM: '3600', DB_HEARTBEAT_MS: '1000' });
process.on('exit', () => gw.child.kill('SIGKILL'));
const httpUrl = `http://127.0.0.1:${gw.http}`;
const mqttUrl = `mqtt://127.0.0.1:${gw.mqtt}`;
const stream = await SseClient.open(`${httpUrl}/api/v1/live/alerts`, { token: await login(httpUrl, 'guard', 'bench-guard-password') });
await stream.next((f) => f.event === 'snapshot');

// The button: clean session and reconnects, like the device, so whatever was never acknowledged is resent.
const c = noDelay(await mqtt.connectAsync(mqttUrl, { clientId: button.id, username: button.id, password: button.secret, clean: false, reconnectPeriod: 200, protocolVersion: 4 }));
const sentAt = new Map<string, number>();
const acked = new Set<string>();
const shownAt = new Map<string, number>();
stream.onFrame = (f) => {
  if (f.event !== 'unsaved') return;
  const u = LiveUnsaved.parse(f.data);
  if (u.state === 'unsaved' && !shownAt.has(u.eventId)) shownAt.set(u.eventId, performance.now());
};
let n = 0;
const pump = setInterval(() => {
  const id = `outage-${n++}`;
  sentAt.set(id, performance.now());
  c.publish(topicFor('alarmPress', button.id), JSON.stringify(AlarmPress.parse({ eventId: id, ts: new Date().toISOString() })), { qos: 1 }, (err) => {
    if (!err) acked.add(id);
  });
}, everyMs);

/** The gateway's own event-loop lag (prom-client's monitor; each scrape starts a new window). */
async function loopLag(): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const get = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? 'NaN') * 1000;
  return { p99: get('linli_nodejs_eventloop_lag_p99_seconds'), max: get('linli_nodejs_eventloop_lag_max_seconds') };
}

/** CONNACK time of a second device logging in (ms); Infinity when none came within 10 s. */
async function connack(): Promise<number> {
  const t0 = performance.now();
  try {
    const p = await mqtt.connectAsync(mqttUrl, { clientId: probe!.id, username: probe!.id, password: probe!.secret, reconnectPeriod: 0, connectTimeout: 10_000, protocolVersion: 4 });
    const ms = performance.now() - t0;
    await p.endAsync(true);
    return ms;
  } catch (err) {
    console.log(`  CONNACK failed after ${(performance.now() - t0).toFixed(0)} ms: ${err instanceof Error ? err.message : String(err)}`);
    return Number.POSITIVE_INFINITY;
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rows: string[] = [];

async function phase(label: string, seconds: number, start: () => void, stop: () => void) {
  console.log(`${label}…`);
  await loopLag();
  const firstId = n;
  start();
  const conn: number[] = [];
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    conn.push(await connack());
    await sleep(1_000);
  }
  const lag = await loopLag();
  const lastId = n;
  stop();
  const shown: number[] = [];
  for (let i = firstId; i < lastId; i++) {
    const id = `outage-${i}`;
    const s = shownAt.get(id);
    const t = sentAt.get(id);
    if (s !== undefined && t !== undefined) shown.push(s - t);
  }
  rows.push(
    `| ${label} | ${lastId - firstId} | ${shown.length} | ${pct(shown, 50).toFixed(0)} | ${pct(shown, 99).toFixed(0)} | ${lag.p99.toFixed(1)} | ${lag.max.toFixed(1)} | ${pct(conn, 50).toFixed(0)} / ${Math.max(...conn).toFixed(0)} |`,
  );
  await sleep(5_000);
}

await sleep(3_000);
// The same measurements with nothing wrong: the machine's own noise floor (a shared, busy machine shows here).
await phase(`no outage (baseline) ${lockSec} s`, lockSec, () => undefined, () => undefined);
const blocker = new Database(dbFile);
await phase(`database locked ${lockSec} s`, lockSec, () => blocker.exec('BEGIN EXCLUSIVE'), () => blocker.exec('COMMIT'));
blocker.close();
if (mounted) {
  const filler = join(mnt, 'filler');
  await phase(
    `disk full ${fullSec} s`,
    fullSec,
    () => {
      // Fill every free block (the gateway keeps writing meanwhile, so write until the disk refuses).
      const fd = openSync(filler, 'w');
      const chunk = Buffer.alloc(1 << 20);
      try {
        for (;;) writeSync(fd, chunk, 0, Math.min(chunk.length, Math.max(4096, Number(statfsSync(mnt).bavail) * Number(statfsSync(mnt).bsize))));
      } catch {
        // ENOSPC: full
      } finally {
        closeSync(fd);
      }
    },
    () => rmSync(filler),
  );
}
clearInterval(pump);
// Everything the button sent is acknowledged once the database is back (the unacknowledged ones are resent).
const deadline = Date.now() + 60_000;
while (acked.size < sentAt.size && Date.now() < deadline) await sleep(200);
await c.endAsync();
await stream.close();
await stopGateway(gw);
const problems = new Map<string, number>();
for (const line of gw.output().split('\n')) {
  const m = /"level":(\d+).*?"msg":"([^"]*)"/.exec(line);
  if (m && Number(m[1]) >= 40) problems.set(m[2]!, (problems.get(m[2]!) ?? 0) + 1);
}

const db = await openDb(dbFile);
const stored = new Set((await db.prisma.deviceEvent.findMany({ where: { deviceId: button.id, channel: 'alarm/press' }, select: { eventId: true } })).map((r) => r.eventId));
const counted = (await db.prisma.alert.aggregate({ where: { deviceId: button.id, type: 'alarm_press' }, _sum: { count: true } }))._sum.count ?? 0;
const outbox = await db.prisma.alertOutbox.count();
await db.close();
const lost = [...acked].filter((id) => !stored.has(id)).length;

console.log(`\none alarm button pressing every ${everyMs} ms; the guard station's live stream watching; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
console.log('| outage | presses during it | shown unsaved | press → guard frame p50 ms | p99 ms | event-loop lag p99 ms | max ms | CONNACK p50 / max ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
console.log(`\npresses sent ${sentAt.size}, acknowledged ${acked.size}, stored ${stored.size}, counted in alerts ${counted}, outbox left ${outbox}, acknowledged-and-lost ${lost}`);
console.log('\ngateway warnings and errors during the run:', Object.fromEntries(problems));
if (mounted) spawnSync('umount', [mnt]);
rmSync(mnt, { recursive: true, force: true });
process.exit(0);
