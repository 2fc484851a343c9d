// A small district for the hub API and UI tests: two streets, three registered compounds and one the registry does
// not know, their alerts written into PostgreSQL through the hub's own writer path (hub/store.ts commit, as
// replicated alert changes with their snapshots) and a 小区网关离线 raised through hub/cells.ts. Every time is
// relative to `now`, so the ages and response times the tests expect are exact.
import { spawn } from 'node:child_process';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { Registry } from 'prom-client';
import { hubAlerts } from '../../gateway/src/hub/cells';
import { type HubHttpDeps, buildHubHttp } from '../../gateway/src/hub/http';
import { createLogger } from '../../gateway/src/log';
import { hubStore } from '../../gateway/src/hub/store';
import { hubRegistry } from '../../gateway/src/hub/users';
import { type HubCompound, HubCompoundList, HubLoginReply } from '../../gateway/src/contracts/api/hub';
import { ReplicationMessage } from '../../gateway/src/contracts/replication';

export const STREET_A = { id: 'xianning', name: '咸宁路街道' };
export const STREET_B = { id: 'zhangjiabu', name: '张家堡街道' };
/** Two compounds in street A, one in street B, and one seen only in replicated rows (not registered). */
export const C1 = { id: 'changan-001', name: '长庆坊小区' };
export const C2 = { id: 'changan-002', name: '兴庆苑' };
export const C3 = { id: 'changan-003', name: '凤城花园' };
export const C9 = 'changan-099';
export const PASSWORDS = { street: 'street-desk-pw-0001', compound: 'compound-pw-0001' };

const MIN = 60_000;

interface AlertSpec {
  compound: string;
  id: string;
  type: string;
  severity: string;
  place: string;
  /** Minutes before now it was raised. */
  raisedMinAgo: number;
  /** Seconds after raising: acknowledged, cleared (absent: not yet). */
  ackAfterSec?: number;
  clearAfterSec?: number;
}

export const ALERTS: AlertSpec[] = [
  { compound: C1.id, id: 'a1-alarm', type: 'alarm_press', severity: 'critical', place: '3号楼2单元502', raisedMinAgo: 40 },
  { compound: C1.id, id: 'a2-forced', type: 'forced_entry', severity: 'major', place: '北门', raisedMinAgo: 120, ackAfterSec: 180, clearAfterSec: 1200 },
  { compound: C2.id, id: 'b1-tamper', type: 'tamper', severity: 'major', place: '东门门禁', raisedMinAgo: 10, ackAfterSec: 60 },
  { compound: C3.id, id: 'c1-alarm', type: 'alarm_press', severity: 'critical', place: '1号楼101', raisedMinAgo: 30 },
  { compound: C9, id: 'd1-battery', type: 'low_battery', severity: 'minor', place: '南门路灯', raisedMinAgo: 300 },
];

const GENERATION = 'gen0000001';

/** The alert changes a cell would replicate for one alert: raised, then acknowledged and cleared when they happened. */
function changesOf(a: AlertSpec, now: number) {
  const raised = new Date(now - a.raisedMinAgo * MIN);
  const ackAt = a.ackAfterSec === undefined ? null : new Date(raised.getTime() + a.ackAfterSec * 1000);
  const clearAt = a.clearAfterSec === undefined ? null : new Date(raised.getTime() + a.clearAfterSec * 1000);
  const snap = (status: string, acked: Date | null, cleared: Date | null, lastAt: Date) => ({
    id: a.id,
    type: a.type,
    severity: a.severity,
    status,
    firstAt: raised.toISOString(),
    lastAt: lastAt.toISOString(),
    escalationLevel: 0,
    place: { label: a.place, kind: null },
    ackedBy: acked ? 'guard1' : null,
    ackedAt: acked ? acked.toISOString() : null,
    clearedBy: cleared ? 'guard1' : null,
    clearedAt: cleared ? cleared.toISOString() : null,
  });
  const out: { at: Date; action: 'raised' | 'acknowledged' | 'cleared'; actor: string; snapshot: ReturnType<typeof snap> }[] = [
    { at: raised, action: 'raised', actor: 'system', snapshot: snap('open', null, null, raised) },
  ];
  if (ackAt) out.push({ at: ackAt, action: 'acknowledged', actor: 'guard1', snapshot: snap('acknowledged', ackAt, null, ackAt) });
  if (clearAt) out.push({ at: clearAt, action: 'cleared', actor: 'guard1', snapshot: snap('cleared', ackAt, clearAt, clearAt) });
  return out;
}

/** Every compound's alert changes, committed as the hub writer commits a batch (one prev chain per compound). */
export async function fillDistrict(pool: Pool, now = Date.now()): Promise<void> {
  const seqs = new Map<string, number>();
  const batch: ReplicationMessage[] = [];
  for (const a of ALERTS) {
    for (const c of changesOf(a, now)) {
      const prev = seqs.get(a.compound) ?? 0;
      const seq = prev + 1;
      seqs.set(a.compound, seq);
      // Parsed with the replication contract, as the hub writer parses what a cell sends.
      batch.push(ReplicationMessage.parse({
        v: 2,
        compound: a.compound,
        generation: GENERATION,
        base: 0,
        table: 'alert_change',
        seq,
        prev,
        row: { alertId: a.id, at: c.at.toISOString(), action: c.action, actor: c.actor, note: null, detail: null, source: null, snapshot: c.snapshot },
      }));
    }
  }
  await hubStore(pool).commit(batch);
  // Compound 3's gateway went quiet 5 minutes ago: the hub's own critical alert, as hub/cells.ts raises it.
  await hubAlerts(pool).raiseOffline(C3.id, new Date(now - 5 * MIN), new Date(now - 4 * MIN));
}

/** Runs the hub's CLI (gateway/src/hub-cli.ts) as the operator would; resolves with its output, rejects on a non-zero exit. */
export function hubCli(databaseUrl: string, args: string[], stdin?: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/hub-cli.ts', ...args], {
      env: { ...process.env, HUB_DATABASE_URL: databaseUrl, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end(stdin ?? '');
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`hub-cli ${args[0]} exited ${code}: ${out}`))));
  });
}

/** The registry and the users: street A and compound 1 and the district user through the CLI, the rest directly. */
export async function registerDistrict(pool: Pool, databaseUrl: string): Promise<{ districtPassword: string }> {
  await hubCli(databaseUrl, ['street', STREET_A.id, STREET_A.name]);
  await hubCli(databaseUrl, ['compound', C1.id, C1.name, '--street', STREET_A.id]);
  const made = await hubCli(databaseUrl, ['user', 'district1', 'district', '--name', '区值班']);
  const districtPassword = /password \(shown once\): (\S+)/.exec(made)?.[1];
  if (districtPassword === undefined) throw new Error(`no password printed: ${made}`);
  const reg = hubRegistry(pool);
  await reg.street(STREET_B.id, STREET_B.name);
  await reg.compound(C2.id, C2.name, STREET_A.id);
  await reg.compound(C3.id, C3.name, STREET_B.id);
  await reg.user({ username: 'street-a', displayName: '咸宁路值班', password: PASSWORDS.street, scope: { kind: 'street', id: STREET_A.id } });
  await reg.user({ username: 'c2-office', displayName: '兴庆苑物业', password: PASSWORDS.compound, scope: { kind: 'compound', id: C2.id } });
  return { districtPassword };
}

/** A district user made through the CLI, signed in to a running hub's API at `base`; reads its compounds' states. */
export async function districtDesk(base: string, databaseUrl: string): Promise<{ compounds: () => Promise<Map<string, HubCompound>> }> {
  const made = await hubCli(databaseUrl, ['user', 'desk', 'district']);
  const password = /password \(shown once\): (\S+)/.exec(made)?.[1] ?? '';
  const res = await fetch(`${base}/api/hub/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'desk', password }) });
  const { token } = HubLoginReply.parse(await res.json());
  return {
    async compounds() {
      const r = await fetch(`${base}/api/hub/compounds`, { headers: { authorization: `Bearer ${token}` } });
      return new Map(HubCompoundList.parse(await r.json()).compounds.map((c) => [c.id, c]));
    },
  };
}

/**
 * The hub's HTTP server as the API and UI tests run it, over `pool` with no cell watch (no cell has renewed its
 * liveness key with this hub: offline comes from PostgreSQL), limits far above what a test sends, no UI unless given.
 */
export function testHubHttp(pool: Pool, name: string, overrides: Partial<HubHttpDeps> = {}): Promise<FastifyInstance> {
  return buildHubHttp({
    pool,
    log: createLogger({ level: 'warn', name }),
    cells: () => [],
    registry: new Registry(),
    sessionTtlMs: 3_600_000,
    uiDir: '',
    loginPerMinute: 1_000,
    apiPerMinute: 10_000,
    ...overrides,
  });
}

/** Listens on a free port of 127.0.0.1; resolves with the base URL. */
export async function listenLocal(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const a = app.server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
}
