// Hub benchmark (issue #19, docs/scale-out.md): cells → NATS JetStream → the hub writer → PostgreSQL, on this machine.
//   1. writer:  the hub's PostgreSQL commit (hub/store.ts: unnest insert + watermark move, one connection) at batches of
//               100 and 1,000 rows.
//   2. e2e:     one cell with a backlog of --rows device events in its SQLite, started against the hub: rows/s from
//               the cell's SQLite into PostgreSQL (relay → leaf node → JetStream R3 → writer → commit → watermark).
//   3. outage:  --cells cells (default 3), each ingesting door events from MQTT devices at --rate events/s (its normal
//               rate), lose their link for --outage-min minutes (their leaf nodes stopped) and get it back: the time
//               until PostgreSQL holds everything each cell committed up to the link's return.
// Every process is started here on free ports of 127.0.0.1 and stopped by its PID. Prints numbers; asserts nothing.
// Usage: npm run bench -- hub [--outage-min 10] [--rate 20] [--cells 3] [--rows 50000] [--writer-rows 50000]
//                             [--phases writer,e2e,outage]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { z } from 'zod';
import { DoorState, topicFor } from '../../gateway/src/contracts';
import type { ReplicationMessage } from '../../gateway/src/contracts/replication';
import { runDataMigrations } from '../../gateway/src/db/data-migrations';
import { findPgMigrationsDir, migratePg, readPgMigrations } from '../../gateway/src/hub/schema';
import { hubStore } from '../../gateway/src/hub/store';
import { type Hub, type Proc, hubUp, run, startLeaf, startWriter, stopByPid } from '../cluster/harness';
import { type GatewayProcess, spawnGateway } from '../helpers/process';
import { BENCH_CREDENTIAL_KEY, type BenchDevice, benchDatabase, noDelay, stopGateway } from './lib';

const { values } = parseArgs({
  options: {
    'outage-min': { type: 'string', default: '10' },
    rate: { type: 'string', default: '20' },
    cells: { type: 'string', default: '3' },
    rows: { type: 'string', default: '50000' },
    'writer-rows': { type: 'string', default: '50000' },
    phases: { type: 'string', default: 'writer,e2e,outage' },
  },
  allowPositionals: true,
});
const outageMs = Number(values['outage-min']) * 60_000;
const rate = Number(values.rate);
const cellCount = Number(values.cells);
const backlogRows = Number(values.rows);
const writerRows = Number(values['writer-rows']);
const phases = new Set(values.phases.split(','));
const DEVICES_PER_CELL = 10;

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const Int = z.union([z.number(), z.string()]).transform((v) => Number(v));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const figures: { name: string; unit: string; linli: number }[] = [];
const figure = (name: string, unit: string, value: number) => {
  figures.push({ name, unit, linli: Math.round(value * 10) / 10 });
  console.log(`  ${name}: ${Math.round(value * 10) / 10} ${unit}`);
};

/** The build `npm start` runs, gateway only (the guard UI is not needed here). */
function buildGateway() {
  if (process.env.BENCH_NO_BUILD) return;
  const r = spawnSync('npm', ['run', '-s', 'build:gateway'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build:gateway failed');
}

function startCell(dbFile: string, compound: string, leafUrl: string): Promise<GatewayProcess> {
  return spawnGateway(
    { DATABASE_URL: `file:${dbFile}`, HTTP_PORT: '0', MQTT_PORT: '0', MALLOC_ARENA_MAX: '2', CREDENTIAL_KEY: BENCH_CREDENTIAL_KEY,
      COMPOUND_ID: compound, HUB_NATS_URL: leafUrl, HUB_JS_DOMAIN: 'linli-hub' },
    // BENCH_NODE_ARGS as for the other benches (e.g. --cpu-prof --cpu-prof-dir=DIR to see where a cell's time goes).
    [process.execPath, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''), 'dist/gateway.mjs'],
  );
}

const watermarkOf = async (hub: Hub, compound: string) =>
  Int.parse(z.array(z.object({ seq: Int })).parse(await hub.q("SELECT coalesce(max(seq), 0) AS seq FROM cell_watermark WHERE compound = $1 AND tbl = 'device_event'", [compound]))[0]!.seq);

const lastSeqOf = (dbFile: string) => {
  const db = new Database(dbFile, { readonly: true });
  try {
    return Int.parse(z.object({ s: Int.nullable() }).parse(db.prepare("SELECT max(seq) AS s FROM DeviceEvent WHERE channel <> 'heartbeat'").get()).s ?? 0);
  } finally {
    db.close();
  }
};

/** Polls until `done()`; returns the ms it took, or NaN after `limitMs`. */
async function timeUntil(done: () => Promise<boolean>, limitMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    if (await done()) return performance.now() - t0;
    await sleep(100);
  }
  return Number.NaN;
}

// ── 1. The PostgreSQL writer alone ──
async function writerPhase(hub: Hub) {
  const pool = new pg.Pool({ connectionString: hub.env.HUB_DATABASE_URL, max: 1 });
  await migratePg(pool, readPgMigrations(findPgMigrationsDir(process.cwd())!));
  const store = hubStore(pool);
  console.log(`\n1. PostgreSQL writer: ${writerRows} device events per batch size, one connection, commit = unnest insert + watermark (load ${load()})`);
  for (const batch of [100, 1_000]) {
    const compound = `bench-writer-${batch}`;
    const at = new Date().toISOString();
    const msg = (seq: number): ReplicationMessage => ({
      v: 2, compound, generation: 'benchgen00000001', base: 0, table: 'device_event', seq, prev: seq - 1,
      row: { deviceId: `door-${seq % 500}`, eventId: `e-${seq}`, channel: 'door/state', payload: `{"eventId":"e-${seq}","ts":"${at}","state":"open","cause":"grant"}`, deviceTime: at, receivedAt: at, reusedEventId: false },
    });
    const t0 = performance.now();
    for (let i = 1; i <= writerRows; i += batch) await store.commit(Array.from({ length: Math.min(batch, writerRows - i + 1) }, (_, k) => msg(i + k)));
    figure(`writer rows/s at batch ${batch}`, 'rows/s', writerRows / ((performance.now() - t0) / 1000));
  }
  await pool.end();
}

// ── 2. One cell's backlog, end to end ──
async function e2ePhase(hub: Hub, dir: string, procs: Proc[]) {
  const { dbFile } = await benchDatabase(DEVICES_PER_CELL, ['face_terminal'], join(dir, 'e2e'));
  const db = new Database(dbFile);
  // A cell of this release: its data migrations ran before these events came (they were judged live as they arrived).
  // Without this, the first start takes the backlog for a pre-outbox database and judges every opening again.
  runDataMigrations(db, BENCH_CREDENTIAL_KEY);
  const insert = db.prepare(`INSERT INTO DeviceEvent (deviceId, eventId, channel, payload, deviceTime, receivedAt) VALUES (?, ?, 'door/state', ?, ?, ?)`);
  // Spaced like real traffic: each door reports every 2 s, opening and closing, ending now.
  const t0 = Date.now() - Math.ceil(backlogRows / DEVICES_PER_CELL) * 2_000;
  db.transaction(() => {
    for (let i = 0; i < backlogRows; i++) {
      const round = Math.floor(i / DEVICES_PER_CELL);
      const at = new Date(t0 + round * 2_000).toISOString().replace('Z', '+00:00');
      insert.run(`bench-${String(i % DEVICES_PER_CELL).padStart(5, '0')}`, `b-${i}`, `{"eventId":"b-${i}","ts":"${at}","state":"${round % 2 ? 'closed' : 'open'}","cause":"grant"}`, at, at);
    }
  })();
  db.close();
  const last = lastSeqOf(dbFile);
  const leaf = await startLeaf(dir, 'bench-e2e', hub);
  procs.push(leaf.proc);
  console.log(`\n2. end to end: one cell with ${backlogRows} committed device events, started against the hub (load ${load()})`);
  const gw = await startCell(dbFile, 'bench-e2e', leaf.url);
  const took = await timeUntil(async () => (await watermarkOf(hub, 'bench-e2e')) >= last, 600_000);
  const span = z.object({ s: z.number().nullable() }).parse(
    (await hub.q("SELECT extract(epoch FROM max(replicated_at) - min(replicated_at))::float8 AS s FROM device_event WHERE compound = 'bench-e2e'"))[0],
  ).s;
  figure('cell → PostgreSQL, gateway start to watermark at the last row', 's', took / 1000);
  figure('cell → PostgreSQL rows/s (first to last commit in PostgreSQL)', 'rows/s', span ? backlogRows / span : Number.NaN);
  await stopGateway(gw);
}

interface OutageCell {
  compound: string;
  dbFile: string;
  leaf: Proc;
  leafPort: number;
  gw: GatewayProcess;
  clients: MqttClient[];
  devices: BenchDevice[];
}

// ── 3. Cells cut off for the outage, then back ──
async function outagePhase(hub: Hub, dir: string, procs: Proc[], gws: GatewayProcess[]) {
  const cells: OutageCell[] = [];
  for (let i = 0; i < cellCount; i++) {
    const compound = `bench-cell-${i}`;
    const { dbFile, devices } = await benchDatabase(DEVICES_PER_CELL, ['face_terminal'], join(dir, compound));
    const leaf = await startLeaf(dir, compound, hub);
    procs.push(leaf.proc);
    const gw = await startCell(dbFile, compound, leaf.url);
    gws.push(gw);
    const clients = await Promise.all(
      devices.map((d) => mqtt.connectAsync(`mqtt://127.0.0.1:${gw.mqtt}`, { clientId: d.id, username: d.id, password: d.secret, clean: false, reconnectPeriod: 200 }).then(noDelay)),
    );
    cells.push({ compound, dbFile, leaf: leaf.proc, leafPort: leaf.port, gw, clients, devices });
  }
  // Each cell's normal rate, spread over its devices, every 100 ms.
  let n = 0;
  const perTick = rate / 10;
  let owed = 0;
  const pump = setInterval(() => {
    owed += perTick;
    for (; owed >= 1; owed--, n++) {
      for (const c of cells) {
        const k = n % c.clients.length;
        c.clients[k]!.publish(topicFor('doorState', c.devices[k]!.id), JSON.stringify(DoorState.parse({ eventId: `o-${n}`, ts: new Date().toISOString(), state: n % 2 ? 'open' : 'closed', cause: 'grant' })), { qos: 1 });
      }
    }
  }, 100);
  try {
    console.log(`\n3. outage: ${cellCount} cells at ${rate} events/s each, link cut for ${outageMs / 60_000} min (load ${load()})`);
    await sleep(20_000);
    for (const c of cells) await stopByPid(c.leaf);
    const cutAt = Date.now();
    while (Date.now() - cutAt < outageMs) {
      await sleep(Math.min(60_000, outageMs - (Date.now() - cutAt)));
      console.log(`  … ${Math.round((Date.now() - cutAt) / 1000)} s cut (load ${load()})`);
    }
    const confirmedBefore = await Promise.all(cells.map((c) => watermarkOf(hub, c.compound)));
    // The link returns: the same leaf ports, new processes. Everything committed until now is the catch-up's target.
    for (const c of cells) {
      const again = await startLeaf(dir, c.compound, hub, c.leafPort);
      procs.push(again.proc);
      c.leaf = again.proc;
    }
    const targets = cells.map((c) => lastSeqOf(c.dbFile));
    const behind = targets.reduce((s, t, i) => s + (t - confirmedBefore[i]!), 0);
    const t0 = performance.now();
    const each = await Promise.all(cells.map((c, i) => timeUntil(async () => (await watermarkOf(hub, c.compound)) >= targets[i]!, 1_800_000)));
    const all = (performance.now() - t0) / 1000;
    console.log(`  per cell: ${each.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}; about ${behind} rows (seqs) behind at the return`);
    figure(`catch-up after a ${outageMs / 60_000}-min outage of ${cellCount} cells at ${rate} events/s each (link back → PostgreSQL holds all)`, 's', all);
    figure('catch-up rows/s (rows behind at the return ÷ catch-up time)', 'rows/s', behind / all);
  } finally {
    clearInterval(pump);
    for (const c of cells) await Promise.all(c.clients.map((m) => m.endAsync(true)));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'linli-bench-hub-'));
// A directory of its own (hub-up lets the postgres user into it, not into its parents).
const hubDir = mkdtempSync(join(tmpdir(), 'linli-bench-hubpg-'));
const procs: Proc[] = [];
const gws: GatewayProcess[] = [];
let hub: Hub | null = null;
let writer: Proc | null = null;
console.log(`hub benchmark: phases ${[...phases].join(', ')}; load average at start ${load()} (a shared machine)`);
try {
  buildGateway();
  hub = await hubUp(hubDir);
  if (phases.has('writer')) await writerPhase(hub);
  if (phases.has('e2e') || phases.has('outage')) {
    writer = await startWriter(hub, { HUB_BATCH_MAX: '500' }); // the product's default (the cluster tests use 200)
    if (phases.has('e2e')) await e2ePhase(hub, dir, procs);
    if (phases.has('outage')) await outagePhase(hub, dir, procs, gws);
  }
} finally {
  for (const gw of gws) await stopGateway(gw).catch(() => {});
  await stopByPid(writer ?? undefined);
  for (const p of procs) await stopByPid(p);
  await hub?.pool.end();
  if (hub) await run('scripts/hub-down', [hubDir], { timeout: 120_000 });
  rmSync(dir, { recursive: true, force: true });
  rmSync(hubDir, { recursive: true, force: true });
}
console.log(`\nhub: load average at the end ${load()}\n`);
console.log('| figure | value |\n| --- | ---: |');
for (const f of figures) console.log(`| ${f.name} | ${f.linli} ${f.unit} |`);
console.log(`BENCH_RESULT ${JSON.stringify({ bench: 'hub', figures })}`);
