// Scrape cost of /metrics with many device sockets open: `npx tsx test/bench/scrape.ts [--sockets N] [--scrapes N]`.
// Prints the time prom-client takes to render the gateway's registry (createMetrics) and, for comparison, a
// registry with all of prom-client's default collectors, while this process holds N accepted TCP sockets (the
// clients live in a child process). A benchmark prints numbers; it asserts nothing about time.
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createMetrics } from '../../gateway/src/metrics';

const { values } = parseArgs({ options: { sockets: { type: 'string', default: '10000' }, scrapes: { type: 'string', default: '200' } } });
const SOCKETS = Number(values.sockets);
const SCRAPES = Number(values.scrapes);

const held: Socket[] = [];
const server = createServer((s) => held.push(s));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const address = server.address();
const port = typeof address === 'object' && address ? address.port : 0;
const clients = spawn(process.execPath, ['-e', `
  const net = require('node:net'); let open = 0; let i = 0;
  const next = () => { if (i++ >= ${SOCKETS}) return; const s = net.connect(${port}, '127.0.0.1', () => { if (++open === ${SOCKETS}) console.log('open'); next(); }); s.on('error', (e) => { console.error(e.message); process.exit(1); }); };
  for (let k = 0; k < 64; k++) next();
  setInterval(() => {}, 1e6);`], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((resolve, reject) => {
  clients.stdout.on('data', (d: Buffer) => d.toString().includes('open') && resolve());
  clients.once('exit', (code) => reject(new Error(`client process exited ${code}`)));
});
while (held.length < SOCKETS) await new Promise((r) => setTimeout(r, 50));

async function measure(label: string, registry: Registry): Promise<void> {
  for (let i = 0; i < 20; i++) await registry.metrics();
  const ms: number[] = [];
  for (let i = 0; i < SCRAPES; i++) {
    const t = process.hrtime.bigint();
    await registry.metrics();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(2);
  process.stdout.write(`${label.padEnd(44)} median ${q(0.5)} ms  p95 ${q(0.95)} ms  max ${q(1)} ms\n`);
}

process.stdout.write(`${held.length} sockets held, ${SCRAPES} scrapes each\n`);
const all = new Registry();
collectDefaultMetrics({ register: all, prefix: 'linli_' });
await measure('prom-client defaults, all collectors', all);
await measure('gateway registry (createMetrics)', createMetrics().registry);

clients.kill();
for (const s of held) s.destroy();
server.close();
