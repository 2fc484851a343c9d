import { chmodSync, mkdirSync, statSync } from 'node:fs';

/** Owner-only modes for everything that holds secrets at rest: the database and its WAL, the key, the seed's secrets. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Creates `dir` (and parents) owner-only. An existing directory is left as the operator made it: see looseDirectory. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Makes the database file and its WAL/SHM companions owner-only. SQLite creates the companions with the main file's
 * mode, so tightening the main file before the first connection covers new ones; existing ones are tightened too.
 * `prisma migrate deploy` creates the file with the umask's mode (usually 0644), which is why this runs on every open.
 */
export function tightenDatabaseFiles(path: string): void {
  for (const p of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    try {
      if ((statSync(p).mode & 0o777) !== PRIVATE_FILE_MODE) chmodSync(p, PRIVATE_FILE_MODE);
    } catch (err) {
      if (!(err instanceof Error && 'code' in err && err.code === 'ENOENT')) throw err;
    }
  }
}

/** Whether group or others may enter `dir` (worth a warning: the files inside are private, their names are not). */
export function looseDirectory(dir: string): boolean {
  return (statSync(dir).mode & 0o077) !== 0;
}
