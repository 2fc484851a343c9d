import type pg from 'pg';

/** `SET LOCAL lock_timeout`: a transaction's lock waits bounded (a longer wait fails with 55P03 for the caller to judge). */
export async function boundLockWaits(client: pg.PoolClient, ms: number): Promise<void> {
  await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(ms))}`);
}

/**
 * Runs `fn` in one transaction on a connection of the pool: committed when it says so, rolled back when it says
 * not to or throws. A connection whose rollback fails is dropped from the pool instead of being reused.
 */
export async function pgTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<{ commit: boolean; value: T }>): Promise<T> {
  const c = await pool.connect();
  let broken = false;
  try {
    await c.query('BEGIN');
    const r = await fn(c);
    await c.query(r.commit ? 'COMMIT' : 'ROLLBACK');
    return r.value;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => (broken = true));
    throw err;
  } finally {
    c.release(broken);
  }
}
