// `npm run bench -- <name> [options]`: runs one benchmark script from test/bench/.
import { spawnSync } from 'node:child_process';

const BENCHES = {
  writer: 'SQLite write paths for device events: Prisma createMany vs raw multi-row INSERT vs the group-commit writer',
  ingest: 'durable events/s and publish→PUBACK latency at saturation and fixed rates, vs a bare Mosquitto',
  connections: '10,000 authenticated connections held (gateway RSS), and time to all-online after a restart',
  alerts: 'alarm press → live-stream frame p50/p99, idle and while 10,000 other events/s are ingested',
  outage: 'alarm presses every 100 ms through a 30 s database lock and 30 s of full disk: press → guard frame, event-loop lag, acknowledged-and-lost',
  export: 'streaming export of N access rows (default 200,000: a month of a 4,000-household compound) as CSV and XLSX: time, CPU, peak RSS',
  access: 'access request → reply round trip (p50/p99) at fixed rates, decisions stored, on the seeded community',
} as const;

const [name, ...rest] = process.argv.slice(2);
if (!name || !(name in BENCHES)) {
  console.log('usage: npm run bench -- <name> [options]\n');
  for (const [n, d] of Object.entries(BENCHES)) console.log(`  ${n.padEnd(12)} ${d}`);
  process.exit(name ? 2 : 0);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', `test/bench/${name}.ts`, ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);
