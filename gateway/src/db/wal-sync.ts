import { close, fdatasync, open } from 'node:fs';

/**
 * The fsync of a commit, off the event loop. A connection with `synchronous = NORMAL` commits into the WAL without
 * syncing it; `sync()` then runs fdatasync on the WAL file in libuv's thread pool and resolves once every commit
 * made before the call is on disk — what `synchronous = FULL` does inside COMMIT, on the main thread, where a slow
 * disk's 10 ms fsync stops MQTT and HTTP alike (docs/benchmarks.md, access). A caller treats a write as stored only
 * once its `sync()` resolved, so the guarantee is FULL's: what was acknowledged survives a power cut; a commit not yet
 * synced can be lost with the power, like a COMMIT interrupted in its own fsync.
 *
 * Calls made while a sync runs share the next one (its fdatasync starts after their commits), so the syncs keep
 * up with any commit rate. fsync works on the file, not on a descriptor, so opening the WAL afresh each time is
 * as good as SQLite's own handle and follows a WAL that was replaced. No WAL file means no uncheckpointed commit:
 * a checkpoint syncs the database file before the WAL goes.
 */
export function walSync(dbPath: string): () => Promise<void> {
  const wal = `${dbPath}-wal`;
  let waiting: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  let running = false;

  function run(): void {
    const batch = waiting;
    waiting = [];
    running = true;
    const done = (err: NodeJS.ErrnoException | null) => {
      running = false;
      for (const w of batch) {
        if (err && err.code !== 'ENOENT') w.reject(err);
        else w.resolve();
      }
      if (waiting.length > 0) run();
    };
    open(wal, 'r', (err, fd) => {
      if (err) return done(err);
      fdatasync(fd, (syncErr) => close(fd, () => done(syncErr)));
    });
  }

  return () =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ resolve, reject });
      if (!running) run();
    });
}
