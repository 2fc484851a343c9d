// The hub watches its cells (docs/scale-out.md): each cell renews its key in the KV bucket linli_cells; a key whose
// last renewal (NATS server time) is older than HUB_CELL_OFFLINE_AFTER_MS makes the cell offline, and the hub raises
// a critical "compound gateway offline" (小区网关离线) alert in PostgreSQL; the next renewal clears it. The open alerts
// are read from PostgreSQL at start, so a restarted hub neither raises a second one nor forgets to clear the first;
// several hub writers may watch at once (one open alert per compound and type, by a unique index).
import { type KV, StringCodec } from 'nats';
import type { Pool } from 'pg';
import { z } from 'zod';
import { CellBeat } from '../contracts/replication';
import type { Logger } from '../log';
import { every } from '../runtime/every';

const sc = StringCodec();
export const OFFLINE_TYPE = 'gateway_offline';
export const OFFLINE_TITLE = '小区网关离线';

export interface CellState {
  compound: string;
  /** NATS server time of the cell's last renewal. */
  lastSeen: Date;
  online: boolean;
  /** What the cell said in it (null: unreadable). */
  beat: CellBeat | null;
}

const OpenRow = z.object({ compound: z.string() });

export function hubAlerts(pool: Pool) {
  return {
    async openOffline(): Promise<Set<string>> {
      const res = await pool.query("SELECT compound FROM hub_alert WHERE type = $1 AND status = 'open'", [OFFLINE_TYPE]);
      return new Set(res.rows.map((r) => OpenRow.parse(r).compound));
    },
    /** Raises the cell's offline alert unless one is open; true when this call raised it. */
    async raiseOffline(compound: string, lastSeen: Date, now: Date): Promise<boolean> {
      const res = await pool.query(
        `INSERT INTO hub_alert (compound, id, type, severity, title, status, raised_at, last_seen_at)
         VALUES ($1, $2, $3, 'critical', $4, 'open', $5, $6)
         ON CONFLICT (compound, type) WHERE status = 'open' DO NOTHING`,
        [compound, `${OFFLINE_TYPE}-${now.getTime()}`, OFFLINE_TYPE, OFFLINE_TITLE, now, lastSeen],
      );
      return (res.rowCount ?? 0) > 0;
    },
    /** Clears the cell's open offline alert; true when there was one. */
    async clearOffline(compound: string, now: Date): Promise<boolean> {
      const res = await pool.query("UPDATE hub_alert SET status = 'cleared', cleared_at = $3 WHERE compound = $1 AND type = $2 AND status = 'open'", [compound, OFFLINE_TYPE, now]);
      return (res.rowCount ?? 0) > 0;
    },
  };
}
export type HubAlerts = ReturnType<typeof hubAlerts>;

/** A cell's last renewal as the watch saw it: the NATS server's time of the put, and what the cell said. */
interface Renewal {
  created: Date;
  beat: CellBeat | null;
}

function readBeat(compound: string, value: Uint8Array, log: Logger): CellBeat | null {
  try {
    const parsed = CellBeat.safeParse(JSON.parse(sc.decode(value)));
    if (parsed.success) return parsed.data;
    log.error({ compound, issues: parsed.error.issues }, 'hub: a cell renewed its liveness key with a value the hub cannot read');
  } catch {
    log.error({ compound }, 'hub: a cell renewed its liveness key with something that is not JSON');
  }
  return null;
}

/** The last renewal of each cell, kept current by one long-lived watch of the bucket (no request per check). */
function livenessWatch(kv: KV, log: Logger) {
  const seen = new Map<string, Renewal>();
  /** False while the watch is being (re-)established. */
  let watching = false;
  let running = false;
  let watcher: { stop(): void } | null = null;
  let loop: Promise<void> | null = null;

  async function watchLoop() {
    while (running) {
      try {
        // Forget what an earlier watch saw (it may be stale): a cell is judged again once its latest value arrives.
        seen.clear();
        const iter = await kv.watch({ key: '>' });
        watcher = iter;
        watching = true;
        for await (const e of iter) {
          if (e.operation === 'PUT') seen.set(e.key, { created: e.created, beat: readBeat(e.key, e.value, log) });
          else seen.delete(e.key);
        }
      } catch (err) {
        log.warn({ err }, 'hub: watching the cells\' liveness keys failed; watching again');
      }
      watching = false;
      if (running) await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  return {
    /** Null while the watch is being (re-)established: the renewals may be stale then. */
    renewals: (): ReadonlyMap<string, Renewal> | null => (watching ? seen : null),
    start() {
      running = true;
      loop = watchLoop();
    },
    async stop() {
      running = false;
      watcher?.stop();
      await loop;
    },
  };
}

export function createCellWatch(kv: KV, alerts: HubAlerts, settings: { offlineAfterMs: number; checkMs: number }, log: Logger) {
  const cells = new Map<string, CellState>();
  const watch = livenessWatch(kv, log);
  let open = new Set<string>();
  let loop: ReturnType<typeof every> | null = null;
  let failing = false;

  /** Judges every cell from the last renewals seen; writes to PostgreSQL only when a cell changes state. */
  async function check(now: Date) {
    // Without a working watch the renewals may be stale: judging then would call every cell offline.
    const seen = watch.renewals();
    if (seen === null) return;
    for (const [compound, s] of seen) {
      const online = now.getTime() - s.created.getTime() <= settings.offlineAfterMs;
      cells.set(compound, { compound, lastSeen: s.created, online, beat: s.beat });
      if (!online && !open.has(compound)) {
        if (await alerts.raiseOffline(compound, s.created, now)) {
          log.warn({ compound, lastSeen: s.created.toISOString() }, 'hub: compound gateway offline (小区网关离线), alert raised');
        }
        open.add(compound);
      } else if (online && open.has(compound)) {
        if (await alerts.clearOffline(compound, now)) log.info({ compound }, 'hub: compound gateway back online, offline alert cleared');
        open.delete(compound);
      }
    }
  }

  async function checkPass() {
    try {
      await check(new Date());
      failing = false;
    } catch (err) {
      // PostgreSQL unreachable: the open alerts are read again, and the next check retries the change.
      if (!failing) log.warn({ err }, 'hub: checking the cells failed; retrying');
      failing = true;
      open = await alerts.openOffline().catch(() => open);
    }
  }

  return {
    cells: (): CellState[] => [...cells.values()],
    openOffline: (): number => open.size,
    async start() {
      open = await alerts.openOffline();
      watch.start();
      loop = every(settings.checkMs, checkPass);
    },
    async stop() {
      await Promise.all([watch.stop(), loop?.stop()]);
    },
  };
}
