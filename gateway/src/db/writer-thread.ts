import { Worker } from 'node:worker_threads';
import type { ItemOf, ProgramName, ResultOf } from './write-programs';

export type ToWriter = { type: 'run'; id: number; program: ProgramName; batch: unknown[] } | { type: 'close' };
type FromWriter =
  | { type: 'ready' }
  | { type: 'closed' }
  | { type: 'done'; id: number; results: unknown[] }
  | { type: 'failed'; id: number; message: string; code?: unknown };

/** A failed commit as the writer thread reported it (SQLITE_BUSY, SQLITE_FULL, …), code included. */
export class WriteFailedError extends Error {
  constructor(
    message: string,
    readonly code: unknown,
  ) {
    super(message);
  }
}

export interface WriterThread {
  /** Runs one write program over a batch in one transaction on the writer thread; resolves after COMMIT. */
  run<P extends ProgramName>(program: P, batch: ItemOf<P>[]): Promise<ResultOf<P>[]>;
  /** Closes the thread's connection (after the group commits drained) and ends the thread. */
  close(): Promise<void>;
}

export interface WriterThreadOptions {
  /** How long a commit waits for another connection's write lock before it fails and is retried. */
  busyTimeoutMs: number;
  /** The thread died (a bug, not a database error); pending commits fail and are retried on a new thread. */
  onExit?: (err: Error) => void;
}

/**
 * The writer thread: every group commit (events, presence, access decisions) runs there on a connection of its own,
 * so the fsync behind each COMMIT — and a wait for a lock — never stalls the event loop that serves 10,000 devices.
 * Requests go in order; the group commits send one batch at a time each, so batches grow by themselves under load.
 */
export async function startWriterThread(path: string, opts: WriterThreadOptions): Promise<WriterThread> {
  const pending = new Map<number, { resolve: (r: unknown[]) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let closing = false;
  let worker = await spawn();

  function spawn(): Promise<Worker> {
    const w = createWorker({ path, busyTimeoutMs: opts.busyTimeoutMs });
    w.unref();
    return new Promise((resolve, reject) => {
      const failed = (err: Error) => reject(err);
      w.once('error', failed);
      w.once('message', (m: FromWriter) => {
        w.off('error', failed);
        if (m.type !== 'ready') return reject(new Error(`writer thread said ${m.type} before ready`));
        w.on('message', onMessage);
        w.on('error', (err) => died(w, err));
        w.on('exit', (code) => died(w, new Error(`writer thread exited (${code})`)));
        resolve(w);
      });
    });
  }

  function onMessage(m: FromWriter) {
    if (m.type !== 'done' && m.type !== 'failed') return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    if (m.type === 'done') p.resolve(m.results);
    else p.reject(new WriteFailedError(m.message, m.code));
  }

  let respawning: Promise<Worker> | null = null;
  function died(w: Worker, err: Error) {
    if (w !== worker || closing) return;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    opts.onExit?.(err);
    respawning = spawn().finally(() => (respawning = null));
    respawning.then((fresh) => (worker = fresh)).catch((e: unknown) => opts.onExit?.(e instanceof Error ? e : new Error(String(e))));
  }

  return {
    async run(program, batch) {
      if (closing) throw new Error('writer thread closed');
      if (respawning) await respawning;
      const id = nextId++;
      const result = new Promise<unknown[]>((resolve, reject) => pending.set(id, { resolve, reject }));
      if (pending.size === 1) worker.ref();
      worker.postMessage({ type: 'run', id, program, batch } satisfies ToWriter);
      return result as Promise<never[]>;
    },
    async close() {
      if (closing) return;
      closing = true;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.ref();
      worker.postMessage({ type: 'close' } satisfies ToWriter);
      await exited;
    },
  };
}

/**
 * The thread runs dist/db-writer.mjs next to the bundle (npm start); from the TypeScript sources (tests, tsx) it
 * loads writer-thread.worker.ts through tsx, which a worker does not inherit from `--import tsx`.
 */
function createWorker(workerData: { path: string; busyTimeoutMs: number }): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = JSON.stringify(new URL('./writer-thread.worker.ts', here).href);
    return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}); });`, { eval: true, workerData });
  }
  return new Worker(new URL('./db-writer.mjs', here), { workerData });
}
