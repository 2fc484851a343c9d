// The retention floor of a replicating cell (docs/scale-out.md, docs/privacy.md): when the cell reports to a hub, the
// retention purge never deletes a row the hub has not confirmed committed in PostgreSQL. The cell's SQLite is the
// only copy of such a row until then, however long the WAN link stays down. SQL conditions for db/retention-steps.ts,
// written in the SQL SQLite and PostgreSQL share (quoted identifiers, coalesce, EXISTS): both engines use them as they are.

const confirmed = (stream: string) => `coalesce((SELECT "confirmedSeq" FROM "ReplicationCursor" WHERE "stream" = '${stream}'), 0)`;

/** True for rows the hub has not confirmed yet: the purge keeps them. */
export const UNCONFIRMED = {
  /** A device event after the hub's watermark (heartbeats after it are kept too; they are few and short-lived). */
  deviceEvent: `"seq" > ${confirmed('device_event')}`,
  /** An access decision still in the replication log (its row leaves the log when the hub confirms it). */
  accessEvent: `"id" IN (SELECT "rowId" FROM "ReplicationLog" WHERE "stream" = 'access_event')`,
  /** An alert with a change the hub has not confirmed (`alias`: how the query names the Alert table). */
  alert: (alias: string) =>
    `EXISTS (SELECT 1 FROM "AlertHistory" h WHERE h."alertId" = ${alias}."id" AND h."id" > ${confirmed('alert_change')})`,
  /** An audit record after the hub's watermark. (Sessions and presence changes leave in their log rows, not in rows retention deletes.) */
  auditLog: `"id" > ${confirmed('audit_log')}`,
} as const;
