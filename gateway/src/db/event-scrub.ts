import { lookupHash } from '../auth/hash';
import { z } from 'zod';
import { AccessRequest } from '../contracts/payloads';
import type pg from 'pg';
import type { RawDb } from './client';
import type { Store } from './pg-client';
import { pgTransaction } from './pg-tx';

const CHANNEL = 'access/request';
const Row = z.object({ seq: z.number(), payload: z.string() });

/**
 * An access request as it is stored: the credential's value replaced by its keyed hash — the same HMAC the door
 * decision looks it up by (Credential.lookupHash), so the audit trail still says which credential was presented,
 * at which door and when, without keeping a card number, PIN, pass code or face reference in clear.
 * Plates stay as read: they are not secret and are looked up in clear.
 */
export function storedAccessRequest(key: string, req: AccessRequest): string {
  const { credential, ...rest } = req;
  const stored = credential.type === 'plate'
    ? { type: credential.type, plate: credential.value }
    : { type: credential.type, valueHash: lookupHash(key, credential.type, credential.value) };
  return JSON.stringify({ ...rest, credential: stored });
}

/**
 * One-off rewrite of rows stored before values were hashed (data migration, run at start, idempotent): every
 * access request whose credential still has a `value` gets the stored form. Rows that do not parse as an access
 * request keep their shape but lose any `credential.value`. Runs in batches so a large history never holds the
 * write lock for long. Returns the number of rows rewritten.
 */
export function rewriteStoredAccessRequests(store: Store, key: string, batch = 1_000): Promise<number> {
  return store.kind === 'sqlite' ? Promise.resolve(rewriteStoredAccessRequestsSqlite(store.raw, key, batch)) : rewriteStoredAccessRequestsPg(store.pool, key, batch);
}

/** rewriteStoredAccessRequests on SQLite's raw connection, synchronous (a transaction per batch). */
export function rewriteStoredAccessRequestsSqlite(raw: RawDb, key: string, batch = 1_000): number {
  const pick = raw.prepare(
    `SELECT seq, payload FROM DeviceEvent WHERE channel = ? AND seq > ? AND payload LIKE '%"value"%' ORDER BY seq LIMIT ?`,
  );
  const update = raw.prepare('UPDATE DeviceEvent SET payload = ? WHERE seq = ?');
  let after = 0;
  let rewritten = 0;
  for (;;) {
    const rows = pick.all(CHANNEL, after, batch).map((r) => Row.parse(r));
    if (rows.length === 0) return rewritten;
    raw.transaction(() => {
      for (const r of rows) {
        const next = scrubRow(key, r.payload);
        if (next !== null) {
          update.run(next, r.seq);
          rewritten++;
        }
      }
    })();
    after = rows[rows.length - 1]!.seq;
  }
}

/** rewriteStoredAccessRequests on PostgreSQL: the same batches, each rewritten in one statement from arrays. */
async function rewriteStoredAccessRequestsPg(pool: pg.Pool, key: string, batch: number): Promise<number> {
  let after = 0;
  let rewritten = 0;
  for (;;) {
    const picked = await pool.query(
      `SELECT "seq", "payload" FROM "DeviceEvent" WHERE "channel" = $1 AND "seq" > $2 AND "payload" LIKE '%"value"%' ORDER BY "seq" LIMIT $3`,
      [CHANNEL, after, batch],
    );
    const rows = picked.rows.map((r) => Row.parse(r));
    if (rows.length === 0) return rewritten;
    const changed = rows.flatMap((r) => {
      const next = scrubRow(key, r.payload);
      return next === null ? [] : [{ seq: r.seq, payload: next }];
    });
    if (changed.length > 0) {
      await pgTransaction(pool, async (c) => {
        await c.query('UPDATE "DeviceEvent" e SET "payload" = u.payload FROM unnest($1::int[], $2::text[]) AS u(seq, payload) WHERE e."seq" = u.seq', [
          changed.map((r) => r.seq),
          changed.map((r) => r.payload),
        ]);
        return { commit: true, value: undefined };
      });
      rewritten += changed.length;
    }
    after = rows[rows.length - 1]!.seq;
  }
}

function scrubRow(key: string, payload: string): string | null {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return null;
  }
  const parsed = AccessRequest.safeParse(json);
  if (parsed.success) return storedAccessRequest(key, parsed.data);
  if (typeof json === 'object' && json !== null && 'credential' in json && typeof json.credential === 'object' && json.credential !== null && 'value' in json.credential) {
    const { value: _dropped, ...credential } = json.credential;
    return JSON.stringify({ ...json, credential });
  }
  return null;
}
