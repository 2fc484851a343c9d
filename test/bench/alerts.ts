// Alerts benchmark: one-key alarm press (MQTT publish) → live-stream frame at the guard station, idle and while
// other devices' events are being ingested at a fixed rate (default 10,000/s), beside the reference: a bare Mosquitto
// delivering the same presses (QoS 1 publish → a subscriber) under the same background. Prints numbers; asserts nothing.
// Usage: npm run bench -- alerts [--rate 10000] [--connections 200] [--alarms 100] [--rounds 2] [--gap-ms 100]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { hashDeviceSecret, hashSecret } from '../../gateway/src/auth/hash';
import { AlarmPress, topicFor } from '../../gateway/src/contracts';
import { AlertList } from '../../gateway/src/contracts/api/alerts';
import { LiveAlertChange } from '../../gateway/src/contracts/live';
import { openDb } from '../../gateway/src/db/client';
import { api, login } from '../helpers/alert-fixtures';
import { SseClient } from '../helpers/sse';
import { BENCH_CREDENTIAL_KEY, type Figure, benchDatabase, mosquittoAvailable, noDelay, percentile, reportFigures, rssMb, startBenchGateway, startMosquitto, stopGateway } from './lib';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '10000' },
    connections: { type: 'string', default: '200' },
    alarms: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '2' },
    'gap-ms': { type: 'string', default: '100' },
  },
  allowPositionals: true,
});
const rate = Number(values.rate);
const connections = Number(values.connections);
const alarms = Number(values.alarms);
const rounds = Number(values.rounds);
const gapMs = Number(values['gap-ms']);

const { dir, dbFile, devices } = await benchDatabase(connections, ['face_terminal', 'vehicle_gate']);
const alarmIds = Array.from({ length: alarms }, (_, i) => `bench-alarm-${String(i).padStart(3, '0')}`);
const ALARM_SECRET = 'bench-alarm-secret-0000000000001';
{
  const db = await openDb(dbFile);
  await db.prisma.device.createMany({
    data: alarmIds.map((id) => ({ id, kind: 'outdoor_alarm', name: id, communityId: 'bench', placeKind: 'outdoor', x: 0, y: 0, secretHash: hashDeviceSecret(BENCH_CREDENTIAL_KEY, id, ALARM_SECRET), supervisionSec: 3600 })),
  });
  await db.prisma.user.create({ data: { id: 'bench-guard', username: 'guard', passwordHash: await hashSecret('bench-guard-password'), role: 'guard', displayName: '值班' } });
  await db.close();
}
// Long supervision windows: this measures the alarm path, not offline alerts for devices the bench leaves idle.
const gw = await startBenchGateway(dbFile, { SUPERVISION_SEC_OUTDOOR_ALARM: '3600', SUPERVISION_SEC_FACE_TERMINAL: '3600', SUPERVISION_SEC_VEHICLE_GATE: '3600' });
// A run that fails half-way must not leave its gateway running on the shared machine.
process.once('exit', () => gw.child.kill('SIGKILL'));
const httpUrl = `http://127.0.0.1:${gw.http}`;
const mqttUrl = `mqtt://127.0.0.1:${gw.mqtt}`;
const guard = await login(httpUrl, 'guard', 'bench-guard-password');
const stream = await SseClient.open(`${httpUrl}/api/v1/live/alerts`, { token: guard });
await stream.next((f) => f.event === 'snapshot');

const buttons = new Map<string, MqttClient>();
for (const id of alarmIds) buttons.set(id, noDelay(await mqtt.connectAsync(mqttUrl, { clientId: id, username: id, password: ALARM_SECRET, protocolVersion: 4, reconnectPeriod: 0 })));

/** The open alarm alerts; an overloaded gateway may answer 503 for a while (database busy): asked again, up to 30 s. */
async function openAlarms() {
  for (let attempt = 1; ; attempt++) {
    const r = AlertList.safeParse((await api(httpUrl, guard, 'GET', '/api/v1/alerts?type=alarm_press&limit=500')).body);
    if (r.success) return r.data.alerts;
    if (attempt === 30) throw new Error('the gateway did not list its open alarms for 30 s');
    await new Promise((res) => setTimeout(res, 1_000));
  }
}

/** Presses every alarm once, `gapMs` apart; returns press→frame and press→PUBACK latencies (ms). */
async function round(label: string): Promise<{ frame: number[]; puback: number[] }> {
  const pressedAt = new Map<string, number>();
  const latencies: number[] = [];
  const pubacks: number[] = [];
  let waiting: (() => void) | null = null;
  stream.onFrame = (f) => {
    if (f.event !== 'alert') return;
    const c = LiveAlertChange.parse(f.data);
    const t0 = c.action === 'raised' && c.alert.deviceId !== null ? pressedAt.get(c.alert.deviceId) : undefined;
    if (t0 === undefined) return;
    latencies.push(f.receivedAt - t0);
    pressedAt.delete(c.alert.deviceId!);
    if (pressedAt.size === 0) waiting?.();
  };
  for (const [i, id] of alarmIds.entries()) {
    const body = JSON.stringify(AlarmPress.parse({ eventId: `${label}-${i}`, ts: new Date().toISOString() }));
    const t0 = performance.now();
    pressedAt.set(id, t0);
    buttons.get(id)!.publish(topicFor('alarmPress', id), body, { qos: 1 }, (err) => {
      if (!err) pubacks.push(performance.now() - t0);
    });
    await new Promise((r) => setTimeout(r, gapMs));
  }
  if (pressedAt.size > 0) await Promise.race([new Promise<void>((r) => (waiting = r)), new Promise((r) => setTimeout(r, 10_000))]);
  stream.onFrame = null;
  if (pressedAt.size > 0) console.log(`${label}: ${pressedAt.size} presses never reached the stream within 10 s`);
  // Reset every alarm so the next round raises new alerts again (the same path as the first press).
  const open = await openAlarms();
  for (const a of open) await api(httpUrl, guard, 'POST', `/api/v1/alerts/${a.id}/clear`, { note: 'bench reset' });
  return { frame: latencies, puback: pubacks };
}

const pct = percentile;
const rows: Array<[string, { frame: number[]; puback: number[] }]> = [];
rows.push(['idle (no other traffic)', await round('idle')]);

// The load runs in its own process; the alarm presser and the stream reader here stay idle.
const pressSeconds = (alarms * gapMs) / 1000;
const loadSeconds = Math.ceil(3 + rounds * (pressSeconds + 4));
const load = spawn(process.execPath, ['--import', 'tsx', 'test/bench/alerts-load.ts', '--url', mqttUrl, '--ids', devices.map((d) => d.id).join(','), '--kinds', devices.map((d) => d.kind).join(','), '--secret', devices[0]!.secret, '--rate', String(rate), '--seconds', String(loadSeconds)], { stdio: ['pipe', 'pipe', 'inherit'] });
const lines = createInterface({ input: load.stdout });
const next = () => new Promise<Record<string, number | boolean>>((resolve) => lines.once('line', (l) => resolve(JSON.parse(l))));
await next(); // connected
load.stdin.write('go\n');
const done = next();
await new Promise((r) => setTimeout(r, 3_000)); // let ingest reach its steady state
let rssUnderLoad = 0;
const loaded = { frame: [] as number[], puback: [] as number[] };
for (let r = 0; r < rounds; r++) {
  const one = await round(`load-${r}`);
  loaded.frame.push(...one.frame);
  loaded.puback.push(...one.puback);
  rssUnderLoad = Math.max(rssUnderLoad, rssMb(gw.child.pid!));
}
rows.push([`while ingesting ${rate.toLocaleString('en')} other events/s`, loaded]);
const loadResult = await done;
load.kill();

for (const c of buttons.values()) await c.endAsync(true);
await stream.close();
await stopGateway(gw);
rmSync(dir, { recursive: true, force: true });

// ── the reference: the same presses through a bare Mosquitto to one subscriber (the guard station's place), idle
// and under the same background load from the same generator ─────────────────────────────────────────────────────
let reference: { idle: number[]; loaded: number[]; load: Record<string, number | boolean> } | null = null;
if (mosquittoAvailable()) {
  const mosq = await startMosquitto();
  const murl = `mqtt://127.0.0.1:${mosq.port}`;
  const guardSub = noDelay(await mqtt.connectAsync(murl, { clientId: 'ref-guard', protocolVersion: 4, reconnectPeriod: 0 }));
  await guardSub.subscribeAsync('ref/alarm/#', { qos: 1 });
  const refButtons = await Promise.all(alarmIds.map(async (id) => noDelay(await mqtt.connectAsync(murl, { clientId: id, protocolVersion: 4, reconnectPeriod: 0 }))));
  const refRound = async (label: string): Promise<number[]> => {
    const sentAt = new Map<string, number>();
    const got: number[] = [];
    let waiting: (() => void) | null = null;
    const onMessage = (topic: string) => {
      const t0 = sentAt.get(topic);
      if (t0 === undefined) return;
      got.push(performance.now() - t0);
      sentAt.delete(topic);
      if (sentAt.size === 0) waiting?.();
    };
    guardSub.on('message', onMessage);
    for (const [i, c] of refButtons.entries()) {
      const topic = `ref/alarm/${label}/${i}`;
      sentAt.set(topic, performance.now());
      c.publish(topic, JSON.stringify(AlarmPress.parse({ eventId: `${label}-${i}`, ts: new Date().toISOString() })), { qos: 1 });
      await new Promise((r) => setTimeout(r, gapMs));
    }
    if (sentAt.size > 0) await Promise.race([new Promise<void>((r) => (waiting = r)), new Promise((r) => setTimeout(r, 10_000))]);
    guardSub.off('message', onMessage);
    return got;
  };
  const idle = await refRound('idle');
  const refLoad = spawn(process.execPath, ['--import', 'tsx', 'test/bench/alerts-load.ts', '--bare', '--url', murl, '--ids', devices.map((d) => `ref-${d.id}`).join(','), '--kinds', devices.map((d) => d.kind).join(','), '--rate', String(rate), '--seconds', String(loadSeconds)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const refLines = createInterface({ input: refLoad.stdout });
  const refNext = () => new Promise<Record<string, number | boolean>>((resolve) => refLines.once('line', (l) => resolve(JSON.parse(l))));
  await refNext();
  refLoad.stdin.write('go\n');
  const refDone = refNext();
  await new Promise((r) => setTimeout(r, 3_000));
  const loadedRef: number[] = [];
  for (let r = 0; r < rounds; r++) loadedRef.push(...(await refRound(`load-${r}`)));
  reference = { idle, loaded: loadedRef, load: await refDone };
  refLoad.kill();
  for (const c of [guardSub, ...refButtons]) await c.endAsync(true);
  await mosq.stop();
}

console.log(`\nalerts benchmark: alarm press (MQTT QoS 1 publish) → SSE frame at the guard station`);
console.log(`${alarms} alarm buttons pressed ${gapMs} ms apart per round; background: ${connections} door/barrier connections\n`);
console.log('| condition | measured | samples | p50 ms | p90 ms | p99 ms | max ms |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const [name, r] of rows) {
  for (const [what, xs] of [['press → live frame', r.frame], ['press → PUBACK (event durable)', r.puback]] as const) {
    console.log(`| ${name} | ${what} | ${xs.length} | ${pct(xs, 50)} | ${pct(xs, 90)} | ${pct(xs, 99)} | ${pct(xs, 100)} |`);
  }
}
console.log(`\nbackground load: ${JSON.stringify(loadResult)}; gateway RSS under load ${rssUnderLoad} MB`);
const idleFrames = rows[0]![1].frame;
const figures: Figure[] = [
  { name: 'idle: press → live frame p99 (Mosquitto: pub → sub p99)', unit: 'ms', linli: pct(idleFrames, 99), ...(reference ? { mosquitto: pct(reference.idle, 99) } : {}) },
  { name: `under ${rate.toLocaleString('en')}/s: press → live frame p99 (Mosquitto: pub → sub p99)`, unit: 'ms', linli: pct(loaded.frame, 99), ...(reference ? { mosquitto: pct(reference.loaded, 99) } : {}), target: '≤ 1.0' },
  { name: `under ${rate.toLocaleString('en')}/s: press → live frame p50 (Mosquitto: pub → sub p50)`, unit: 'ms', linli: pct(loaded.frame, 50), ...(reference ? { mosquitto: pct(reference.loaded, 50) } : {}) },
];
if (reference) console.log(`reference background load (Mosquitto): ${JSON.stringify(reference.load)}`);
console.log(`linli under load ÷ linli idle, press → frame p99: ${(pct(loaded.frame, 99) / pct(idleFrames, 99)).toFixed(2)} (target ≤ 2)`);
reportFigures('alerts', figures);
process.exit(0);
