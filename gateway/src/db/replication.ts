// The cell's side of replication to the hub (gateway/src/replication/): committed rows of each replicated table read
// in seq order after a point (one repository per table: db/replication-tables.ts), the resend points
// (ReplicationCursor) that only the hub's committed watermark moves, and the database's generation. Every sequence is
// an AUTOINCREMENT key on a database with one writer at a time: a reader never sees seq n+1 committed before n, and a
// seq is never handed out twice (until a restore from a backup: the generation).
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type Generation, REPLICATED_TABLES, type ReplicatedTable, perTable } from '../contracts/replication';
import type { Db, RawDb } from './client';
import { LOGGED_TABLES, type RowTypes, type StoredRow, type TableSources, tableSources } from './replication-tables';
import { walSync } from './wal-sync';

const CursorRow = z.object({
  stream: z.string(),
  confirmedSeq: z.number().int(),
  confirmedAt: z.string().nullable(),
  generation: z.string().nullable(),
  baseSeq: z.number().int().nullable(),
});
const SqliteBusy = z.object({ code: z.enum(['SQLITE_BUSY', 'SQLITE_LOCKED']) });

/** What replication starts from: the database's generation and, per table, where its chain starts and stands. */
export interface ReplicationIdentity {
  generation: Generation;
  /** True when this start minted the generation (first start, or first start after `linli restore`). */
  minted: boolean;
  streams: Record<ReplicatedTable, { base: number; confirmed: number; confirmedAt: Date | null }>;
}

const mintGeneration = (): Generation => randomBytes(8).toString('hex');

/**
 * `linli restore` calls this on the restored copy: the next replication start mints a new generation, so the seqs the
 * backup reuses become new keys at the hub. A backup from before replication existed has nothing to clear.
 */
export function forgetReplicationGeneration(raw: RawDb): void {
  const columns = z.array(z.object({ name: z.string() })).parse(raw.prepare(`PRAGMA table_info("ReplicationCursor")`).all());
  if (!columns.some((c) => c.name === 'generation')) return;
  raw.prepare('UPDATE "ReplicationCursor" SET "generation" = NULL, "baseSeq" = NULL').run();
}

/**
 * One transaction: a cursor row for every table (rows committed before replication of a table began are entered in
 * its log first, oldest first, so nothing committed is left out), and the generation — kept when the rows have one,
 * minted when none has (first start, or after `linli restore`), each table's chain then starting at its confirmed seq.
 */
function identityTransaction(raw: RawDb, sources: TableSources) {
  const cursor = raw.prepare('SELECT stream, confirmedSeq, confirmedAt, generation, baseSeq FROM ReplicationCursor WHERE stream = ?');
  const allCursors = raw.prepare('SELECT stream, confirmedSeq, confirmedAt, generation, baseSeq FROM ReplicationCursor');
  const insertCursor = raw.prepare('INSERT INTO ReplicationCursor (stream, confirmedSeq) VALUES (?, 0)');
  return raw.transaction((): ReplicationIdentity => {
    const have = new Map(allCursors.all().map((r) => {
      const c = CursorRow.parse(r);
      return [c.stream, c] as const;
    }));
    for (const t of REPLICATED_TABLES) {
      if (have.has(t)) continue;
      sources[t].enterExisting();
      insertCursor.run(t);
    }
    const known = [...new Set([...have.values()].map((c) => c.generation).filter((g) => g !== null))];
    const minted = known.length !== 1;
    const generation = minted ? mintGeneration() : known[0]!;
    if (minted) raw.prepare('UPDATE ReplicationCursor SET generation = ?, baseSeq = confirmedSeq').run(generation);
    else raw.prepare('UPDATE ReplicationCursor SET generation = ?, baseSeq = confirmedSeq WHERE generation IS NULL').run(generation);
    const streams = perTable((t) => {
      const c = CursorRow.parse(cursor.get(t));
      return { base: c.baseSeq ?? 0, confirmed: c.confirmedSeq, confirmedAt: c.confirmedAt === null ? null : new Date(c.confirmedAt) };
    });
    return { generation, minted, streams };
  });
}

export function replicationRepo(db: Db) {
  const raw = db.raw;
  const sources = tableSources(raw);
  const cursor = raw.prepare('SELECT stream, confirmedSeq, confirmedAt, generation, baseSeq FROM ReplicationCursor WHERE stream = ?');
  const compounds = raw.prepare('SELECT id FROM Community WHERE active = 1 ORDER BY id');
  const identityTx = identityTransaction(raw, sources);

  return withDurableReads(walSync(db.path), {
    /** Ids of the compounds this cell serves (a cell normally serves exactly one). */
    activeCompounds(): string[] {
      return compounds.all().map((r) => z.object({ id: z.string() }).parse(r).id);
    },
    /** Up to `limit` committed rows of `table` after `seq`, oldest first (heartbeats left out). */
    rowsAfter<T extends ReplicatedTable>(table: T, seq: number, limit: number): StoredRow<RowTypes[T]>[] {
      const source: TableSources[T] = sources[table];
      return source.read(seq, limit);
    },
    /** Sets up the cursors and the generation (see identityTransaction); retried while another connection holds the lock. */
    async identity(): Promise<ReplicationIdentity> {
      for (let attempt = 0; ; attempt++) {
        try {
          return identityTx();
        } catch (err) {
          if (!SqliteBusy.safeParse(err).success || attempt >= 200) throw err;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    },
    /** The resend point of a stream: 0 before the hub has confirmed anything. */
    confirmed(stream: ReplicatedTable): { seq: number; at: Date | null } {
      const row = cursor.get(stream);
      if (row === undefined) return { seq: 0, at: null };
      const c = CursorRow.parse(row);
      return { seq: c.confirmedSeq, at: c.confirmedAt === null ? null : new Date(c.confirmedAt) };
    },
    /**
     * Moves the resend point forward to what the hub reported committed; never backwards (a stale watermark after a
     * hub restore changes nothing here). Log rows the hub now holds are deleted. Async: a locked database is retried
     * off the event loop by Prisma's adapter.
     */
    async confirm(stream: ReplicatedTable, seq: number, at: Date): Promise<void> {
      const iso = at.toISOString().replace('Z', '+00:00');
      await db.prisma.$executeRaw`UPDATE "ReplicationCursor" SET "confirmedSeq" = ${seq}, "confirmedAt" = ${iso}
        WHERE "stream" = ${stream} AND "confirmedSeq" < ${seq}`;
      if (LOGGED_TABLES.has(stream)) await db.prisma.$executeRaw`DELETE FROM "ReplicationLog" WHERE "stream" = ${stream} AND "seq" <= ${seq}`;
    },
    /** Rows after `seq` still to replicate (capped at a million), and when the oldest of them was committed. */
    backlog(table: ReplicatedTable, seq: number): { rows: number; oldestAt: Date | null } {
      return { rows: sources[table].count(seq), oldestAt: sources[table].oldestAt(seq) };
    },
  });
}
export type ReplicationRepo = ReturnType<typeof replicationRepo>;

/**
 * `durableRowsAfter`: the rows of `rowsAfter`, once they are on disk. Device events and access decisions commit with
 * synchronous=NORMAL and their WAL is synced just after (db/wal-sync.ts); another connection can read such a row in
 * between. A row that left for the hub must not vanish in a power cut (its seq would be handed out again to another
 * row), so the relay sends only what a sync started after the read has covered (docs/architecture.md, "One fsync
 * covers every commit before it").
 */
function withDurableReads<R extends { rowsAfter<T extends ReplicatedTable>(table: T, seq: number, limit: number): StoredRow<RowTypes[T]>[] }>(
  sync: () => Promise<void>,
  repo: R,
) {
  return {
    ...repo,
    async durableRowsAfter<T extends ReplicatedTable>(table: T, seq: number, limit: number): Promise<StoredRow<RowTypes[T]>[]> {
      const rows = repo.rowsAfter(table, seq, limit);
      if (rows.length > 0) await sync();
      return rows;
    },
  };
}
