// Ingest benchmark (issue 3): durable events/s and publish→PUBACK latency through the real gateway, at saturation
// and at fixed rates, next to a bare Mosquitto (pub→sub at QoS 1, no persistence) driven by the same generator.
// Usage: npm run bench -- ingest [--connections 200] [--seconds 10] [--rates 5000,20000]
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type LoadReport, formatLoadReport, runLoad } from '../../devices-sim/src/load';
import { benchDatabase, mosquittoAvailable, rssMb, startBenchGateway, startMosquitto, stopGateway } from './lib';

const { values } = parseArgs({
  options: { connections: { type: 'string', default: '200' }, seconds: { type: 'string', default: '10' }, rates: { type: 'string', default: '5000,20000' } },
  allowPositionals: true,
});
const connections = Number(values.connections);
const durationSec = Number(values.seconds);
const rates = values.rates.split(',').map(Number);
// Door, barrier and lamp traffic: no access requests (those add decisions, measured in the access benchmark).
const mix = { doorState: 4, lightState: 2, barrierState: 1 } as const;

const rows: Array<[string, LoadReport, number?]> = [];

let mosquittoPerSec: number | undefined;
if (mosquittoAvailable()) {
  const mosq = await startMosquitto();
  const r = await runLoad({ url: `mqtt://127.0.0.1:${mosq.port}`, topicMode: 'bare', connections, rate: 'max', durationSec, qos: 1, quiet: true });
  mosquittoPerSec = r.deliveredPerSec;
  rows.push(['mosquitto pub→sub QoS 1, saturation', r]);
  await mosq.stop();
} else {
  console.log('mosquitto not installed (apt-get install mosquitto): skipping the comparison');
}

const { dir, dbFile, devices } = await benchDatabase(connections, ['face_terminal', 'streetlight', 'vehicle_gate']);
const gw = await startBenchGateway(dbFile);
const url = `mqtt://127.0.0.1:${gw.mqtt}`;
const sat = await runLoad({ url, devices, connections, rate: 'max', durationSec, qos: 1, mix, quiet: true });
rows.push(['linli durable ingest, saturation', sat, rssMb(gw.child.pid!)]);
for (const rate of rates) {
  const r = await runLoad({ url, devices, connections, rate, durationSec, qos: 1, mix, quiet: true });
  rows.push([`linli durable ingest, fixed ${rate}/s`, r, rssMb(gw.child.pid!)]);
}
await stopGateway(gw);
rmSync(dir, { recursive: true, force: true });

console.log(`\ningest benchmark: ${connections} connections, ${durationSec} s per run, QoS 1\n`);
console.log('| run | sent | acked (durable) | acked/s | delivered/s | p50 ms | p99 ms | max ms | gateway RSS MB |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [name, r, rss] of rows) {
  const lat = r.mode === 'bare' && r.deliveryLatencyMs ? r.deliveryLatencyMs : r.latencyMs;
  console.log(`| ${name} | ${r.sent} | ${r.mode === 'bare' ? '–' : r.acked} | ${r.mode === 'bare' ? '–' : r.ackedPerSec} | ${r.deliveredPerSec ?? '–'} | ${lat.p50} | ${lat.p99} | ${lat.max} | ${rss ?? '–'} |`);
}
if (mosquittoPerSec) console.log(`\nratio linli durable/s ÷ mosquitto delivered/s at saturation: ${(sat.ackedPerSec / mosquittoPerSec).toFixed(2)}`);
for (const [name, r] of rows) console.log(`\n${name}\n${formatLoadReport(r)}`);
