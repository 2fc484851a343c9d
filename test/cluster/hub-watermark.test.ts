// The hub's committed watermark (gateway/src/hub/store.ts, docs/scale-out.md): how far a cell generation's rows link
// up without a hole, on a fresh PostgreSQL 15 (never ANALYZEd, as a new hub or a compound's first minutes are). Rows
// arrive with gaps in their seq numbers (heartbeats are not replicated), out of order, across the walk's pages, and
// with a hole that a later resend fills; the watermark is what the rows in PostgreSQL show, never past a hole.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ReplicationMessage } from '../../gateway/src/contracts/replication';
import { chainPageSql, hubStore } from '../../gateway/src/hub/store';
import { type TestPg, startPg } from './pg';

const GEN = 'wmgen0000000001';
const at = new Date().toISOString();

/** A device event with its seq and the seq of the row before it in the cell's chain. */
const msg = (compound: string, seq: number, prev: number): ReplicationMessage => ({
  v: 2, compound, generation: GEN, base: 0, table: 'device_event', seq, prev,
  row: { deviceId: 'door-1', eventId: `e-${seq}`, channel: 'door/state', payload: '{}', deviceTime: at, receivedAt: at, reusedEventId: false },
});

/** A chain over the given seqs: each row names the one before it (the first names 0, the generation's base). */
const chain = (compound: string, seqs: number[]) => seqs.map((s, i) => msg(compound, s, i === 0 ? 0 : seqs[i - 1]!));

describe('the hub watermark on a fresh PostgreSQL (multi-process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'linli-hubwm-'));
  let db: TestPg | undefined;
  let store: ReturnType<typeof hubStore>;

  beforeAll(async () => {
    db = await startPg(dir);
    // Never analyzed for the whole file (autovacuum would analyze after a few thousand rows): the plan must not need it.
    await db.pool.query('ALTER TABLE device_event SET (autovacuum_enabled = false)');
    store = hubStore(db.pool);
  }, 300_000);
  afterAll(async () => {
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const committed = async (compound: string, batch: ReplicationMessage[]) => {
    const res = await store.commit(batch);
    return res.watermarks.find((w) => w.compound === compound)!.seq;
  };

  it('follows the links over gaps in the seq numbers and stops at a hole until the missing row comes', async () => {
    const rows = chain('wm-a', [1, 2, 4, 7, 8, 12, 13]);
    // 8 (naming 7) and 12 (naming 8) are late: 13 names 12, which is not here yet.
    expect(await committed('wm-a', [rows[0]!, rows[1]!, rows[2]!, rows[3]!, rows[6]!])).toBe(7);
    expect(await committed('wm-a', [rows[5]!])).toBe(7);
    expect(await committed('wm-a', [rows[4]!])).toBe(13);
    // A resend of what is there changes nothing.
    const again = await store.commit(rows);
    expect(again.inserted).toBe(0);
    expect(again.watermarks.find((w) => w.compound === 'wm-a')!.seq).toBe(13);
  });

  it('walks across pages: thousands of rows in one batch, and a hole far into them', async () => {
    const seqs = Array.from({ length: 2_500 }, (_, i) => 2 * i + 1);
    const rows = chain('wm-b', seqs);
    const hole = 1_700; // the row at index 1,700 (seq 3,401) is missing
    expect(await committed('wm-b', rows.filter((_, i) => i !== hole))).toBe(seqs[hole - 1]);
    expect(await committed('wm-b', [rows[hole]!])).toBe(seqs[seqs.length - 1]);
  });

  it('keeps each compound and generation apart', async () => {
    expect(await committed('wm-c', chain('wm-c', [5, 6]))).toBe(6);
    const rows = z.array(z.object({ compound: z.string(), seq: z.coerce.number() })).parse(
      (await db!.pool.query("SELECT compound, seq FROM cell_watermark WHERE generation = $1 AND tbl = 'device_event' ORDER BY compound", [GEN])).rows,
    );
    expect(rows).toEqual([{ compound: 'wm-a', seq: 13 }, { compound: 'wm-b', seq: 4_999 }, { compound: 'wm-c', seq: 6 }]);
  });

  it("reads the rows after the watermark through the primary key, whatever PostgreSQL's statistics say", async () => {
    const plan = z.array(z.object({ 'QUERY PLAN': z.string() })).parse(
      (await db!.pool.query(`EXPLAIN ${chainPageSql('device_event')}`, ['wm-b', GEN, 10])).rows,
    ).map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Index (Only )?Scan using device_event_pkey/);
    const analyzed = z.array(z.object({ n: z.coerce.number() })).parse(
      (await db!.pool.query("SELECT count(*) AS n FROM pg_stat_user_tables WHERE relname = 'device_event' AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)")).rows,
    );
    expect(analyzed[0]!.n).toBe(0);
  });
});
