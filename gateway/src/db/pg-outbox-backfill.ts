import type pg from 'pg';
import { z } from 'zod';
import { BACKFILL_DOOR_LOOKBACK_MS } from './outbox-backfill';
import { inPgTransaction } from './pg-tx';

const PRESSES = `
INSERT INTO "AlertOutbox" ("eventSeq", "deviceId", priority, "createdAt")
SELECT e.seq, e."deviceId", 1, $1 FROM "DeviceEvent" e
 WHERE e.channel = 'alarm/press'
   AND NOT EXISTS (SELECT 1 FROM "Alert" a WHERE a."dedupKey" = 'alarm_press:' || e."deviceId"
                     AND a."firstAt" <= e."receivedAt" AND a."lastAt" >= e."receivedAt")
   AND NOT EXISTS (SELECT 1 FROM "AlertHistory" h WHERE h.source = e."deviceId" || ':' || e."eventId")
 ORDER BY e.seq
ON CONFLICT DO NOTHING`;

/** Openings of the last day that no forced-entry alert of their door spans (5 s of slack); their payloads are judged below. */
const OPENINGS = `
SELECT e.seq, e."deviceId", e.payload FROM "DeviceEvent" e
 WHERE e.channel IN ('door/state', 'barrier/state') AND e."receivedAt" >= $1
   AND NOT EXISTS (SELECT 1 FROM "Alert" a WHERE a."dedupKey" = 'forced_entry:' || e."deviceId"
                     AND a."firstAt" <= e."receivedAt" + interval '5 seconds' AND a."lastAt" >= e."receivedAt")
 ORDER BY e.seq`;

const ENTRIES = `
INSERT INTO "AlertOutbox" ("eventSeq", "deviceId", priority, "createdAt")
SELECT seq, "deviceId", 1, $3 FROM unnest($1::int[], $2::text[]) WITH ORDINALITY AS t(seq, "deviceId", ord) ORDER BY ord
ON CONFLICT DO NOTHING`;

const Opening = z.object({ seq: z.number(), deviceId: z.string(), payload: z.string() });
const EXPLAINED = new Set(['exit_button', 'key', 'manual']);

/** What SQLite's json_valid/json_extract test says of an opening's payload: opened, and not by the door's own means. */
export function unexplainedOpening(payload: string): boolean {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return false;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const state: unknown = 'state' in json ? json.state : undefined;
  const cause: unknown = 'cause' in json && json.cause !== null ? json.cause : 'unknown';
  return (state === 'open' || state === 'raised') && !(typeof cause === 'string' && EXPLAINED.has(cause));
}

/**
 * backfillAlertOutbox (db/outbox-backfill.ts, which says what is owed) on PostgreSQL, in one transaction: the presses
 * in SQL; the openings' payloads judged here (PostgreSQL 15 has no test for valid JSON that does not raise), their
 * entries added by one array insert. Returns the entries added.
 */
export async function backfillAlertOutboxPg(pool: pg.Pool, now: Date = new Date()): Promise<number> {
  return inPgTransaction(pool, async (client) => {
    const presses = await client.query(PRESSES, [now]);
    const since = new Date(now.getTime() - BACKFILL_DOOR_LOOKBACK_MS);
    const openings = (await client.query(OPENINGS, [since])).rows.map((r) => Opening.parse(r)).filter((o) => unexplainedOpening(o.payload));
    const added = openings.length === 0 ? 0 : ((await client.query(ENTRIES, [openings.map((o) => o.seq), openings.map((o) => o.deviceId), now])).rowCount ?? 0);
    return (presses.rowCount ?? 0) + added;
  });
}
