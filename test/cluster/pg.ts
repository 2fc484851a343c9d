// PostgreSQL 15 alone, for the hub API and UI tests (no NATS needed: they fill the hub's tables through
// gateway/src/hub/store.ts). Started as scripts/hub-up starts it — initdb, then pg_ctl on a free port of 127.0.0.1,
// as the postgres user when the tests run as root — and stopped by the PID in postmaster.pid.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { findPgMigrationsDir, migratePg, readPgMigrations } from '../../gateway/src/hub/schema';
import { freePort } from '../helpers/process';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

export interface TestPg {
  url: string;
  pool: pg.Pool;
  stop(): Promise<void>;
}

async function asPg(cmd: string, args: string[]) {
  const root = process.getuid?.() === 0;
  return root ? run('runuser', ['-u', 'postgres', '--', join(BIN, cmd), ...args], { timeout: 180_000 }) : run(join(BIN, cmd), args, { timeout: 180_000 });
}

/** A fresh cluster in `dir` (a mkdtemp folder), the database linli_hub with the hub's migrations applied. */
export async function startPg(dir: string): Promise<TestPg> {
  const data = join(dir, 'pg');
  const sock = join(dir, 'pgsock');
  mkdirSync(data, { recursive: true });
  mkdirSync(sock, { recursive: true });
  if (process.getuid?.() === 0) {
    // PostgreSQL refuses to run as root: its folders belong to the postgres user, who must be able to reach them.
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(data, uid, gid);
    chownSync(sock, uid, gid);
    chmodSync(data, 0o700);
    chmodSync(dir, 0o711);
  }
  await asPg('initdb', ['-D', data, '-U', 'linli', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const port = await freePort();
  await asPg('pg_ctl', ['-D', data, '-w', '-t', '120', '-l', join(sock, 'postgres.log'), '-o', `-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c timezone=UTC`, 'start']);
  const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  await asPg('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'linli', 'linli_hub']);
  const url = `postgres://linli@127.0.0.1:${port}/linli_hub`;
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // An idle client whose connection the server ends (the fast shutdown in stop()) emits 'error' on the pool; unhandled,
  // vitest reports it as an error of whichever test file is running. The tests' own queries still reject as usual.
  pool.on('error', () => undefined);
  const migrations = findPgMigrationsDir(process.cwd());
  if (migrations === null) throw new Error('postgres/migrations not found');
  await migratePg(pool, readPgMigrations(migrations));
  return {
    url,
    pool,
    async stop() {
      await pool.end().catch(() => undefined);
      // SIGINT: PostgreSQL's fast shutdown. Wait (bounded) until the postmaster is gone.
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        return;
      }
      for (let i = 0; i < 600; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      process.kill(pid, 'SIGKILL');
    },
  };
}
