// Access benchmark: access request → access reply round trip through the real gateway (production build, seeded demo
// community, real SQLite), at fixed request rates. Every request is decided from memory and answered as it arrives,
// committed (ingest, before its PUBACK), and its decision stored as an access event (group commit) after that commit. The reference, at the same rates: a request
// and its answer through a bare Mosquitto and a responder client (door → broker → responder → broker → door), what an
// external decision service would cost before it decides anything. Prints numbers; asserts nothing.
// Usage: npm run bench -- access [--scale 1] [--seconds 10] [--rates 1000,2000,5000]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { runPaced } from '../../devices-sim/src/load/pacer';
import { LatencyRecorder } from '../../devices-sim/src/stats';
import { AccessReply, topicFor } from '../../gateway/src/contracts';
import { readSeedSecrets } from '../../gateway/src/demo/seed/secrets-file';
import { BENCH_CREDENTIAL_KEY, type Figure, mosquittoAvailable, noDelay, reportFigures, rssMb, startBenchGateway, startMosquitto, stopGateway, windowP99 } from './lib';

const { values } = parseArgs({
  options: { scale: { type: 'string', default: '1' }, seconds: { type: 'string', default: '10' }, rates: { type: 'string', default: '1000,2000,5000' } },
  allowPositionals: true,
});
const durationMs = Number(values.seconds) * 1000;
const rates = values.rates.split(',').map(Number);

// ── a seeded community in a temp dir ─────────────────────────────────────────────────────────────────────────
const dir = mkdtempSync(join(tmpdir(), 'linli-bench-access-'));
const dbFile = join(dir, 'linli.db');
const env = { ...process.env, DATABASE_URL: `file:${dbFile}`, CREDENTIAL_KEY: BENCH_CREDENTIAL_KEY };
for (const cmd of [['node_modules/.bin/prisma', 'migrate', 'deploy'], [process.execPath, '--import', 'tsx', 'prisma/seed.ts', '--scale', values.scale]]) {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
}
// Start from an empty WAL: the seed's writes would otherwise be checkpointed during the first measured run.
spawnSync('sqlite3', [dbFile, 'PRAGMA wal_checkpoint(TRUNCATE);']);
const secrets = readSeedSecrets(join(dir, 'device-secrets.json'));
const loadBefore = loadavg()[0]!.toFixed(2);
// A tenth of the requests are refused on purpose; at benchmark rates every door would raise a repeated-denials
// incident each minute and the alert engine's writes would be measured here (they have their own benchmark).
const gw = await startBenchGateway(dbFile, { LOG_LEVEL: 'info', ACCESS_DENIAL_ALERT_COUNT: '1000000' });

// ── visitor passes, created the way residents do ─────────────────────────────────────────────────────────────
const http = `http://127.0.0.1:${gw.http}`;
const passCodes: Array<{ door: string; code: string }> = [];
for (const [username, u] of Object.entries(secrets.users).filter(([, u]) => u.role === 'resident').slice(0, 10)) {
  const login = await fetch(`${http}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: u.password }) });
  const { token } = (await login.json()) as { token: string };
  const res = await fetch(`${http}/api/v1/passes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ visitorName: '压测访客', validUntil: new Date(Date.now() + 3_600_000).toISOString(), maxEntries: 20 }),
  });
  const pass = (await res.json()) as { code: string; allowedDoors: string[] };
  for (const door of pass.allowedDoors) passCodes.push({ door, code: pass.code });
}

// ── the doors, each with the credentials that would be shown at it ───────────────────────────────────────────
const doors = Object.entries(secrets.devices).filter(([, d]) => d.kind === 'face_terminal');
const buildingOf = (id: string) => /^door-b(\d+)-/.exec(id)?.[1];
const cards = secrets.credentials.filter((c) => c.type === 'card');
interface Door {
  id: string;
  client: MqttClient;
  requests: Array<{ type: 'card' | 'pin'; value: string }>;
}
const sentAt = new Map<string, number>();
const latency = new LatencyRecorder();
/** publish → PUBACK: the request is committed (ingest); the reply no longer waits for it (docs/access.md). */
const acked = new LatencyRecorder();
const outcomes = new Map<string, number>();
const connected: Door[] = [];
for (const [id, d] of doors) {
  const building = buildingOf(id);
  const mine = cards.filter((c) => building === undefined || Number(c.householdLabel.split('-')[0]) === Number(building));
  const requests = [
    ...mine.slice(0, 40).map((c) => ({ type: 'card' as const, value: c.value })),
    ...passCodes.filter((p) => p.door === id).map((p) => ({ type: 'pin' as const, value: p.code })),
    // Unknown cards: a tenth of the traffic is refused.
    ...Array.from({ length: 5 }, (_, i) => ({ type: 'card' as const, value: `99${String(i).padStart(8, '0')}` })),
  ];
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.mqtt}`, { clientId: id, username: id, password: d.secret, protocolVersion: 4, reconnectPeriod: 0 });
  // MQTT.js leaves Nagle on; a door terminal's firmware sends each request at once (as the broker does its replies).
  if (client.stream instanceof Socket) client.stream.setNoDelay(true);
  await client.subscribeAsync(topicFor('accessReply', id), { qos: 1 });
  client.on('message', (_topic, payload) => {
    const reply = AccessReply.parse(JSON.parse(payload.toString()));
    const t0 = sentAt.get(reply.requestId);
    if (t0 === undefined) return;
    sentAt.delete(reply.requestId);
    latency.record(performance.now() - t0);
    const key = `${reply.decision}:${reply.reason}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  });
  connected.push({ id, client, requests });
}

// ── fixed-rate runs ──────────────────────────────────────────────────────────────────────────────────────────
let seq = 0;
function issue(n: number): void {
  for (let i = 0; i < n; i++) {
    const door = connected[seq % connected.length]!;
    const cred = door.requests[Math.floor(seq / connected.length) % door.requests.length]!;
    const requestId = `bench-${++seq}`;
    const body = JSON.stringify({ eventId: requestId, ts: new Date().toISOString(), requestId, credential: cred, direction: 'in' });
    const t0 = performance.now();
    sentAt.set(requestId, t0);
    door.client.publish(topicFor('accessRequest', door.id), body, { qos: 1 }, (err) => {
      if (!err) acked.record(performance.now() - t0);
    });
  }
}

/** CPU seconds (user + system) the gateway process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = spawnSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8' }).stdout.split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

// Warm-up (JIT, login memos, first syncs), not reported.
await runPaced({ rate: 500, durationMs: 2_000, tickMs: 1, issue });
await new Promise((r) => setTimeout(r, 1_000));

const rows: string[] = [];
const linliP99 = new Map<number, number>();
for (const rate of rates) {
  const cpu0 = cpuSeconds(gw.child.pid!);
  latency.reset();
  acked.reset();
  outcomes.clear();
  sentAt.clear();
  const t0 = performance.now();
  const sent = await runPaced({ rate, durationMs, tickMs: 1, issue });
  const deadline = Date.now() + 5_000;
  while (sentAt.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - t0) / 1000;
  const s = latency.summary();
  const mix = [...outcomes].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${Math.round((100 * v) / s.count)}%`).join(', ');
  const cpuMsPerRequest = ((cpuSeconds(gw.child.pid!) - cpu0) * 1000) / Math.max(1, s.count);
  const a = acked.summary();
  linliP99.set(rate, windowP99(s.p99, sent, s.count));
  rows.push(`| ${rate}/s | ${sent} | ${s.count} | ${sentAt.size} | ${Math.round(s.count / seconds)} | ${s.p50} | ${s.p90} | ${s.p99} | ${s.max} | ${a.p50} / ${a.p99} | ${cpuMsPerRequest.toFixed(3)} | ${rssMb(gw.child.pid!)} | ${mix} |`);
  await new Promise((r) => setTimeout(r, 1_000));
}

const metrics = await (await fetch(`${http}/metrics`)).text();
const decideCount = /^linli_access_decide_seconds_count (\d+)/m.exec(metrics)?.[1];
const decideSum = /^linli_access_decide_seconds_sum ([\d.e-]+)/m.exec(metrics)?.[1];
for (const d of connected) await d.client.endAsync(true);
await stopGateway(gw);
const events = spawnSync('sqlite3', [dbFile, 'SELECT count(*) FROM AccessEvent'], { encoding: 'utf8' }).stdout.trim();
rmSync(dir, { recursive: true, force: true });

// ── the reference: request/response through a bare Mosquitto and a responder client ─────────────────────────
const refP99 = new Map<number, number>();
const refRows: string[] = [];
if (mosquittoAvailable()) {
  const mosq = await startMosquitto();
  const murl = `mqtt://127.0.0.1:${mosq.port}`;
  const responder = noDelay(await mqtt.connectAsync(murl, { clientId: 'ref-responder', protocolVersion: 4, reconnectPeriod: 0 }));
  await responder.subscribeAsync('ref/req/+', { qos: 1 });
  responder.on('message', (topic, payload) => {
    const req = JSON.parse(payload.toString()) as { requestId: string };
    responder.publish(`ref/rep/${topic.slice('ref/req/'.length)}`, JSON.stringify({ requestId: req.requestId, decision: 'grant', reason: 'resident' }), { qos: 1 });
  });
  const refLatency = new LatencyRecorder();
  const refSent = new Map<string, number>();
  const refDoors = await Promise.all(
    connected.map(async (d) => {
      const c = noDelay(await mqtt.connectAsync(murl, { clientId: `ref-${d.id}`, protocolVersion: 4, reconnectPeriod: 0 }));
      await c.subscribeAsync(`ref/rep/${d.id}`, { qos: 1 });
      c.on('message', (_t, payload) => {
        const { requestId } = JSON.parse(payload.toString()) as { requestId: string };
        const t0 = refSent.get(requestId);
        if (t0 === undefined) return;
        refSent.delete(requestId);
        refLatency.record(performance.now() - t0);
      });
      return { id: d.id, client: c, requests: d.requests };
    }),
  );
  let refSeq = 0;
  const refIssue = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const door = refDoors[refSeq % refDoors.length]!;
      const cred = door.requests[Math.floor(refSeq / refDoors.length) % door.requests.length]!;
      const requestId = `ref-${++refSeq}`;
      refSent.set(requestId, performance.now());
      door.client.publish(`ref/req/${door.id}`, JSON.stringify({ eventId: requestId, ts: new Date().toISOString(), requestId, credential: cred, direction: 'in' }), { qos: 1 });
    }
  };
  await runPaced({ rate: 500, durationMs: 2_000, tickMs: 1, issue: refIssue });
  await new Promise((r) => setTimeout(r, 1_000));
  for (const rate of rates) {
    refLatency.reset();
    refSent.clear();
    const sent = await runPaced({ rate, durationMs, tickMs: 1, issue: refIssue });
    const deadline = Date.now() + 5_000;
    while (refSent.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const s = refLatency.summary();
    refP99.set(rate, windowP99(s.p99, sent, s.count));
    refRows.push(`| Mosquitto + responder, ${rate}/s | ${sent} | ${s.count} | ${refSent.size} | ${s.p50} | ${s.p90} | ${s.p99} | ${s.max} |`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
  for (const c of [responder, ...refDoors.map((d) => d.client)]) await c.endAsync(true);
  await mosq.stop();
}

console.log(`\naccess benchmark: scale ${values.scale} (${connected.length} door terminals), ${durationMs / 1000} s per rate, QoS 1, request publish → reply received`);
console.log(`machine: ${cpus().length} cores, load average ${loadBefore} before / ${loadavg()[0]!.toFixed(2)} after (the generator runs on the same machine)\n`);
console.log('| rate | sent | replied | unanswered | replies/s | p50 ms | p90 ms | p99 ms | max ms | PUBACK p50 / p99 ms | gateway CPU ms/request | gateway RSS MB | outcomes |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of rows) console.log(r);
if (decideCount && decideSum) console.log(`\nin-gateway decision (request in hand → reply published), mean: ${((1e6 * Number(decideSum)) / Number(decideCount)).toFixed(0)} µs over ${decideCount} decisions`);
if (events) console.log(`access events stored: ${events}`);
const mean = (name: string) => {
  const sum = new RegExp(`^${name}_sum ([\\d.e-]+)`, 'm').exec(metrics)?.[1];
  const count = new RegExp(`^${name}_count (\\d+)`, 'm').exec(metrics)?.[1];
  return sum && count && Number(count) > 0 ? Number(sum) / Number(count) : NaN;
};
console.log(`ingest group commit: mean ${(1000 * mean('linli_ingest_commit_seconds')).toFixed(2)} ms for a mean batch of ${mean('linli_ingest_batch_size').toFixed(1)} events`);
console.log(`event-loop lag p99 (gateway): ${/^linli_nodejs_eventloop_lag_p99_seconds ([\d.e-]+)/m.exec(metrics)?.[1] ?? '?'} s`);
if (refRows.length > 0) {
  console.log('\n| reference | sent | answered | unanswered | p50 ms | p90 ms | p99 ms | max ms |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of refRows) console.log(r);
}
const figures: Figure[] = rates.map((rate) => ({
  name: `${rate}/s: request → reply p99 (Mosquitto: request → responder → reply p99)`,
  unit: 'ms',
  linli: linliP99.get(rate)!,
  ...(refP99.has(rate) ? { mosquitto: refP99.get(rate)! } : {}),
  ...(rate === 2000 ? { target: '≤ 0.5' } : {}),
}));
reportFigures('access', figures);
