// Connection benchmark (issues 3 and 20): N authenticated device connections held (gateway RSS), then the gateway is
// restarted --restarts times and each time we time how long until every device is online again, with the peak RSS
// of the storm, the logins the gateway deferred with CONNACK 3 (admission control) and what went through the broker's
// emitter. Devices are the simulator's, reconnecting with full-jitter exponential backoff (base 500 ms, cap 5 s here,
// as device firmware would). The bench fails loudly (exit 1, the gateway's last log lines) if the gateway dies.
//
// The same simulated devices then do the same against a bare Mosquitto (Debian package), restarted the same way: the
// load generator shares the two cores with the broker, so that run shows how much of the time is the devices' own.
//
// Usage: npm run bench -- connections [--devices 10000] [--restarts 3] [--hold 60] [--cpu-hog] [--db DIR] [--no-mosquitto]
//   --db DIR    keep the bench database in DIR and reuse it on the next run (its login memos skip the first-login KDF)
//   --cpu-hog   a busy loop on one core beside the gateway for the whole run: the slow-machine case
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AcceleratedClock } from '../../devices-sim/src/clock';
import { type AnyDevice, createDevice, mqttLinks } from '../../devices-sim/src/devices';
import { Random } from '../../gateway/src/random';
import { type GatewayProcess } from '../helpers/process';
import { type BenchDevice, type Figure, benchDatabase, mosquittoAvailable, reportFigures, rssMb, rssParts, startBenchGateway, startMosquitto, stopGateway } from './lib';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '250' },
    /** Seconds to hold the devices after each storm while sampling the gateway's RSS. */
    hold: { type: 'string', default: '60' },
    restarts: { type: 'string', default: '3' },
    'cpu-hog': { type: 'boolean', default: false },
    db: { type: 'string' },
    'no-mosquitto': { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const N = Number(values.devices);
const RESTARTS = Number(values.restarts);
const BATCH = Number(values.batch);
const KINDS = ['face_terminal', 'streetlight', 'indoor_alarm', 'outdoor_alarm', 'vehicle_gate'] as const;

/** Gateways stopped on purpose; any other exit is a crash and ends the bench (exit 1) with its last log lines. */
const stopping = new WeakSet<GatewayProcess>();
function die(gw: GatewayProcess, why: string): never {
  const lines = gw.output().trimEnd().split('\n');
  const file = join(tmpdir(), `linli-bench-gateway-${gw.child.pid}.log`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  // What the gateway complained about, by message, then its last lines.
  const byMsg = new Map<string, number>();
  for (const line of lines) {
    const m = /"level":([4-6]0).*"msg":"([^"]*)"/.exec(line);
    if (m) byMsg.set(`${m[1] === '40' ? 'warn' : 'error'}: ${m[2]}`, (byMsg.get(`${m[1] === '40' ? 'warn' : 'error'}: ${m[2]}`) ?? 0) + 1);
  }
  const summary = [...byMsg].map(([k, n]) => `  ${n} × ${k}`).join('\n');
  // Never leave a gateway behind (it would hold the database and the cores for the next run).
  if (gw.child.exitCode === null) gw.child.kill('SIGKILL');
  console.error(`\nBENCH FAILED: ${why}\n--- warnings and errors ---\n${summary}\n--- the gateway's last log lines (all in ${file}) ---\n${lines.slice(-40).join('\n')}\n---`);
  process.exit(1);
}
function watch(gw: GatewayProcess): GatewayProcess {
  void gw.exited.then((code) => {
    if (!stopping.has(gw)) die(gw, `the gateway exited with code ${code} (signal ${gw.child.signalCode ?? 'none'})`);
  });
  return gw;
}
async function stop(gw: GatewayProcess): Promise<void> {
  stopping.add(gw);
  await stopGateway(gw);
  // BENCH_GATEWAY_LOG=DIR: every gateway's whole output (with BENCH_NODE_ARGS=--trace-gc, each collection) kept there.
  const logDir = process.env.BENCH_GATEWAY_LOG;
  if (logDir) writeFileSync(join(logDir, `gateway-${gw.child.pid}.log`), gw.output());
}

async function scrape(gw: GatewayProcess): Promise<string> {
  try {
    return await (await fetch(`http://127.0.0.1:${gw.http}/metrics`)).text();
  } catch (err) {
    die(gw, `/metrics did not answer: ${err instanceof Error ? err.message : String(err)}`);
  }
}
async function gatewayMetric(gw: GatewayProcess, name: string): Promise<number> {
  const text = await scrape(gw);
  return Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? 0);
}
/** The sum of a counter over its labels, or of one label value. */
async function counterSum(gw: GatewayProcess, name: string, label?: string): Promise<number> {
  const text = await scrape(gw);
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)`, 'gm'))) if (label === undefined || m[1]?.includes(label)) sum += Number(m[2]);
  return sum;
}
const connectedOnGateway = (gw: GatewayProcess) => gatewayMetric(gw, 'linli_mqtt_connections');
/** V8 heap in use and memory outside it (buffers, sockets' native parts are not even in this), in MB. */
async function heapReport(gw: GatewayProcess): Promise<string> {
  const mb = async (name: string) => Math.round((await gatewayMetric(gw, name)) / 2 ** 20);
  return `heap used ${await mb('linli_nodejs_heap_size_used_bytes')} MB of ${await mb('linli_nodejs_heap_size_total_bytes')} MB, external ${await mb('linli_nodejs_external_memory_bytes')} MB`;
}

/** Polls `count` until it reaches N; seconds since t0, or null on timeout. Prints the curve every 15 s (BENCH_TRACE=1: every second). */
async function waitForAll(count: () => Promise<number> | number, t0: number, timeoutMs: number): Promise<number | null> {
  let traced = 0;
  while (performance.now() - t0 < timeoutMs) {
    const c = await count();
    if (performance.now() - traced > (process.env.BENCH_TRACE ? 1000 : 15_000)) {
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
async function allOnline(gw: GatewayProcess, sims: AnyDevice[], t0: number, timeoutMs: number): Promise<number> {
  const connected = () => sims.filter((s) => s.connected).length;
  if ((await waitForAll(connected, t0, timeoutMs)) === null) die(gw, `only ${connected()} of ${N} devices connected after ${timeoutMs / 1000} s`);
  const all = await waitForAll(() => connectedOnGateway(gw), t0, timeoutMs);
  if (all === null) die(gw, `the gateway counts ${await connectedOnGateway(gw)} of ${N} connected after ${timeoutMs / 1000} s`);
  return all;
}

/**
 * Samples the gateway's RSS every 250 ms (from /proc: no request to the gateway) until stopped; the peak, and what it
 * was made of: anonymous / file-backed RSS at that sample, and the V8 heap (committed / used) of the last scrape
 * before it (scraped once a second, a fraction of a millisecond of the gateway's time each).
 */
function peakRss(gw: GatewayProcess): () => number {
  let peak = 0;
  let heap = '';
  let detail = '';
  let ticks = 0;
  const mb = (text: string, name: string) => Math.round(Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? 'NaN') / 2 ** 20);
  // Committed per V8 space: the young generation (new) against the old one and large objects.
  const space = (text: string, s: string) => Math.round(Number(new RegExp(`^linli_nodejs_heap_space_size_total_bytes\\{space="${s}"\\} (\\S+)`, 'm').exec(text)?.[1] ?? 'NaN') / 2 ** 20);
  const spaces = (text: string) => ['new', 'old', 'large_object', 'code'].map((s) => `${s} ${space(text, s)}`).join(', ');
  const timer = setInterval(() => {
    const rss = rssMb(gw.child.pid!);
    if (rss > peak) {
      peak = rss;
      const parts = rssParts(gw.child.pid!);
      detail = `anon ${parts.anon} MB, file ${parts.file} MB${heap}`;
    }
    if (ticks++ % 4 === 0) {
      fetch(`http://127.0.0.1:${gw.http}/metrics`)
        .then((r) => r.text())
        .then((text) => (heap = `; heap ${mb(text, 'linli_nodejs_heap_size_total_bytes')} / ${mb(text, 'linli_nodejs_heap_size_used_bytes')} MB committed / used, external ${mb(text, 'linli_nodejs_external_memory_bytes')} MB (${spaces(text)} MB committed; ≤ 1 s before)`))
        .catch(() => undefined);
    }
  }, 250);
  return () => {
    clearInterval(timer);
    if (detail) console.log(`  peak RSS ${peak} MB: ${detail}`);
    return peak;
  };
}

interface Storm {
  seconds: number;
  peakRss: number;
  deferred: number;
  /** Logins still holding an admission slot once all are online: should be 0. */
  active: number;
  corrected: number;
  emitted: number;
  filtered: number;
}

/** Restarts the gateway and waits until every device is back; what the storm cost. */
async function storm(before: GatewayProcess, sims: AnyDevice[], env: Record<string, string>): Promise<{ gw: GatewayProcess; storm: Storm }> {
  await stop(before);
  const gw = watch(await startBenchGateway(dbFile, env));
  const t0 = performance.now();
  const peak = peakRss(gw);
  // Generous: on a machine with other work on it the devices' own process is the bottleneck; a slow storm is reported
  // by its time, only a dead gateway (or one that never gets there) fails the run.
  const seconds = await allOnline(gw, sims, t0, 900_000);
  // Wait 3 s for the tail of the storm (presence writes, subscriptions) before reading the peak and the counters.
  await new Promise((r) => setTimeout(r, 3_000));
  return {
    gw,
    storm: {
      seconds,
      peakRss: peak(),
      deferred: await counterSum(gw, 'linli_mqtt_connect_refused_total'),
      active: await gatewayMetric(gw, 'linli_mqtt_connect_active'),
      corrected: await gatewayMetric(gw, 'linli_mqtt_presence_corrected_total'),
      emitted: await counterSum(gw, 'linli_mqtt_emitter_messages_total', 'route="delivered"'),
      filtered: await counterSum(gw, 'linli_mqtt_emitter_messages_total', 'route="filtered"'),
    },
  };
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

console.log(`connection benchmark: ${N} devices, ${RESTARTS} restarts${values['cpu-hog'] ? ', a CPU hog on one core beside it' : ''}`);
// The slow-machine case: a busy loop that takes one of the two cores for the whole run.
const hog = values['cpu-hog'] ? spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }) : null;
process.on('exit', () => hog?.kill('SIGKILL'));
const prepT0 = performance.now();
const { dir, dbFile, devices } = await benchDatabase(N, [...KINDS], values.db);
console.log(`database with ${N} devices ready in ${((performance.now() - prepT0) / 1000).toFixed(1)} s`);

let gw = watch(await startBenchGateway(dbFile, SUPERVISION));
const ports = { HTTP_PORT: String(gw.http), MQTT_PORT: String(gw.mqtt) };
let sims = simulate(devices, gw.mqtt);

// First connection of every device: one keyed-hash check each (auth/hash.ts); a kept --db may still hold argon2id rows
// from before, which this first login upgrades.
const firstT0 = performance.now();
const firstPeak = peakRss(gw);
await startAll(sims);
const firstAll = await allOnline(gw, sims, firstT0, 900_000);
console.log(`first connection of all ${N}: ${fmt(firstAll)} s, peak RSS ${firstPeak()} MB, deferred with CONNACK 3: ${await counterSum(gw, 'linli_mqtt_connect_refused_total')}`);
const held = await holdAndSample(gw, 'first connection');

// Restarts: the devices notice, back off with jitter, and come back.
const storms: Storm[] = [];
for (let i = 1; i <= RESTARTS; i++) {
  const r = await storm(gw, sims, { ...SUPERVISION, ...ports });
  gw = r.gw;
  storms.push(r.storm);
  const st = r.storm;
  console.log(
    `restart ${i}: all ${N} online again in ${fmt(st.seconds)} s, peak RSS ${st.peakRss} MB, ${st.deferred} logins deferred with CONNACK 3 (${st.active} still in progress), ${st.corrected} presence corrections, emitter: ${st.emitted} messages routed, ${st.filtered} client notices filtered out`,
  );
}
const afterStorm = await holdAndSample(gw, `reconnect storm ${RESTARTS}`);

await Promise.all(sims.map((s) => s.close()));
await stop(gw);
if (values.db === undefined) rmSync(dir, { recursive: true, force: true });

let mosq: { first: number | null; again: number | null; rss: number } | null = null;
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
  mosq = { first, again: back, rss };
  await Promise.all(sims.map((s) => s.close()));
  await m.stop();
}

console.log(`\n| devices | CPU hog | first connect (s) | RSS held, 3 s / after ${values.hold} s (MB) | storms: all online after restart (s) | storms: peak RSS (MB) | storms: deferred (CONNACK 3) | RSS after the last storm, 3 s / after ${values.hold} s (MB) | Mosquitto: all online after restart (s) | Mosquitto RSS (MB) |`);
console.log(`| ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
const each = (f: (s: Storm) => number | string) => storms.map(f).join(' / ');
console.log(
  `| ${N} | ${values['cpu-hog'] ? 'yes' : 'no'} | ${fmt(firstAll)} | ${held.early} / ${held.settled} | ${each((x) => fmt(x.seconds))} | ${each((x) => x.peakRss)} | ${each((x) => x.deferred)} | ${afterStorm.early} / ${afterStorm.settled} | ${fmt(mosq?.again ?? null)} | ${mosq?.rss ?? '–'} |`,
);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const stormSeconds = storms.map((x) => x.seconds).filter((x): x is number => x !== null);
const figures: Figure[] = [
  { name: `first connection of ${N} devices`, unit: 's', linli: firstAll ?? NaN, ...(mosq?.first != null ? { mosquitto: mosq.first } : {}), target: '≤ 2' },
  { name: `all online after a restart (median of ${storms.length} storms)`, unit: 's', linli: median(stormSeconds), ...(mosq?.again != null ? { mosquitto: mosq.again } : {}) },
  { name: `peak RSS during the storms (max)`, unit: 'MB', linli: Math.max(...storms.map((x) => x.peakRss)), ...(mosq ? { mosquitto: mosq.rss } : {}) },
  { name: `RSS settled after the last storm`, unit: 'MB', linli: afterStorm.settled, ...(mosq ? { mosquitto: mosq.rss } : {}) },
];
reportFigures('connections', figures);
hog?.kill('SIGKILL');
