// Free TCP ports on 127.0.0.1 for processes that must be told their port up front (scripts/hub-up, the tests).
//
// The ports come from 20000–32767, below Linux's ephemeral range (ip_local_port_range, 32768–60999 by default). A port
// from listen(0) is an ephemeral one: the kernel may hand the same number to the next outgoing connection's source port
// (a NATS route, a Postgres client) before the process it was meant for binds it — a CI run failed exactly so
// ("Error listening on leafnode port … address already in use"). Outside that range only another picker can collide,
// and each port is checked by binding it first and never handed out twice by this process.
import { createServer } from 'node:net';
import { pathToFileURL } from 'node:url';

const LOW = 20000;
const HIGH = 32768;
const given = new Set<number>();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** n distinct ports that were free a moment ago. */
export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let tries = 0; out.length < n; tries++) {
    if (tries > 10_000) throw new Error(`free-ports: no free port in ${LOW}–${HIGH - 1}`);
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (given.has(port)) continue;
    if (await canBind(port)) {
      given.add(port);
      out.push(port);
    }
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = Number(process.argv[2] ?? '1');
  if (!Number.isInteger(n) || n < 1) {
    console.error('usage: node --import tsx scripts/free-ports.ts N');
    process.exit(64);
  }
  console.log((await freePorts(n)).join(','));
}
