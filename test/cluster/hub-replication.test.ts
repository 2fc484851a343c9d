// Cell → hub replication across real processes (docs/scale-out.md): PostgreSQL 15 and a 3-node NATS JetStream cluster
// from scripts/hub-up, a leaf node for the cell, the hub writer, and one cell gateway with devices publishing over
// MQTT. The hub writer is killed with SIGKILL mid-stream and restarted, and a NATS node is stopped. Afterwards every
// committed cell row except heartbeats is in PostgreSQL exactly once, the cell's sequence has no gap there, and the
// cell's resend point was never ahead of the hub's committed watermark. Every process is stopped by its PID.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoorState, Heartbeat, topicFor } from '../../gateway/src/contracts';
import { openDb } from '../../gateway/src/db/client';
import { addDevice } from '../helpers/fixtures';
import { freshDatabase } from '../helpers/gateway';
import { type GatewayProcess, freePort, spawnGateway } from '../helpers/process';

const run = promisify(execFile);
const DEVICES = Array.from({ length: 6 }, (_, i) => ({ id: `door-hub-${i}`, kind: 'face_terminal' as const, secret: `hub-secret-${i}-xyzw` }));
const COMPOUND = 'test-community';

interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

/** Spawns a process and resolves once a line of its output contains `ready`. */
function spawnUntil(cmd: string, args: string[], env: Record<string, string>, ready: string, timeoutMs = 180_000): Promise<Proc> {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let all = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} not ready after ${timeoutMs} ms:\n${all}`)), timeoutMs);
    const onLine = (line: string) => {
      all += `${line}\n`;
      if (line.includes(ready)) {
        clearTimeout(timer);
        resolve({ child, exited, output: () => all });
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited (${code}) before ready:\n${all}`));
    });
  });
}

async function stopByPid(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM') {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  process.kill(p.child.pid!, signal);
  const timer = setTimeout(() => p.child.pid && p.child.exitCode === null && process.kill(p.child.pid, 'SIGKILL'), 20_000);
  await p.exited;
  clearTimeout(timer);
}

describe('cell → hub replication (multi-process)', () => {
  const hubDir = mkdtempSync(join(tmpdir(), 'linli-hub-'));
  const { dir, dbFile } = freshDatabase();
  let env: Record<string, string> = {};
  let leaf: Proc | undefined;
  let writer: Proc | undefined;
  let gw: GatewayProcess | undefined;
  let pool: pg.Pool | undefined;
  const clients: MqttClient[] = [];

  const startWriter = () =>
    spawnUntil(process.execPath, ['--import', 'tsx', 'gateway/src/hub-main.ts'], { HUB_NATS_URL: env.HUB_NATS_URL!, HUB_DATABASE_URL: env.HUB_DATABASE_URL!, HUB_BATCH_MAX: '200' }, 'hub writer ready');

  beforeAll(async () => {
    await run('scripts/hub-up', [hubDir, '--no-writer'], { timeout: 590_000 });
    env = Object.fromEntries(
      readFileSync(join(hubDir, 'hub.env'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    pool = new pg.Pool({ connectionString: env.HUB_DATABASE_URL, max: 2 });
    // The cell's own leaf node (plain NATS, no JetStream): JetStream calls pass through it to the hub cluster.
    const leafPort = await freePort();
    const leafConf = join(hubDir, 'leaf-cell.conf');
    writeFileSync(leafConf, `listen: 127.0.0.1:${leafPort}\nleafnodes { remotes: [ { urls: [ ${env.HUB_LEAF_URLS!.split(',').map((u) => `"${u}"`).join(', ')} ] } ] }\n`);
    leaf = await spawnUntil('/usr/sbin/nats-server', ['-c', leafConf], {}, 'Leafnode connection created');
    env.CELL_NATS_URL = `nats://127.0.0.1:${leafPort}`;
    writer = await startWriter();
    const db = await openDb(dbFile);
    for (const d of DEVICES) await addDevice(db.prisma, d);
    await db.close();
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    if (gw) {
      gw.child.kill('SIGTERM');
      await gw.exited;
    }
    await stopByPid(writer);
    await stopByPid(leaf);
    await pool?.end();
    // scripts/hub-down stops the NATS nodes and PostgreSQL by the PIDs hub-up recorded.
    await run('scripts/hub-down', [hubDir], { timeout: 120_000 });
    rmSync(hubDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('gets every committed row except heartbeats into PostgreSQL exactly once through a writer crash and a NATS node stop', async () => {
    gw = await spawnGateway({ DATABASE_URL: `file:${dbFile}`, HTTP_PORT: '0', MQTT_PORT: '0', HUB_NATS_URL: env.CELL_NATS_URL!, HUB_JS_DOMAIN: 'linli-hub', REPLICATION_POLL_MS: '100', REPLICATION_RESEND_AFTER_MS: '5000' });
    for (const d of DEVICES) {
      clients.push(mqtt.connect(`mqtt://127.0.0.1:${gw.mqtt}`, { clientId: d.id, username: d.id, password: d.secret, clean: false, reconnectPeriod: 200 }));
    }
    await Promise.all(clients.map((c) => new Promise((r) => c.once('connect', r))));

    const cell = new Database(dbFile, { readonly: true });
    const q = async (sql: string, params: unknown[] = []) => (await pool!.query(sql, params)).rows;
    const hubRows = async () => Number((await q('SELECT count(*) AS n FROM device_event WHERE compound = $1', [COMPOUND]))[0].n);
    // The invariant, sampled all along: the cell's resend point is never ahead of what PostgreSQL has committed.
    // Read the cursor first: the watermark only grows, so a later read of it can only be larger.
    const violations: string[] = [];
    let samples = 0;
    const sampler = setInterval(() => {
      const cur = cell.prepare("SELECT confirmedSeq FROM ReplicationCursor WHERE stream = 'device_event'").get() as { confirmedSeq: number } | undefined;
      void q('SELECT seq FROM cell_watermark WHERE compound = $1 AND tbl = $2', [COMPOUND, 'device_event']).then((rows) => {
        const wm = rows.length === 0 ? 0 : Number(rows[0].seq);
        samples++;
        if ((cur?.confirmedSeq ?? 0) > wm) violations.push(`cursor ${cur?.confirmedSeq} > watermark ${wm}`);
      }, () => {});
    }, 200);

    let n = 0;
    let acked = 0;
    let ackErrors = 0;
    const pump = setInterval(() => {
      for (const [i, c] of clients.entries()) {
        const ts = new Date().toISOString();
        c.publish(topicFor('doorState', DEVICES[i]!.id), JSON.stringify(DoorState.parse({ eventId: `hub-${i}-${n}`, ts, state: n % 2 ? 'open' : 'closed', cause: 'grant' })), { qos: 1 }, (err) => {
          if (err) ackErrors++;
          else acked++;
        });
        if (n % 5 === 0) c.publish(topicFor('heartbeat', DEVICES[i]!.id), JSON.stringify(Heartbeat.parse({ eventId: `hb-${i}-${n}`, ts, uptimeSec: n })), { qos: 1 });
      }
      n++;
    }, 20);

    try {
      await expect.poll(hubRows, { timeout: 120_000, interval: 250 }).toBeGreaterThan(200);
      // The writer dies mid-stream (between any two of its steps, COMMIT and ACK included) and comes back.
      writer!.child.kill('SIGKILL');
      await writer!.exited;
      const whileDown = acked;
      await expect.poll(() => acked, { timeout: 60_000 }).toBeGreaterThan(whileDown + 300);
      writer = await startWriter();
      const afterRestart = await hubRows();
      await expect.poll(hubRows, { timeout: 120_000, interval: 250 }).toBeGreaterThan(afterRestart + 200);
      // One NATS node stops for good: the R3 stream and the watermark bucket keep a quorum on the other two.
      const n3 = Number(readFileSync(join(hubDir, 'pids', 'nats-n3.pid'), 'utf8'));
      process.kill(n3, 'SIGTERM');
      const afterNodeStop = acked;
      await expect.poll(() => acked, { timeout: 60_000 }).toBeGreaterThan(afterNodeStop + 300);
    } finally {
      clearInterval(pump);
    }
    await expect.poll(() => acked + ackErrors, { timeout: 60_000 }).toBeGreaterThanOrEqual(n * DEVICES.length);

    const cellRows = cell.prepare("SELECT seq FROM DeviceEvent WHERE channel <> 'heartbeat' ORDER BY seq").all() as { seq: number }[];
    const heartbeats = (cell.prepare("SELECT count(*) AS n FROM DeviceEvent WHERE channel = 'heartbeat'").get() as { n: number }).n;
    expect(heartbeats).toBeGreaterThan(0);
    const lastSeq = cellRows[cellRows.length - 1]!.seq;
    // Everything reaches PostgreSQL, and the watermark (hence the cell's resend point) reaches the last row.
    try {
      await expect.poll(hubRows, { timeout: 240_000, interval: 500 }).toBe(cellRows.length);
      await expect
        .poll(() => (cell.prepare("SELECT confirmedSeq FROM ReplicationCursor WHERE stream = 'device_event'").get() as { confirmedSeq: number } | undefined)?.confirmedSeq, { timeout: 120_000, interval: 250 })
        .toBe(lastSeq);
    } catch (err) {
      const relayLog = gw.output().split('\n').filter((l) => l.includes('replication')).slice(-20).join('\n');
      throw new Error(`${String(err)}\ncell replication log:\n${relayLog}\nhub writer:\n${writer!.output().slice(-3000)}`, { cause: err });
    }
    clearInterval(sampler);

    const [counts] = await q('SELECT count(*) AS n, count(DISTINCT seq) AS keys, max(seq) AS last FROM device_event WHERE compound = $1', [COMPOUND]);
    expect(Number(counts.n)).toBe(cellRows.length);
    expect(Number(counts.keys)).toBe(cellRows.length);
    expect(Number(counts.last)).toBe(lastSeq);
    const hub = await q('SELECT seq, prev_seq FROM device_event WHERE compound = $1 ORDER BY seq', [COMPOUND]);
    expect(hub.map((r) => Number(r.seq))).toEqual(cellRows.map((r) => r.seq));
    // No gap: each row's prev is the row before it (the first's is 0).
    expect(hub.map((r) => Number(r.prev_seq))).toEqual([0, ...cellRows.slice(0, -1).map((r) => r.seq)]);
    expect(Number((await q("SELECT count(*) AS n FROM device_event WHERE channel = 'heartbeat'"))[0].n)).toBe(0);
    const [wm] = await q('SELECT seq FROM cell_watermark WHERE compound = $1', [COMPOUND]);
    expect(Number(wm.seq)).toBe(lastSeq);
    // The cell's metrics tell the same: confirmed up to the last row, nothing in the backlog.
    const metrics = await (await fetch(`http://127.0.0.1:${gw.http}/metrics`)).text();
    expect(metrics).toContain(`linli_replication_confirmed_seq{table="device_event"} ${lastSeq}`);
    expect(metrics).toContain('linli_replication_backlog_rows{table="device_event"} 0');
    expect(metrics).toContain('linli_replication_lag_seconds{table="device_event"} 0');
    expect(samples).toBeGreaterThan(10);
    expect(violations).toEqual([]);
    cell.close();
  });
});
