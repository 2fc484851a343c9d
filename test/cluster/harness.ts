// Processes for the multi-process replication tests (docs/scale-out.md): the hub from scripts/hub-up (PostgreSQL and
// 3 NATS nodes), a leaf node per cell, the hub writer, and what a test reads back from a cell's SQLite and the hub's
// PostgreSQL, parsed with zod. Every process is started here on free ports of 127.0.0.1 and stopped by its PID.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { type NatsConnection, connect } from 'nats';
import pg from 'pg';
import { z } from 'zod';
import { type ReplicatedTable, cellInboxPrefix } from '../../gateway/src/contracts/replication';
import { type PrismaClient, openDb } from '../../gateway/src/db/client';
import { freshDatabase } from '../helpers/gateway';
import { type GatewayProcess, freePort } from '../helpers/process';

export const run = promisify(execFile);

export interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
  /** The line that said the process was ready. */
  readyLine: string;
}

/** Spawns a process and resolves once a line of its output contains `ready`. */
export function spawnUntil(cmd: string, args: string[], env: Record<string, string>, ready: string, timeoutMs = 180_000): Promise<Proc> {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let all = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} not ready after ${timeoutMs} ms:\n${all}`)), timeoutMs);
    const onLine = (line: string) => {
      all += `${line}\n`;
      if (line.includes(ready)) {
        clearTimeout(timer);
        resolve({ child, exited, output: () => all, readyLine: line });
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

export async function stopByPid(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM') {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  process.kill(p.child.pid!, signal);
  const timer = setTimeout(() => p.child.pid && p.child.exitCode === null && process.kill(p.child.pid, 'SIGKILL'), 20_000);
  await p.exited;
  clearTimeout(timer);
}

export interface Hub {
  /** The folder scripts/hub-up keeps the hub in (hub.env, its NATS users, its TLS files). */
  dir: string;
  env: Record<string, string>;
  pool: pg.Pool;
  q(sql: string, params?: unknown[]): Promise<unknown[]>;
}

/** The hub's own NATS user (scripts/hub-up made it), as a NATS client's options. */
export const hubNatsAuth = (hub: Hub) => ({ user: hub.env.HUB_NATS_USER!, pass: hub.env.HUB_NATS_PASSWORD! });

/** A NATS connection to the hub's cluster as the hub's own user (every subject). */
export const hubNats = (hub: Hub): Promise<NatsConnection> => connect({ servers: hub.env.HUB_NATS_URL!.split(','), ...hubNatsAuth(hub) });

/** scripts/hub-up DIR --no-writer: PostgreSQL and the 3-node NATS cluster; hub.env read back. */
export async function hubUp(dir: string): Promise<Hub> {
  await run('scripts/hub-up', [dir, '--no-writer'], { timeout: 590_000 });
  const env = Object.fromEntries(
    readFileSync(join(dir, 'hub.env'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const pool = new pg.Pool({ connectionString: env.HUB_DATABASE_URL, max: 2 });
  return { dir, env, pool, q: async (sql, params = []) => (await pool.query(sql, params)).rows };
}

const WriterReady = z.object({ msg: z.literal('hub writer ready'), httpPort: z.number().int() });

/** The hub writer process (gateway/src/hub-main.ts), ready once it says so; its /metrics on a free port. */
export async function startWriter(hub: Hub, extra: Record<string, string> = {}): Promise<Proc & { metricsUrl: string }> {
  const proc = await spawnUntil(
    process.execPath,
    ['--import', 'tsx', 'gateway/src/hub-main.ts'],
    {
      HUB_NATS_URL: hub.env.HUB_NATS_URL!, HUB_NATS_USER: hub.env.HUB_NATS_USER!, HUB_NATS_PASSWORD: hub.env.HUB_NATS_PASSWORD!,
      HUB_DATABASE_URL: hub.env.HUB_DATABASE_URL!, HUB_BATCH_MAX: '200', HUB_HTTP_PORT: '0', ...extra,
    },
    'hub writer ready',
  );
  const ready = WriterReady.parse(JSON.parse(proc.readyLine));
  return { ...proc, metricsUrl: `http://127.0.0.1:${ready.httpPort}/metrics` };
}

/**
 * A compound's NATS user at the hub (scripts/hub-cell): the leaf node's remote URLs with the user and its password.
 * Kept in the leaf's configuration file, so a leaf started again after a cut signs in as before.
 */
export async function cellLeafRemotes(hubDir: string, compound: string): Promise<string[]> {
  const { stdout } = await run('scripts/hub-cell', [hubDir, compound], { timeout: 120_000 });
  const line = stdout.split('\n').find((l) => l.startsWith('LEAF_REMOTE_URLS='));
  if (line === undefined) throw new Error(`scripts/hub-cell printed no LEAF_REMOTE_URLS:\n${stdout}`);
  return line.slice('LEAF_REMOTE_URLS='.length).split(',');
}

/** A leaf node's configuration: its client port, and one remote to the hub over TLS checked against the hub's CA. */
export const leafConf = (port: number, urls: string[], caFile: string) =>
  `listen: 127.0.0.1:${port}\nleafnodes { remotes: [ { urls: [ ${urls.map((u) => `"${u}"`).join(', ')} ], tls: { ca_file: "${caFile}" } } ] }\n`;

/** Waits until a client of the leaf reaches the hub's JetStream as the compound's cell would (its user signed in). */
export async function leafReachesHub(url: string, compound: string, domain: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const nc = await connect({ servers: url, inboxPrefix: cellInboxPrefix(compound) });
    try {
      await nc.jetstreamManager({ domain, timeout: 2_000 });
      return;
    } catch (err) {
      if (Date.now() > until) throw new Error(`the leaf at ${url} does not reach the hub's JetStream as ${compound}: ${String(err)}`);
    } finally {
      await nc.close();
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * A cell's own leaf node (plain NATS, no JetStream), signed in to the hub as the compound's NATS user: JetStream calls
 * pass through it to the hub cluster. Started again on the same port after a cut, so the cell's client finds it where
 * it was; resolves once the hub has let it in.
 * `dir` holds its configuration; the compound's NATS user is made at the hub (hub.dir) the first time.
 */
export async function startLeaf(dir: string, compound: string, hub: Hub, port?: number): Promise<{ proc: Proc; port: number; url: string }> {
  const p = port ?? (await freePort());
  const conf = join(dir, `leaf-${compound}.conf`);
  const remotes = existsSync(conf) ? null : await cellLeafRemotes(hub.dir, compound);
  const urls = remotes ?? z.array(z.string()).parse(JSON.parse(readFileSync(`${conf}.remotes`, 'utf8')));
  if (remotes !== null) writeFileSync(`${conf}.remotes`, JSON.stringify(remotes), { mode: 0o600 });
  writeFileSync(conf, leafConf(p, urls, hub.env.HUB_LEAF_CA_FILE!), { mode: 0o600 });
  const proc = await spawnUntil('/usr/sbin/nats-server', ['-c', conf], {}, 'Leafnode connection created');
  const url = `nats://127.0.0.1:${p}`;
  await leafReachesHub(url, compound, hub.env.HUB_JS_DOMAIN!);
  return { proc, port: p, url };
}

/** A cell as the multi-cell tests hold it: its SQLite file, its leaf node, and its gateway once spawned. */
export interface TestCell {
  compound: string;
  dir: string;
  dbFile: string;
  leaf: Proc;
  leafPort: number;
  leafUrl: string;
  gw?: GatewayProcess;
}

/** A cell's fresh migrated database, filled by `seed`, and its own leaf node; the gateway is the test's to spawn. */
export async function prepareCell(hubDir: string, hub: Hub, compound: string, seed: (prisma: PrismaClient) => Promise<unknown>): Promise<TestCell> {
  const { dir, dbFile } = freshDatabase();
  const db = await openDb(dbFile);
  try {
    await seed(db.prisma);
  } finally {
    await db.close();
  }
  const leaf = await startLeaf(hubDir, compound, hub);
  return { compound, dir, dbFile, leaf: leaf.proc, leafPort: leaf.port, leafUrl: leaf.url };
}

/** Every cell's gateway (SIGTERM, waited for) and leaf node, the writer, the hub (scripts/hub-down), and their folders. */
export async function stopCellsAndHub(hubDir: string, hub: Hub | undefined, writer: Proc | undefined, cells: TestCell[]): Promise<void> {
  for (const c of cells) {
    if (c.gw) {
      c.gw.child.kill('SIGTERM');
      await c.gw.exited;
    }
    await stopByPid(c.leaf);
  }
  await stopByPid(writer);
  await hub?.pool.end();
  await run('scripts/hub-down', [hubDir], { timeout: 120_000 });
  rmSync(hubDir, { recursive: true, force: true });
  for (const c of cells) rmSync(c.dir, { recursive: true, force: true });
}

const Int = z.union([z.number(), z.string(), z.bigint()]).transform((v) => Number(v));
const SeqRow = z.object({ seq: Int });
const CountRow = z.object({ n: Int });

/** What a test reads from a cell's SQLite (read-only connection), every row parsed. */
export function cellReader(dbFile: string) {
  const db = new Database(dbFile, { readonly: true });
  const all = <T extends z.ZodType>(schema: T, sql: string, ...params: unknown[]): z.infer<T>[] => z.array(schema).parse(db.prepare(sql).all(...params));
  const one = <T extends z.ZodType>(schema: T, sql: string, ...params: unknown[]): z.infer<T> | undefined => {
    const r = db.prepare(sql).get(...params);
    return r === undefined ? undefined : schema.parse(r);
  };
  return {
    confirmed: (stream: string) => one(z.object({ confirmedSeq: Int }), 'SELECT confirmedSeq FROM ReplicationCursor WHERE stream = ?', stream)?.confirmedSeq ?? 0,
    generation: () => one(z.object({ generation: z.string().nullable() }), "SELECT generation FROM ReplicationCursor WHERE stream = 'device_event'")?.generation ?? null,
    deviceEventSeqs: () => all(SeqRow, "SELECT seq FROM DeviceEvent WHERE channel <> 'heartbeat' ORDER BY seq").map((r) => r.seq),
    heartbeats: () => one(CountRow, "SELECT count(*) AS n FROM DeviceEvent WHERE channel = 'heartbeat'")?.n ?? 0,
    accessIds: () => all(z.object({ id: z.string() }), 'SELECT id FROM AccessEvent ORDER BY id').map((r) => r.id),
    accessRequests: () => one(CountRow, "SELECT count(*) AS n FROM DeviceEvent WHERE channel = 'access/request'")?.n ?? 0,
    /** Stored events the alert engine has not judged yet. */
    alertOutboxLeft: () => one(CountRow, 'SELECT count(*) AS n FROM AlertOutbox')?.n ?? 0,
    /** The access stream's last seq ever handed out (its log rows go once confirmed). */
    /**
     * The last seq a logged table (access decisions, sessions, presence; they share ReplicationLog's sequence) handed
     * out: its newest log row, or, when the hub has confirmed them all (their log rows are gone), its resend point.
     */
    logLastSeq(stream: string): number {
      const newest = one(z.object({ seq: Int.nullable() }), 'SELECT max(seq) AS seq FROM ReplicationLog WHERE stream = ?', stream)?.seq ?? null;
      return newest ?? (one(z.object({ confirmedSeq: Int }), 'SELECT confirmedSeq FROM ReplicationCursor WHERE stream = ?', stream)?.confirmedSeq ?? 0);
    },
    alertChangeIds: () => all(SeqRow, 'SELECT id AS seq FROM AlertHistory ORDER BY id').map((r) => r.seq),
    alerts: () => all(z.object({ id: z.string(), status: z.string(), count: Int }), 'SELECT id, status, count FROM Alert ORDER BY id'),
    auditIds: () => all(SeqRow, 'SELECT id AS seq FROM AuditLog ORDER BY id').map((r) => r.seq),
    /** Staff sessions (residents' never replicate): logins, and the logouts among them. */
    staffSessions: () => one(z.object({ logins: Int, logouts: Int }), "SELECT count(*) AS logins, count(revokedAt) AS logouts FROM Session WHERE role <> 'resident'")!,
    /** Log rows of a table still waiting for the hub's confirmation. */
    logLeft: (stream: string) => one(CountRow, 'SELECT count(*) AS n FROM ReplicationLog WHERE stream = ?', stream)?.n ?? 0,
    devicesOnline: () => all(z.object({ id: z.string(), online: Int }), 'SELECT id, online FROM Device ORDER BY id').map((r) => ({ id: r.id, online: r.online === 1 })),
    close: () => db.close(),
  };
}
export type CellReader = ReturnType<typeof cellReader>;

const ChainRow = z.object({ seq: Int, prev_seq: Int });

/** What the hub holds for one cell generation, per table: rows in seq order with their prev links. */
export function hubReader(hub: Hub) {
  const chain = async (table: ReplicatedTable, compound: string, generation: string) =>
    z.array(ChainRow).parse(await hub.q(`SELECT seq, prev_seq FROM ${table} WHERE compound = $1 AND generation = $2 ORDER BY seq`, [compound, generation]));
  return {
    chain,
    count: async (table: ReplicatedTable, compound: string) =>
      CountRow.parse((await hub.q(`SELECT count(*) AS n FROM ${table} WHERE compound = $1`, [compound]))[0]).n,
    watermark: async (compound: string, generation: string, table: string) => {
      const rows = z.array(SeqRow).parse(await hub.q('SELECT seq FROM cell_watermark WHERE compound = $1 AND generation = $2 AND tbl = $3', [compound, generation, table]));
      return rows[0]?.seq ?? 0;
    },
    accessIds: async (compound: string) =>
      z.array(z.object({ id: z.string() })).parse(await hub.q('SELECT id FROM access_event WHERE compound = $1 ORDER BY id', [compound])).map((r) => r.id),
    /** Presence transitions per device in seq order (true: online). */
    presence: async (compound: string) => {
      const rows = z.array(z.object({ device_id: z.string(), online: z.boolean() })).parse(await hub.q('SELECT device_id, online FROM device_presence WHERE compound = $1 ORDER BY seq', [compound]));
      const by = new Map<string, boolean[]>();
      for (const r of rows) by.set(r.device_id, [...(by.get(r.device_id) ?? []), r.online]);
      return by;
    },
    /** Session events per kind, and how many distinct (session, kind) pairs (equal to their sum when none is there twice). */
    sessions: async (compound: string) =>
      z.object({ logins: Int, logouts: Int, pairs: Int }).parse(
        (await hub.q(
          `SELECT count(*) FILTER (WHERE kind = 'login') AS logins, count(*) FILTER (WHERE kind = 'logout') AS logouts,
                  count(DISTINCT (session_ref, kind)) AS pairs FROM session_event WHERE compound = $1`,
          [compound],
        ))[0],
      ),
    alerts: async (compound: string) =>
      z.array(z.object({ id: z.string(), status: z.string(), count: Int })).parse(
        await hub.q("SELECT id, status, (snapshot->>'count')::int AS count FROM alert WHERE compound = $1 ORDER BY id", [compound]),
      ),
  };
}

/** Each row's prev is the row before it (the first's is the generation's base): no gap in the chain. */
export function expectUnbroken(rows: { seq: number; prev_seq: number }[], base = 0): string[] {
  const problems: string[] = [];
  let prev = base;
  for (const r of rows) {
    if (r.prev_seq !== prev) problems.push(`seq ${r.seq}: prev ${r.prev_seq}, expected ${prev}`);
    prev = r.seq;
  }
  return problems;
}
