import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log';

/**
 * WAL checkpoints off the event loop. SQLite's default copies the WAL back into the database file from inside the
 * COMMIT that pushed the WAL past 1,000 pages, on whichever connection made it: the copy and the database file's
 * fsync then run on the main thread, and every MQTT reply, PUBACK and live frame waits behind them (the access
 * benchmark's p99 tail was the event loop standing still for 100–170 ms). The gateway's connections therefore run
 * with `wal_autocheckpoint = 0`, and this worker thread, with a connection of its own, runs a PASSIVE checkpoint every
 * `intervalMs`: it never takes the write lock, so no writer waits for it, and a busy wait inside it stops only it.
 *
 * Durability is unchanged: a commit is durable once its WAL frames are synced (synchronous=FULL, or db/wal-sync.ts);
 * a checkpoint only moves durable frames into the database file, syncing the WAL first and the file after. If the
 * worker dies it is restarted; while it is down the WAL only grows, and the last connection's close checkpoints.
 */
export interface CheckpointStats {
  /** Checkpoints run since start (each a PASSIVE one). */
  runs: number;
  /** Frames in the WAL and frames copied into the database file, at the last checkpoint. */
  walFrames: number;
  checkpointedFrames: number;
  /** Times the worker had to be restarted. */
  restarts: number;
  /** How long the last checkpoint took (ms), and the longest so far. */
  lastMs: number;
  maxMs: number;
}

export interface Checkpointer {
  stats(): CheckpointStats;
  /** Resolves once a checkpoint that started after this call has finished (tests; `linli backup` does its own). */
  next(): Promise<CheckpointStats>;
  stop(): Promise<void>;
}

// The worker's whole program. A string evaluated as CommonJS, so it runs the same from the TypeScript sources (tsx),
// from the bundle in dist/ and from a production install: the driver's resolved path comes in workerData.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
let timer = null;
function tick() {
  const t0 = performance.now();
  const [r] = db.pragma('wal_checkpoint(PASSIVE)');
  parentPort.postMessage({ walFrames: r.log, checkpointedFrames: r.checkpointed, ms: performance.now() - t0 });
  timer = setTimeout(tick, workerData.intervalMs);
}
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
tick();
`;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

export interface CheckpointerOptions {
  intervalMs?: number;
  /** Told the duration in seconds of each checkpoint that copied frames (a metric). */
  observe?: (seconds: number) => void;
}

export function startCheckpointer(path: string, log: Logger, opts: CheckpointerOptions = {}): Checkpointer {
  const intervalMs = opts.intervalMs ?? 1_000;
  const stats: CheckpointStats = { runs: 0, walFrames: 0, checkpointedFrames: 0, restarts: 0, lastMs: 0, maxMs: 0 };
  let waiting: Array<(s: CheckpointStats) => void> = [];
  let stopping = false;
  let alive = false;
  let worker = spawn();

  function spawn(): Worker {
    const w = new Worker(WORKER, { eval: true, workerData: { driver, path, intervalMs } });
    alive = true;
    w.on('message', (m: { walFrames: number; checkpointedFrames: number; ms: number }) => {
      const copied = m.checkpointedFrames > 0 && (m.checkpointedFrames !== stats.checkpointedFrames || m.walFrames !== stats.walFrames);
      Object.assign(stats, { runs: stats.runs + 1, walFrames: m.walFrames, checkpointedFrames: m.checkpointedFrames, lastMs: m.ms, maxMs: Math.max(stats.maxMs, m.ms) });
      if (copied) opts.observe?.(m.ms / 1_000);
      const done = waiting;
      waiting = [];
      for (const resolve of done) resolve({ ...stats });
    });
    w.on('error', (err) => log.error({ err }, 'database checkpointer failed'));
    w.on('exit', (code) => {
      alive = false;
      if (stopping) return;
      stats.restarts += 1;
      log.error({ code }, 'database checkpointer stopped; restarting it in 1 s (the WAL grows meanwhile)');
      setTimeout(() => {
        if (!stopping) worker = spawn();
      }, 1_000).unref();
    });
    w.unref();
    return w;
  }

  return {
    stats: () => ({ ...stats }),
    // The run in progress may have started before the call: wait for the one after it.
    next: () => new Promise((resolve) => waiting.push(() => waiting.push(resolve))),
    async stop() {
      stopping = true;
      if (!alive) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage('stop');
      await exited;
    },
  };
}
