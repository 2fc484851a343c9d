// Ingest benchmark (issue 3): durable events/s and publish→PUBACK latency through the real gateway, at saturation
// and at fixed rates, next to a bare Mosquitto (pub→sub at QoS 1, no persistence) driven by the same generator.
// Usage: npm run bench -- ingest [--connections 200] [--seconds 10] [--rates 5000,20000] [--store sqlite|postgres]
// (--store postgres: the gateway on a PostgreSQL 15 the bench starts, docs/storage.md)
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type LoadReport, formatLoadReport, runLoad } from '../../devices-sim/src/load';
import { type Figure, benchDatabase, benchPgDatabase, mosquittoAvailable, reportFigures, rssMb, startBenchGateway, startMosquitto, stopGateway } from './lib';

const { values } = parseArgs({
  options: { connections: { type: 'string', default: '200' }, seconds: { type: 'string', default: '10' }, rates: { type: 'string', default: '5000,20000' }, store: { type: 'string', default: 'sqlite' } },
  allowPositionals: true,
});
const connections = Number(values.connections);
const durationSec = Number(values.seconds);
const rates = values.rates.split(',').map(Number);
if (values.store !== 'sqlite' && values.store !== 'postgres') throw new Error('--store takes sqlite or postgres');
// Door, barrier and lamp traffic: no access requests (those add decisions, measured in the access benchmark).
const mix = { doorState: 4, lightState: 2, barrierState: 1 } as const;

const rows: Array<[string, LoadReport, number?]> = [];

let mosquittoSat: LoadReport | undefined;
const mosquittoAt = new Map<number, LoadReport>();
if (mosquittoAvailable()) {
  // The same generator, connections, rates and QoS against a broker that stores nothing: PUBACK and pub→sub.
  const mosq = await startMosquitto();
  const url = `mqtt://127.0.0.1:${mosq.port}`;
  mosquittoSat = await runLoad({ url, topicMode: 'bare', connections, rate: 'max', durationSec, qos: 1, quiet: true });
  rows.push(['mosquitto pub→sub QoS 1, saturation', mosquittoSat]);
  for (const rate of rates) {
    const r = await runLoad({ url, topicMode: 'bare', connections, rate, durationSec, qos: 1, quiet: true });
    mosquittoAt.set(rate, r);
    rows.push([`mosquitto pub→sub QoS 1, fixed ${rate}/s`, r]);
  }
  await mosq.stop();
} else {
  console.log('mosquitto not installed (apt-get install mosquitto): skipping the comparison');
}

const kinds = ['face_terminal', 'streetlight', 'vehicle_gate'] as const;
const bench = values.store === 'postgres' ? await benchPgDatabase(connections, [...kinds]) : { ...(await benchDatabase(connections, [...kinds])), stop: async () => undefined };
const { dir, dbFile, devices } = bench;
const LINLI = values.store === 'postgres' ? 'linli durable ingest on PostgreSQL' : 'linli durable ingest';
const gw = await startBenchGateway(dbFile);
const url = `mqtt://127.0.0.1:${gw.mqtt}`;
const sat = await runLoad({ url, devices, connections, rate: 'max', durationSec, qos: 1, mix, quiet: true });
rows.push([`${LINLI}, saturation`, sat, rssMb(gw.child.pid!)]);
// The group commit's shape at saturation, from the gateway's own histograms (only saturation has run so far).
const satMetrics = await (await fetch(`http://127.0.0.1:${gw.http}/metrics`)).text();
const meanOf = (name: string) => {
  const sum = new RegExp(`^${name}_sum ([\\d.e+-]+)`, 'm').exec(satMetrics)?.[1];
  const count = new RegExp(`^${name}_count (\\d+)`, 'm').exec(satMetrics)?.[1];
  return sum && count && Number(count) > 0 ? Number(sum) / Number(count) : NaN;
};
const satCommits = `saturation: ${/^linli_ingest_commit_seconds_count (\d+)/m.exec(satMetrics)?.[1] ?? '?'} commits, mean batch ${meanOf('linli_ingest_batch_size').toFixed(1)} events, mean COMMIT ${(1000 * meanOf('linli_ingest_commit_seconds')).toFixed(2)} ms on the event loop`;
const linliAt = new Map<number, LoadReport>();
for (const rate of rates) {
  const r = await runLoad({ url, devices, connections, rate, durationSec, qos: 1, mix, quiet: true });
  linliAt.set(rate, r);
  rows.push([`${LINLI}, fixed ${rate}/s`, r, rssMb(gw.child.pid!)]);
}
await stopGateway(gw);
await bench.stop();
rmSync(dir, { recursive: true, force: true });

console.log(`\ningest benchmark: ${connections} connections, ${durationSec} s per run, QoS 1\n`);
console.log('| run | sent | acked (durable) | acked/s | delivered/s | p50 ms | p99 ms | max ms | gateway RSS MB |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [name, r, rss] of rows) {
  const lat = r.mode === 'bare' && r.deliveryLatencyMs ? r.deliveryLatencyMs : r.latencyMs;
  console.log(`| ${name} | ${r.sent} | ${r.mode === 'bare' ? '–' : r.acked} | ${r.mode === 'bare' ? '–' : r.ackedPerSec} | ${r.deliveredPerSec ?? '–'} | ${lat.p50} | ${lat.p99} | ${lat.max} | ${rss ?? '–'} |`);
}
for (const [name, r] of rows) console.log(`\n${name}\n${formatLoadReport(r)}`);
console.log(`\ningest group commit, ${satCommits}`);

const figures: Figure[] = [
  { name: 'saturation: linli durable acked/s vs Mosquitto delivered/s (QoS 1)', unit: '/s', linli: sat.ackedPerSec, ...(mosquittoSat?.deliveredPerSec !== undefined ? { mosquitto: mosquittoSat.deliveredPerSec } : {}), target: '≥ 1.0' },
];
for (const rate of rates) {
  const l = linliAt.get(rate)!;
  const m = mosquittoAt.get(rate);
  figures.push({ name: `fixed ${rate}/s: publish→PUBACK p99`, unit: 'ms', linli: l.latencyMs.p99, ...(m ? { mosquitto: m.latencyMs.p99 } : {}), ...(rate === 5000 ? { target: '≤ 1.5' } : {}) });
  figures.push({ name: `fixed ${rate}/s: acked/s (linli) vs delivered/s (Mosquitto)`, unit: '/s', linli: l.ackedPerSec, ...(m?.deliveredPerSec !== undefined ? { mosquitto: m.deliveredPerSec } : {}) });
  if (m?.deliveryLatencyMs) figures.push({ name: `fixed ${rate}/s: linli PUBACK p99 (durable) vs Mosquitto pub→sub p99`, unit: 'ms', linli: l.latencyMs.p99, mosquitto: m.deliveryLatencyMs.p99 });
}
reportFigures('ingest', figures);
