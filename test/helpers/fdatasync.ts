import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

type Done = (err: NodeJS.ErrnoException | null) => void;
const realFdatasync = fs.fdatasync;

/**
 * Replaces node:fs's fdatasync for the whole process (a gateway started by startGateway runs in the test's process):
 * db/wal-sync.ts calls it on the WAL after a synchronous=NORMAL commit. SQLite's own fsyncs (synchronous=FULL) are
 * made in C and never pass here. `restoreFdatasync` puts the real one back.
 */
export function interceptFdatasync(replacement: (fd: number, done: Done) => void): void {
  Object.defineProperty(fs, 'fdatasync', { value: replacement, writable: true, configurable: true });
  syncBuiltinESMExports();
}

export function restoreFdatasync(): void {
  Object.defineProperty(fs, 'fdatasync', { value: realFdatasync, writable: true, configurable: true });
  syncBuiltinESMExports();
}

/** Holds every WAL sync until `release()`, which runs the real fdatasync for each, in order. */
export function holdFdatasync() {
  const held: Array<() => void> = [];
  interceptFdatasync((fd, done) => held.push(() => realFdatasync(fd, done)));
  return {
    held: () => held.length,
    release() {
      restoreFdatasync();
      for (const run of held.splice(0)) run();
    },
  };
}

/** Fails every WAL sync with EIO, as a dying disk would. */
export function failFdatasync(): void {
  interceptFdatasync((_fd, done) => {
    const err: NodeJS.ErrnoException = new Error('EIO: i/o error, fdatasync');
    err.code = 'EIO';
    setImmediate(() => done(err));
  });
}
