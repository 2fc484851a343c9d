// `npm run bench -- <name> [--runs N] [options]`: runs one benchmark script from test/bench/. With --runs N the script
// runs N times in a row and the figures it reports beside their Mosquitto reference (lib.ts reportFigures) are
// summarised as medians: of linli's figure, of the reference, and of the per-run ratio.
import { spawn } from 'node:child_process';
import { type Figure, figureRow, parseFigures, ratioText } from './lib';

const BENCHES = {
  'commit-cost': 'what one group commit of device events costs on the event loop: the fsync, the checkpoints, devices per batch',
  writer: 'SQLite write paths for device events: Prisma createMany vs raw multi-row INSERT vs the group-commit writer',
  ingest: 'durable events/s and publish→PUBACK latency at saturation and fixed rates, vs a bare Mosquitto',
  connections: '10,000 authenticated connections held (gateway RSS), and time to all-online after a restart',
  alerts: 'alarm press → live-stream frame p50/p99, idle and while 10,000 other events/s are ingested, vs Mosquitto pub→sub',
  outage: 'alarm presses every 100 ms through a 30 s database lock and 30 s of full disk: press → guard frame, event-loop lag, acknowledged-and-lost',
  export: 'streaming export of N access rows (default 200,000: a month of a 4,000-household compound) as CSV and XLSX: time, CPU, peak RSS',
  access: 'access request → reply round trip (p50/p99) at fixed rates, vs a Mosquitto request/response through a responder client',
  hub: 'cells → NATS JetStream → PostgreSQL: writer rows/s at batch 100/1,000, one cell end to end, catch-up after an outage of 3 cells (--outage-min, default 10)',
} as const;

const [name, ...args] = process.argv.slice(2);
if (!name || !(name in BENCHES)) {
  console.log('usage: npm run bench -- <name> [--runs N] [options]\n');
  for (const [n, d] of Object.entries(BENCHES)) console.log(`  ${n.padEnd(12)} ${d}`);
  process.exit(name ? 2 : 0);
}
const at = args.indexOf('--runs');
const runs = at === -1 ? 1 : Number(args[at + 1]);
if (!Number.isInteger(runs) || runs < 1) {
  console.error('--runs takes a positive whole number');
  process.exit(2);
}
const rest = at === -1 ? args : [...args.slice(0, at), ...args.slice(at + 2)];

function runOnce(): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `test/bench/${name}.ts`, ...rest], { stdio: ['inherit', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      process.stdout.write(d);
    });
    child.once('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const median = (xs: number[]): number => {
  // A run without the figure (Infinity: e.g. over 1 % unanswered) counts as the worst, not as missing.
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round(((s[m - 1]! + s[m]!) / 2) * 100) / 100;
};

const collected: Figure[][] = [];
for (let i = 1; i <= runs; i++) {
  if (runs > 1) console.log(`\n── run ${i} of ${runs} ──`);
  const r = await runOnce();
  if (r.code !== 0) process.exit(r.code);
  const figures = parseFigures(r.output)?.figures;
  if (figures) collected.push(figures);
}
if (runs > 1 && collected.length > 0) {
  console.log(`\n${name}: medians of ${collected.length} runs (npm run bench -- ${name} --runs ${runs}${rest.length ? ` ${rest.join(' ')}` : ''})\n`);
  console.log('| figure | linli | Mosquitto | ratio linli ÷ Mosquitto (median of the runs\' ratios) | target | runs\' ratios |');
  console.log('| --- | ---: | ---: | ---: | --- | --- |');
  for (const [k, f] of collected[0]!.entries()) {
    const same = collected.map((c) => c[k]).filter((x): x is Figure => x?.name === f.name);
    const ratios = same.map((x) => (x.mosquitto !== undefined && x.mosquitto > 0 && Number.isFinite(x.mosquitto) ? x.linli / x.mosquitto : NaN));
    const ref = same.every((x) => x.mosquitto !== undefined) ? median(same.map((x) => x.mosquitto!)) : undefined;
    const row = figureRow({ ...f, linli: median(same.map((x) => x.linli)), ...(ref !== undefined ? { mosquitto: ref } : {}) }).split(' | ');
    row[3] = ratioText(median(ratios));
    console.log(`${row.join(' | ').replace(/ \|$/, '')} | ${ratios.map(ratioText).join(', ')} |`);
  }
}
