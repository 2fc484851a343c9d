// Online backup and restore of the gateway's SQLite database, with the credential key inside the same file.
//
// `backup` uses SQLite's online backup API (better-sqlite3 `.backup()`) on its own connection, meant to run in its
// own process (`linli backup`, or the gateway's daily schedule spawning it): the copy is one consistent snapshot
// taken while the gateway keeps writing (WAL: a reader never blocks the writer), and the gateway's event loop never
// runs a page of it. All pages are copied in one step, so writes landing meanwhile cannot restart it forever.
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { CREDENTIAL_KEY_FILE, loadOrCreateCredentialKey } from '../auth/credential-key';
import { forgetReplicationGeneration } from './replication';

/** Table added to the backup copy only: the credential key, without which no stored card or PIN matches. */
const KEY_TABLE = 'linli_backup_key';

export type BackupResult = { ok: true; file: string; pages: number; bytes: number } | { ok: false; message: string };

export async function backupDatabase(dbPath: string, file: string, opts: { credentialKey?: string | undefined }): Promise<BackupResult> {
  if (!existsSync(dbPath)) return { ok: false, message: `no database at ${dbPath}` };
  mkdirSync(dirname(file), { recursive: true });
  const key = loadOrCreateCredentialKey(dirname(dbPath), opts.credentialKey);
  const tmp = `${file}.${process.pid}.partial`;
  writeFileSync(tmp, '', { mode: 0o600 });
  const src = new Database(dbPath, { readonly: true, fileMustExist: true });
  let pages = 0;
  try {
    src.pragma('busy_timeout = 10000');
    const progress = await src.backup(tmp, { progress: () => 0x7fffffff });
    pages = progress.totalPages;
  } catch (err) {
    rmSync(tmp, { force: true });
    return { ok: false, message: `backup of ${dbPath} failed: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    src.close();
  }
  const copy = new Database(tmp);
  try {
    // The copy keeps the source's WAL mode; a single self-contained file is easier to move and to restore.
    copy.pragma('journal_mode = DELETE');
    copy.exec(`CREATE TABLE ${KEY_TABLE} (key TEXT NOT NULL)`);
    copy.prepare(`INSERT INTO ${KEY_TABLE} (key) VALUES (?)`).run(key.key);
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') {
      copy.close();
      rmSync(tmp, { force: true });
      return { ok: false, message: `the backup copy failed its integrity check: ${String(check)}` };
    }
  } finally {
    if (copy.open) copy.close();
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return { ok: true, file, pages, bytes: statSync(file).size };
}

export type RestoreResult = { ok: true; keyFile: string | null } | { ok: false; message: string };

/**
 * Replaces the database at `dbPath` (and its credential key) with a backup. The gateway must be stopped: a live
 * one holds the file open (checked by taking an exclusive lock). The backup is checked first; a bad one changes
 * nothing. The database replaced is kept beside it as `<name>.before-restore-<time>`.
 */
export function restoreDatabase(file: string, dbPath: string, opts: { keyFromEnv: boolean }): RestoreResult {
  if (!existsSync(file)) return { ok: false, message: `no backup at ${file}` };
  let key: string;
  const probe = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const check = probe.pragma('integrity_check', { simple: true });
    if (check !== 'ok') return { ok: false, message: `${file} failed its integrity check: ${String(check)}` };
    const hasKey = probe.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(KEY_TABLE) !== undefined;
    const hasSchema = probe.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get() !== undefined;
    if (!hasKey || !hasSchema) return { ok: false, message: `${file} is not a Linli backup (made by \`linli backup\`)` };
    const row = probe.prepare(`SELECT key FROM ${KEY_TABLE}`).get() as { key: string } | undefined;
    if (!row) return { ok: false, message: `${file} holds no credential key` };
    key = row.key;
  } catch (err) {
    return { ok: false, message: `${file} is not a readable SQLite database: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    probe.close();
  }

  mkdirSync(dirname(dbPath), { recursive: true });
  if (existsSync(dbPath)) {
    const live = new Database(dbPath, { fileMustExist: true });
    let mode: unknown;
    try {
      live.pragma('busy_timeout = 0');
      // Leaving WAL mode needs the only connection to the file: a running gateway holds two, so this fails then.
      mode = live.pragma('journal_mode = DELETE', { simple: true });
    } catch {
      mode = 'busy';
    }
    if (mode !== 'delete') {
      live.close();
      return { ok: false, message: `${dbPath} is in use: stop the gateway before restoring` };
    }
    live.close();
  }

  const tmp = `${dbPath}.${process.pid}.restoring`;
  const staged = new Database(file, { readonly: true, fileMustExist: true });
  try {
    staged.exec(`VACUUM INTO '${tmp.replaceAll("'", "''")}'`);
  } finally {
    staged.close();
  }
  const out = new Database(tmp);
  try {
    out.exec(`DROP TABLE ${KEY_TABLE}`);
    // The backup reuses sequence numbers the hub already holds: the next start replicates under a new generation.
    forgetReplicationGeneration(out);
    out.pragma('journal_mode = WAL');
  } finally {
    out.close();
  }
  chmodSync(tmp, 0o600);
  if (existsSync(dbPath)) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    renameSync(dbPath, `${dbPath}.before-restore-${stamp}`);
  }
  for (const suffix of ['-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
  renameSync(tmp, dbPath);

  if (opts.keyFromEnv) return { ok: true, keyFile: null };
  const keyFile = join(dirname(dbPath), CREDENTIAL_KEY_FILE);
  const keyTmp = `${keyFile}.${process.pid}.tmp`;
  writeFileSync(keyTmp, `${key}\n`, { mode: 0o600 });
  renameSync(keyTmp, keyFile);
  return { ok: true, keyFile };
}

/** `linli-<UTC time>.db` files in `dir` beyond the newest `keep` are deleted; returns the names deleted. */
export function pruneBackups(dir: string, keep: number): string[] {
  const ours = readdirSync(dir)
    .filter((n) => /^linli-\d{8}T\d{6}Z\.db$/.test(n))
    .sort()
    .reverse();
  const old = ours.slice(keep);
  for (const n of old) unlinkSync(join(dir, n));
  return old;
}

export function scheduledBackupName(now: Date): string {
  return `linli-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.db`;
}

/** The newest scheduled backup's time, or null when there is none. */
export function newestBackupTime(dir: string): Date | null {
  if (!existsSync(dir)) return null;
  const newest = readdirSync(dir)
    .filter((n) => /^linli-\d{8}T\d{6}Z\.db$/.test(n))
    .sort()
    .at(-1);
  if (!newest) return null;
  const m = /^linli-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.db$/.exec(basename(newest));
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : null;
}
