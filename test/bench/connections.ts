// Connection benchmark (issue 3): N authenticated device connections held (gateway RSS), then the gateway is
// restarted and we time how long until every device is online again. Devices are the simulator's, reconnecting with
// full-jitter exponential backoff (base 500 ms, cap 5 s here, as device firmware would).
//
// The same simulated devices then do the same against a bare Mosquitto (Debian package), restarted the same way: the
// load generator shares the two cores with the broker, so that run shows how much of the time is the devices' own.
//
// Usage: npm run bench -- connections [--devices 10000] [--hold 60] [--db DIR] [--no-mosquitto]
//   --db DIR  keep the bench database in DIR and reuse it on the next run (its login memos skip the first-login KDF)
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AcceleratedClock } from '../../devices-sim/src/clock';
import { type AnyDevice, createDevice, mqttLinks } from '../../devices-sim/src/devices';
import { Random } from '../../gateway/src/random';
import { type GatewayProcess } from '../helpers/process';
import { type BenchDevice, benchDatabase, mosquittoAvailable, rssMb, startBenchGateway, startMosquitto, stopGateway } from './lib';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '250' },
    /** Seconds to hold the devices after each storm while sampling the gateway's RSS. */
    hold: { type: 'string', default: '60' },
    db: { type: 'string' },
    'no-mosquitto': { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const N = Number(values.devices);
const BATCH = Number(values.batch);
const KINDS = ['face_terminal', 'streetlight', 'indoor_alarm', 'outdoor_alarm', 'vehicle_gate'] as const;

async function gatewayMetric(gw: GatewayProcess, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gw.http}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? 0);
}
const connectedOnGateway = (gw: GatewayProcess) => gatewayMetric(gw, 'linli_mqtt_connections');
/** V8 heap in use and memory outside it (buffers, sockets' native parts are not even in this), in MB. */
async function heapReport(gw: GatewayProcess): Promise<string> {
  const mb = async (name: string) => Math.round((await gatewayMetric(gw, name)) / 2 ** 20);
  return `heap used ${await mb('linli_nodejs_heap_size_used_bytes')} MB of ${await mb('linli_nodejs_heap_size_total_bytes')} MB, external ${await mb('linli_nodejs_external_memory_bytes')} MB`;
}

/** Polls `count` until it reaches N; seconds since t0, or null on timeout. BENCH_TRACE=1 prints the curve. */
async function waitForAll(count: () => Promise<number> | number, t0: number, timeoutMs: number): Promise<number | null> {
  let traced = 0;
  while (performance.now() - t0 < timeoutMs) {
    const c = await count();
    if (process.env.BENCH_TRACE && performance.now() - traced > 1000) {
      traced = performance.now();
      console.log(`  ${((performance.now() - t0) / 1000).toFixed(1)} s: ${c}`);
    }
    if (c >= N) return (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
}

/**
 * Every device has its CONNACK (counted on the devices' side: scraping /metrics 10 times a second would cost the
 * gateway a few per cent of its CPU in the middle of the storm), and the gateway agrees: all N are online there.
 */
async function allOnline(gw: GatewayProcess, sims: AnyDevice[], t0: number, timeoutMs: number): Promise<number | null> {
  if ((await waitForAll(() => sims.filter((s) => s.connected).length, t0, timeoutMs)) === null) return null;
  return waitForAll(() => connectedOnGateway(gw), t0, timeoutMs);
}

function simulate(devices: BenchDevice[], port: number): AnyDevice[] {
  const random = new Random(7);
  const link = mqttLinks({ url: `mqtt://127.0.0.1:${port}`, connectTimeoutMs: 30_000, backoff: { baseMs: 500, capMs: 5_000 } });
  return devices.map((d) => createDevice({ id: d.id, kind: d.kind, secret: d.secret, link, clock: new AcceleratedClock(), random }));
}

async function startAll(sims: AnyDevice[]): Promise<void> {
  for (let i = 0; i < sims.length; i += BATCH) await Promise.all(sims.slice(i, i + BATCH).map((s) => s.start()));
}

// The simulated devices send no heartbeats here: silence windows longer than the run keep supervision from raising
// device_offline for devices that are connected but quiet (a disconnected one is still caught after the grace).
const SUPERVISION = Object.fromEntries(KINDS.map((k) => [`SUPERVISION_SEC_${k.toUpperCase()}`, '3600']));

/**
 * RSS while the devices are held: 3 s after the last CONNACK, then every 5 s until --hold seconds have passed (the
 * devices keep their connections alive with PINGREQs; what settles is the heap V8 grew during the storm, which the
 * gateway gives back once it is quiet: runtime/heap-trim.ts). Prints the gateway's heap-trim log lines.
 */
async function holdAndSample(gw: GatewayProcess, after: string): Promise<{ early: number; settled: number }> {
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 3_000));
  const early = rssMb(gw.child.pid!);
  console.log(`gateway RSS with ${await connectedOnGateway(gw)} connections held, 3 s after the ${after}: ${early} MB (${await heapReport(gw)})`);
  let settled = early;
  while (performance.now() - t0 < Number(values.hold) * 1000) {
    await new Promise((r) => setTimeout(r, 5_000));
    settled = rssMb(gw.child.pid!);
    if (process.env.BENCH_TRACE) console.log(`  held ${((performance.now() - t0) / 1000).toFixed(0)} s: RSS ${settled} MB (${await heapReport(gw)})`);
  }
  console.log(`gateway RSS after ${Math.round((performance.now() - t0) / 1000)} s held: ${settled} MB (${await heapReport(gw)}), ${await connectedOnGateway(gw)} connected`);
  for (const line of gw.output().split('\n')) if (/"module":"heap"/.test(line)) console.log(`  gateway: ${line}`);
  return { early, settled };
}

const fmt = (s: number | null) => s?.toFixed(1) ?? '–';

console.log(`connection benchmark: ${N} devices`);
const prepT0 = performance.now();
const { dir, dbFile, devices } = await benchDatabase(N, [...KINDS], values.db);
console.log(`database with ${N} devices ready in ${((performance.now() - prepT0) / 1000).toFixed(1)} s`);

let gw = await startBenchGateway(dbFile, SUPERVISION);
const ports = { HTTP_PORT: String(gw.http), MQTT_PORT: String(gw.mqtt) };
let sims = simulate(devices, gw.mqtt);

// First connection of every device: each login runs argon2id once (then the memo is stored on the device row).
const firstT0 = performance.now();
await startAll(sims);
const firstAll = await allOnline(gw, sims, firstT0, 600_000);
console.log(`first connection of all ${N}${values.db ? '' : ' (argon2id per device)'}: ${fmt(firstAll)} s`);
const held = await holdAndSample(gw, 'first connection');

// Restart: the devices notice, back off with jitter, and come back; their login memos make it an HMAC each.
await stopGateway(gw);
gw = await startBenchGateway(dbFile, { ...SUPERVISION, ...ports });
const restartT0 = performance.now();
const again = await allOnline(gw, sims, restartT0, 120_000);
console.log(`after a restart, all ${N} online again in: ${fmt(again)} s`);
const afterStorm = await holdAndSample(gw, 'reconnect storm');

await Promise.all(sims.map((s) => s.close()));
await stopGateway(gw);
if (values.db === undefined) rmSync(dir, { recursive: true, force: true });

let mosq: { again: number | null; rss: number } | null = null;
if (!values['no-mosquitto'] && mosquittoAvailable()) {
  // The same devices and load generator against a bare Mosquitto, restarted on the same port.
  let m = await startMosquitto();
  sims = simulate(devices, m.port);
  const connected = () => sims.filter((s) => s.connected).length;
  const t0 = performance.now();
  await startAll(sims);
  const first = await waitForAll(connected, t0, 120_000);
  await new Promise((r) => setTimeout(r, 3_000));
  const rss = rssMb(m.child.pid!);
  await m.stop();
  // Until every device has noticed (none connected), then the restart.
  await waitForAll(() => N - connected(), performance.now(), 30_000);
  m = await startMosquitto(m.port);
  const t1 = performance.now();
  const back = await waitForAll(connected, t1, 120_000);
  console.log(`Mosquitto, same devices: first connection ${fmt(first)} s, RSS ${rss} MB, all online after a restart ${fmt(back)} s`);
  mosq = { again: back, rss };
  await Promise.all(sims.map((s) => s.close()));
  await m.stop();
}

console.log(`\n| devices | first connect (s) | RSS held, 3 s / after ${values.hold} s (MB) | all online after restart (s) | RSS after the storm, 3 s / after ${values.hold} s (MB) | Mosquitto: all online after restart (s) | Mosquitto RSS (MB) |`);
console.log(`| ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
console.log(`| ${N} | ${fmt(firstAll)} | ${held.early} / ${held.settled} | ${fmt(again)} | ${afterStorm.early} / ${afterStorm.settled} | ${fmt(mosq?.again ?? null)} | ${mosq?.rss ?? '–'} |`);
