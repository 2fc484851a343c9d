// Connection benchmark (issue 3): N authenticated device connections held (gateway RSS), then the gateway is
// restarted and we time how long until every device is online again. Devices are the simulator's, reconnecting with
// full-jitter exponential backoff (base 500 ms, cap 5 s here, as device firmware would).
// Usage: npm run bench -- connections [--devices 10000]
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AcceleratedClock } from '../../devices-sim/src/clock';
import { type AnyDevice, createDevice, mqttLinks } from '../../devices-sim/src/devices';
import { Random } from '../../devices-sim/src/random';
import { type GatewayProcess } from '../helpers/process';
import { benchDatabase, rssMb, startBenchGateway, stopGateway } from './lib';

const { values } = parseArgs({ options: { devices: { type: 'string', default: '10000' }, batch: { type: 'string', default: '250' } }, allowPositionals: true });
const N = Number(values.devices);
const BATCH = Number(values.batch);

async function connectedOnGateway(gw: GatewayProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gw.http}/metrics`)).text();
  return Number(/^linli_mqtt_connections (\d+)/m.exec(text)?.[1] ?? 0);
}

async function waitForAll(gw: GatewayProcess, t0: number, timeoutMs: number): Promise<number | null> {
  while (performance.now() - t0 < timeoutMs) {
    if ((await connectedOnGateway(gw)) >= N) return (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

console.log(`connection benchmark: ${N} devices`);
const prepT0 = performance.now();
const { dir, dbFile, devices } = await benchDatabase(N, ['face_terminal', 'streetlight', 'indoor_alarm', 'outdoor_alarm', 'vehicle_gate']);
console.log(`database with ${N} devices ready in ${((performance.now() - prepT0) / 1000).toFixed(1)} s`);

let gw = await startBenchGateway(dbFile);
const ports = { HTTP_PORT: String(gw.http), MQTT_PORT: String(gw.mqtt) };
const random = new Random(7);
const link = mqttLinks({ url: `mqtt://127.0.0.1:${gw.mqtt}`, connectTimeoutMs: 30_000, backoff: { baseMs: 500, capMs: 5_000 } });
const sims: AnyDevice[] = devices.map((d) => createDevice({ id: d.id, kind: d.kind, secret: d.secret, link, clock: new AcceleratedClock(), random }));

// First connection of every device: each login runs argon2id once (then the memo is stored on the device row).
const firstT0 = performance.now();
for (let i = 0; i < sims.length; i += BATCH) await Promise.all(sims.slice(i, i + BATCH).map((s) => s.start()));
const firstAll = await waitForAll(gw, firstT0, 600_000);
console.log(`first connection of all ${N} (argon2id per device): ${firstAll?.toFixed(1) ?? 'not reached'} s`);
await new Promise((r) => setTimeout(r, 3_000));
const rssHeld = rssMb(gw.child.pid!);
console.log(`gateway RSS with ${await connectedOnGateway(gw)} connections held: ${rssHeld} MB`);

// Restart: the devices notice, back off with jitter, and come back; their login memos make it an HMAC each.
await stopGateway(gw);
gw = await startBenchGateway(dbFile, ports);
const restartT0 = performance.now();
const again = await waitForAll(gw, restartT0, 120_000);
console.log(`after a restart, all ${N} online again in: ${again?.toFixed(1) ?? 'not reached (120 s)'} s`);
const rssAfter = rssMb(gw.child.pid!);
console.log(`gateway RSS after the reconnect storm: ${rssAfter} MB`);

await Promise.all(sims.map((s) => s.close()));
await stopGateway(gw);
rmSync(dir, { recursive: true, force: true });
console.log(`\n| devices | first connect (s) | RSS held (MB) | all online after restart (s) | RSS after storm (MB) |`);
console.log(`| ---: | ---: | ---: | ---: | ---: |`);
console.log(`| ${N} | ${firstAll?.toFixed(1) ?? '–'} | ${rssHeld} | ${again?.toFixed(1) ?? '–'} | ${rssAfter} |`);
