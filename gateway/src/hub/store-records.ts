// The hub's inserts for the cells' records beside events, decisions and alerts (docs/scale-out.md): audit records, staff
// logins/logouts and device presence transitions. Each is one array insert (unnest) per batch with ON CONFLICT DO
// NOTHING on the key (compound, generation, seq), like the tables in store.ts.
import type { PoolClient } from 'pg';
import type { ReplicatedTable, ReplicationMessageOf } from '../contracts/replication';

/** A column of a replicated table: its name, its PostgreSQL array type, and its value in a message. */
type Column<T extends ReplicatedTable> = readonly [name: string, type: string, value: (m: ReplicationMessageOf<T>) => unknown];

/** The envelope's columns, first in every replicated table. */
const ENVELOPE = [
  ['compound', 'text', (m) => m.compound],
  ['generation', 'text', (m) => m.generation],
  ['seq', 'bigint', (m) => m.seq],
  ['prev_seq', 'bigint', (m) => m.prev],
] as const satisfies readonly Column<ReplicatedTable>[];

/** INSERT … SELECT * FROM unnest(…) ON CONFLICT DO NOTHING; returns the rows new to the hub. Names are constants here. */
async function insertUnnest<T extends ReplicatedTable>(client: PoolClient, table: string, columns: readonly Column<T>[], rows: ReplicationMessageOf<T>[]): Promise<number> {
  if (rows.length === 0) return 0;
  const all: readonly Column<T>[] = [...ENVELOPE, ...columns];
  const res = await client.query(
    `INSERT INTO ${table} (${all.map(([name]) => name).join(', ')})
     SELECT * FROM unnest(${all.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})
     ON CONFLICT (compound, generation, seq) DO NOTHING`,
    all.map(([, , value]) => rows.map(value)),
  );
  return res.rowCount ?? 0;
}

const AUDIT: readonly Column<'audit_log'>[] = [
  ['at', 'timestamptz', (m) => m.row.at],
  ['actor', 'text', (m) => m.row.actor],
  ['action', 'text', (m) => m.row.action],
  ['entity', 'text', (m) => m.row.entity],
  ['entity_id', 'text', (m) => m.row.entityId],
  ['detail', 'text', (m) => m.row.detail],
];

const SESSION: readonly Column<'session_event'>[] = [
  ['session_ref', 'text', (m) => m.row.sessionRef],
  ['kind', 'text', (m) => m.row.kind],
  ['at', 'timestamptz', (m) => m.row.at],
  ['user_id', 'text', (m) => m.row.userId],
  ['username', 'text', (m) => m.row.username],
  ['role', 'text', (m) => m.row.role],
];

const PRESENCE: readonly Column<'device_presence'>[] = [
  ['device_id', 'text', (m) => m.row.deviceId],
  ['online', 'boolean', (m) => m.row.online],
  ['at', 'timestamptz', (m) => m.row.at],
];

export const insertAuditLog = (client: PoolClient, rows: ReplicationMessageOf<'audit_log'>[]) => insertUnnest(client, 'audit_log', AUDIT, rows);
export const insertSessionEvents = (client: PoolClient, rows: ReplicationMessageOf<'session_event'>[]) => insertUnnest(client, 'session_event', SESSION, rows);
export const insertPresence = (client: PoolClient, rows: ReplicationMessageOf<'device_presence'>[]) => insertUnnest(client, 'device_presence', PRESENCE, rows);
