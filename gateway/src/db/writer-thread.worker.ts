// The writer thread's entry (bundled as dist/db-writer.mjs): its own connection, the write programs, and nothing else.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { PRAGMAS } from './pragmas';
import { writePrograms } from './write-programs';
import type { ToWriter } from './writer-thread';

const port = parentPort;
if (!port) throw new Error('writer-thread.worker.ts runs as a worker thread');
const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };

const raw = new Database(path);
for (const p of PRAGMAS) raw.pragma(p);
// Waiting for a lock blocks only this thread; past the timeout the batch fails and the group commit backs off.
raw.pragma(`busy_timeout = ${busyTimeoutMs}`);
const programs = writePrograms(raw);

port.on('message', (m: ToWriter) => {
  if (m.type === 'close') {
    raw.close();
    port.postMessage({ type: 'closed' });
    port.close();
    return;
  }
  try {
    const results = (programs[m.program] as (batch: unknown[]) => unknown[])(m.batch);
    port.postMessage({ type: 'done', id: m.id, results });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    port.postMessage({ type: 'failed', id: m.id, message: e.message, code: (e as { code?: unknown }).code });
  }
});
port.postMessage({ type: 'ready' });
