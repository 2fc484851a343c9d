// Shared plumbing for benchmarks: a migrated database with N devices, the real gateway as a child process, and a
// bare Mosquitto for comparison. Benchmarks print numbers; they never assert on time (see docs/benchmarks.md).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashDeviceSecret } from '../../gateway/src/auth/hash';
import type { DeviceKind } from '../../gateway/src/contracts';
import { openDb } from '../../gateway/src/db/client';
import { migrateCellPg, openPgDb } from '../../gateway/src/db/pg-client';
import type { Store } from '../../gateway/src/db/store';
import { startPg } from '../cluster/pg';
import { type GatewayProcess, freePort, spawnGateway } from '../helpers/process';

export interface BenchDevice {
  id: string;
  kind: DeviceKind;
  secret: string;
}

const BENCH_SECRET = 'bench-device-secret-000000000001';
/** The credential key every bench gateway runs with, so that the bench database can hold keyed device hashes. */
export const BENCH_CREDENTIAL_KEY = 'bench-credential-key-0000000000000000000001';

/**
 * A migrated database with `count` devices of the given kinds (round robin): fresh in a temp dir, or, with `reuseDir`,
 * the one a previous run left there.
 */
export async function benchDatabase(count: number, kinds: DeviceKind[], reuseDir?: string): Promise<{ dir: string; dbFile: string; devices: BenchDevice[] }> {
  const dir = reuseDir ?? mkdtempSync(join(tmpdir(), 'linli-bench-'));
  const dbFile = join(dir, 'linli.db');
  if (reuseDir !== undefined) mkdirSync(reuseDir, { recursive: true });
  const reused = reuseDir !== undefined && existsSync(dbFile);
  // A kept database gets the migrations added since it was made.
  const r = spawnSync('node_modules/.bin/prisma', ['migrate', 'deploy'], { env: { ...process.env, DATABASE_URL: `file:${dbFile}` } });
  if (r.status !== 0) throw new Error(`migrate failed: ${r.stderr.toString()}`);
  if (reused) return { dir, dbFile, devices: benchDevices(count, kinds) };
  // Keyed hashes as enrolment writes them (auth/hash.ts): the first login is the production path.
  const devices = benchDevices(count, kinds);
  const db = await openDb(dbFile);
  await seedBench(db, devices);
  await db.close();
  return { dir, dbFile, devices };
}

/** The bench compound and its devices, with keyed hashes as enrolment writes them (auth/hash.ts). */
async function seedBench(db: Pick<Store, 'prisma'>, devices: BenchDevice[]): Promise<void> {
  await db.prisma.community.create({ data: { id: 'bench', name: 'bench', latitude: 34.2583, longitude: 108.9286 } });
  for (let i = 0; i < devices.length; i += 1000) {
    await db.prisma.device.createMany({
      data: devices.slice(i, i + 1000).map((d) => ({ id: d.id, kind: d.kind, name: d.id, communityId: 'bench', placeKind: 'outdoor', x: 0, y: 0, secretHash: hashDeviceSecret(BENCH_CREDENTIAL_KEY, d.id, d.secret), supervisionSec: 3600 })),
    });
  }
}

/**
 * `--store postgres`: a PostgreSQL 15 of its own (test/cluster/pg.ts, on a free port), a migrated database with the
 * same devices; `dbFile` is its URL (startBenchGateway takes either). `stop` ends the server and removes its folder.
 */
export async function benchPgDatabase(count: number, kinds: DeviceKind[]): Promise<{ dir: string; dbFile: string; devices: BenchDevice[]; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'linli-bench-pg-'));
  const server = await startPg(dir);
  await server.pool.query('CREATE DATABASE linli_bench');
  const url = server.url.replace(/\/linli_hub$/, '/linli_bench');
  const db = await openPgDb(url);
  await migrateCellPg(db.pool);
  const devices = benchDevices(count, kinds);
  await seedBench(db, devices);
  await db.close();
  return {
    dir,
    dbFile: url,
    devices,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function benchDevices(count: number, kinds: DeviceKind[]): BenchDevice[] {
  return Array.from({ length: count }, (_, i) => ({ id: `bench-${String(i).padStart(5, '0')}`, kind: kinds[i % kinds.length]!, secret: BENCH_SECRET }));
}

let built = false;

/**
 * The production build (`npm run build`, what `npm start` runs), not tsx: that is what a guard room runs. `dbFile` is a
 * SQLite file, or a postgres:// URL (benchPgDatabase).
 */
export function startBenchGateway(dbFile: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  // BENCH_NO_BUILD=1: use the dist/ already there (several runs in a row on a shared machine).
  if (!built && !process.env.BENCH_NO_BUILD) {
    const r = spawnSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm run build failed');
    built = true;
  }
  // BENCH_NODE_ARGS: extra flags for the gateway's node, e.g. --cpu-prof --cpu-prof-dir=/tmp/prof to see where time
  // goes, or V8 heap flags to weigh memory against speed (docs/benchmarks.md).
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  // MALLOC_ARENA_MAX=2 as `npm start` sets it (docs/operations.md: glibc's per-thread arenas cost ~20 MB for nothing).
  // BENCH_GATEWAY: another build of the gateway (e.g. the one before a change, copied to dist/base/), to compare two
  // builds run after run on a machine whose load keeps changing.
  const script = process.env.BENCH_GATEWAY ?? 'dist/gateway.mjs';
  const store: Record<string, string> = dbFile.startsWith('postgres') ? { DATABASE_URL: dbFile, DATA_DIR: mkdtempSync(join(tmpdir(), 'linli-bench-data-')) } : { DATABASE_URL: `file:${dbFile}` };
  return spawnGateway({ ...store, HTTP_PORT: '0', MQTT_PORT: '0', MALLOC_ARENA_MAX: '2', CREDENTIAL_KEY: BENCH_CREDENTIAL_KEY, ...env }, [process.execPath, ...nodeArgs, script]);
}

export async function stopGateway(gw: GatewayProcess): Promise<void> {
  gw.child.kill('SIGTERM');
  await gw.exited;
}

/** Resident set size of a process in MB, from /proc. */
/** RSS split as the kernel counts it (MB): anonymous (V8 heap, malloc, stacks) and file-backed (the node binary's text, libraries). */
export function rssParts(pid: number): { anon: number; file: number } {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { anon: Number.NaN, file: Number.NaN };
  }
  const mb = (field: string) => Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 'NaN') / 1024);
  return { anon: mb('RssAnon'), file: mb('RssFile') };
}

export function rssMb(pid: number): number {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return Number.NaN; // the process is gone
  }
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN');
  return Math.round(kb / 1024);
}

/** A bare Mosquitto (Debian package `mosquitto`), no persistence, anonymous, on a free port. */
export async function startMosquitto(fixedPort?: number): Promise<{ port: number; child: ChildProcess; stop: () => Promise<void> }> {
  const port = fixedPort ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'linli-mosq-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 0\nmax_queued_messages 100000\n`);
  const child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  return {
    port,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function mosquittoAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v mosquitto']).status === 0;
}

/** TCP_NODELAY on an MQTT.js client's socket, as door firmware should set it (MQTT.js leaves Nagle on). */
export function noDelay<C extends { stream: unknown }>(client: C): C {
  const s = client.stream;
  if (s instanceof Socket) s.setNoDelay(true);
  return client;
}

/** One figure of a benchmark run, beside the same figure measured on a bare Mosquitto in the same run. */
export interface Figure {
  name: string;
  unit: string;
  /** Infinity: there is no such figure, e.g. a p99 when more than 1 % was never answered (`windowP99`). */
  linli: number;
  /** The reference; undefined when Mosquitto is not installed. Infinity as for `linli`. */
  mosquitto?: number;
  /** What the target is, as a ratio linli ÷ mosquitto (e.g. "≤ 1.5"); printed beside the ratio. */
  target?: string;
}

const RESULT_PREFIX = 'BENCH_RESULT ';

/**
 * Prints the figures as a table with the ratio column, and one machine-readable line that `npm run bench -- <name>
 * --runs N` (run.ts) collects from each run to report medians.
 */
export function reportFigures(bench: string, figures: Figure[]): void {
  console.log(`\n${bench}: figures beside the Mosquitto reference measured in the same run\n`);
  console.log('| figure | linli | Mosquitto | ratio linli ÷ Mosquitto | target |');
  console.log('| --- | ---: | ---: | ---: | --- |');
  for (const f of figures) console.log(figureRow(f));
  // JSON has no Infinity: it travels as the string "inf" (parseFigures reads it back).
  console.log(`${RESULT_PREFIX}${JSON.stringify({ bench, figures }, (_k, v: unknown) => (v === Infinity ? 'inf' : v))}`);
}

/**
 * A window's p99 over everything sent, not only what was answered: when more than 1 % never got an answer within the
 * wait, the true p99 lies beyond it and there is none to report (Infinity, printed as such), never the answered
 * ones' p99 — a gateway that answers almost nothing must not look fast.
 */
export function windowP99(answeredP99: number, sent: number, answered: number): number {
  return sent > 0 && (sent - answered) / sent > 0.01 ? Infinity : answeredP99;
}

export function figureRow(f: Figure): string {
  const ratio = f.mosquitto !== undefined && f.mosquitto > 0 && Number.isFinite(f.mosquitto) ? ratioText(f.linli / f.mosquitto) : '–';
  return `| ${f.name} | ${shown(f.linli)} ${f.unit} | ${f.mosquitto !== undefined ? shown(f.mosquitto) : '–'} ${f.mosquitto !== undefined ? f.unit : ''} | ${ratio} | ${f.target ?? ''} |`;
}

/** A figure as a reader wants it: at most two decimals (9.05 s, not 9.048994325999999 s). */
function shown(x: number): string {
  return x === Infinity ? 'none (over 1 % unanswered)' : String(Math.round(x * 100) / 100);
}

export function ratioText(r: number): string {
  return r === Infinity ? '∞' : Number.isFinite(r) ? r.toFixed(2) : '–';
}

/** The figures a run printed with reportFigures, from its output. */
export function parseFigures(output: string): { bench: string; figures: Figure[] } | null {
  const line = output.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  return line === undefined ? null : (JSON.parse(line.slice(RESULT_PREFIX.length), (_k, v: unknown) => (v === 'inf' ? Infinity : v)) as { bench: string; figures: Figure[] });
}

/** p-th percentile of samples (nearest rank), rounded to 0.1; NaN when there are none. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! * 10) / 10;
}
