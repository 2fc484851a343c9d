import type Database from 'better-sqlite3';
import type { RawDb } from './client';
import type { ImportEngine, Work } from './import';
import type { Store } from './pg-client';
import { boundLockWaits, pgTransaction } from './pg-tx';

/*
 * The two engines an import's statements (db/import.ts) run on: the generator yields each statement and receives
 * its answer, so the same sequence is synchronous on SQLite and awaited on PostgreSQL.
 */

/**
 * SQLite: one synchronous BEGIN IMMEDIATE transaction on the raw connection, statements prepared once per import.
 * The generator runs to its end inside better-sqlite3's transaction: no other statement interleaves, no event-loop
 * time is spent waiting between statements. SQLITE_BUSY (busy_timeout=0) comes out for the caller to retry.
 */
export function sqliteImportEngine(raw: RawDb): ImportEngine {
  return (work) => {
    const statements = new Map<string, Database.Statement>();
    const prepared = (sql: string) => {
      let s = statements.get(sql);
      if (!s) statements.set(sql, (s = raw.prepare(sql)));
      return s;
    };
    const drive = raw.transaction((w: Work<number>) => {
      let step = w.next();
      while (!step.done) {
        const { mode, sql, args } = step.value;
        const s = prepared(sql);
        step = w.next(mode === 'get' ? s.get(...args) : mode === 'all' ? s.all(...args) : s.run(...args).changes);
      }
      return step.value;
    });
    return Promise.resolve(drive.immediate(work));
  };
}

/** `?` placeholders as PostgreSQL's $1, $2… (the import's statements have no `?` inside a literal). */
const numbered = (sql: string) => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};

/** Two imports never interleave (SQLite's BEGIN IMMEDIATE gives this by itself): a transaction-level advisory lock. */
const IMPORT_LOCK = 0x6c696e6c6949;

/**
 * PostgreSQL: one transaction on a pooled connection, serialized with other imports by an advisory lock, each lock
 * wait bounded by `lock_timeout` (a timeout comes out as 55P03 for the caller to retry). A Rollback (dry run, issues)
 * or any error rolls everything back.
 */
export function pgImportEngine(pool: Extract<Store, { kind: 'postgres' }>['pool'], lockTimeoutMs = 5_000): ImportEngine {
  return (work) =>
    pgTransaction(pool, async (c) => {
      await boundLockWaits(c, lockTimeoutMs);
      await c.query('SELECT pg_advisory_xact_lock($1)', [IMPORT_LOCK]);
      const texts = new Map<string, string>();
      let step = work.next();
      while (!step.done) {
        const { mode, sql, args } = step.value;
        let text = texts.get(sql);
        if (text === undefined) texts.set(sql, (text = numbered(sql)));
        const r = await c.query(text, args);
        step = work.next(mode === 'get' ? r.rows[0] : mode === 'all' ? r.rows : (r.rowCount ?? 0));
      }
      return { commit: true, value: step.value };
    });
}

/** The engine for the gateway's store. */
export const importEngine = (store: Store): ImportEngine => (store.kind === 'sqlite' ? sqliteImportEngine(store.raw) : pgImportEngine(store.pool));
