import type pg from 'pg';
import type { AccessWrite, AccessWriteResult } from './access-rows';
import type { GroupCommit, GroupCommitOptions } from './group-commit';
import { WRITER_LOCK_TIMEOUT_MS, createPgGroupCommit } from './pg-group-commit';
import { boundLockWaits, pgTransaction } from './pg-tx';

const COLUMNS = ['id', 'deviceId', 'requestId', 'at', 'receivedAt', 'direction', 'credentialType', 'decision', 'reason', 'residentId', 'passId', 'householdId', 'offline'] as const;
const TYPES: Record<(typeof COLUMNS)[number], string> = {
  id: 'text',
  deviceId: 'text',
  requestId: 'text',
  at: 'timestamptz',
  receivedAt: 'timestamptz',
  direction: 'text',
  credentialType: 'text',
  decision: 'text',
  reason: 'text',
  residentId: 'text',
  passId: 'text',
  householdId: 'text',
  offline: 'boolean',
};

const quoted = COLUMNS.map((c) => `"${c}"`).join(', ');
/** The batch's decisions in one array insert, in batch order; a decision stored before is skipped, not an error. */
const INSERT = `INSERT INTO "AccessEvent" (${quoted})
  SELECT ${quoted} FROM unnest(${COLUMNS.map((c, i) => `$${i + 1}::${TYPES[c]}[]`).join(', ')}) WITH ORDINALITY AS t(${quoted}, ord) ORDER BY ord
  ON CONFLICT DO NOTHING RETURNING id`;
/** The entries the batch's stored grants use, one per grant, passes in id order (a fixed lock order). */
const COUNT = `UPDATE "VisitorPass" v SET "entriesUsed" = v."entriesUsed" + c.n
                 FROM (SELECT id, count(*)::int AS n FROM unnest($1::text[]) AS u(id) GROUP BY id ORDER BY id) c WHERE v.id = c.id`;

async function commitBatch(client: pg.PoolClient, batch: AccessWrite[]): Promise<AccessWriteResult[]> {
  await boundLockWaits(client, WRITER_LOCK_TIMEOUT_MS);
  // The first of a (deviceId, requestId) in the batch is the one offered; a later one is its retransmission.
  const offered = new Set<string>();
  const firsts = batch.filter((w) => {
    const key = `${w.row.deviceId}\n${w.row.requestId}`;
    if (offered.has(key)) return false;
    offered.add(key);
    return true;
  });
  const inserted = await client.query<{ id: string }>({ name: 'linli-access-insert', text: INSERT, values: COLUMNS.map((c) => firsts.map((w) => w.row[c])) });
  const stored = new Set(inserted.rows.map((r) => r.id));
  const passes = firsts.flatMap((w) => (stored.has(w.row.id) && w.countEntry && w.row.passId !== null ? [w.row.passId] : []));
  if (passes.length > 0) await client.query({ name: 'linli-access-count', text: COUNT, values: [passes] });
  const offeredOnce = new Set<AccessWrite>(firsts);
  return batch.map((w) => (offeredOnce.has(w) && stored.has(w.row.id) ? 'stored' : 'duplicate'));
}

/**
 * Access events on PostgreSQL (db/access.ts has the contract): the pool's connections, one transaction per batch —
 * the decisions' array insert and the visitor passes' used entries — durable when PostgreSQL's COMMIT returns. The
 * SQLite writer's own connection and off-loop fsync have no counterpart here: the server does the fsync, the event
 * loop only waits for its answer.
 */
export function createPgAccessEventWriter(pool: pg.Pool, opts: GroupCommitOptions): GroupCommit<AccessWrite, AccessWriteResult> & { close(): void } {
  const writes = createPgGroupCommit((batch: AccessWrite[]) => pgTransaction(pool, async (client) => ({ commit: true, value: await commitBatch(client, batch) })), opts);
  // The pool is the store's: closing the store closes it.
  return { ...writes, close: () => undefined };
}
