// Alerts benchmark: one-key alarm press (MQTT publish) → live-stream frame at the guard station, idle and while
// other devices' events are being ingested at a fixed rate (default 10,000/s). Prints numbers; asserts nothing.
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
import { BENCH_CREDENTIAL_KEY, benchDatabase, noDelay, rssMb, startBenchGateway, stopGateway } from './lib';

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
const httpUrl = `http://127.0.0.1:${gw.http}`;
const mqttUrl = `mqtt://127.0.0.1:${gw.mqtt}`;
const guard = await login(httpUrl, 'guard', 'bench-guard-password');
const stream = await SseClient.open(`${httpUrl}/api/v1/live/alerts`, { token: guard });
await stream.next((f) => f.event === 'snapshot');

const buttons = new Map<string, MqttClient>();
for (const id of alarmIds) buttons.set(id, noDelay(await mqtt.connectAsync(mqttUrl, { clientId: id, username: id, password: ALARM_SECRET, protocolVersion: 4, reconnectPeriod: 0 })));

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
  const open = AlertList.parse((await api(httpUrl, guard, 'GET', '/api/v1/alerts?type=alarm_press&limit=500')).body).alerts;
  for (const a of open) await api(httpUrl, guard, 'POST', `/api/v1/alerts/${a.id}/clear`, { note: 'bench reset' });
  return { frame: latencies, puback: pubacks };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! * 10) / 10;
};
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

for (const c of buttons.values()) await c.endAsync(true);
await stream.close();
await stopGateway(gw);
rmSync(dir, { recursive: true, force: true });

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
process.exit(0);
