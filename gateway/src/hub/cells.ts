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

export function createCellWatch(kv: KV, alerts: HubAlerts, settings: { offlineAfterMs: number; checkMs: number }, log: Logger) {
  const cells = new Map<string, CellState>();
  let open = new Set<string>();
  let running = false;
  let loop: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let wake: (() => void) | null = null;

  async function check(now: Date) {
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    for (const compound of keys) {
      const entry = await kv.get(compound);
      if (entry === null || entry.operation !== 'PUT') continue;
      let beat: CellBeat | null = null;
      try {
        const parsed = CellBeat.safeParse(JSON.parse(sc.decode(entry.value)));
        if (parsed.success) beat = parsed.data;
        else log.error({ compound, issues: parsed.error.issues }, 'hub: a cell renewed its liveness key with a value the hub cannot read');
      } catch {
        log.error({ compound }, 'hub: a cell renewed its liveness key with something that is not JSON');
      }
      const online = now.getTime() - entry.created.getTime() <= settings.offlineAfterMs;
      cells.set(compound, { compound, lastSeen: entry.created, online, beat });
      if (!online && !open.has(compound)) {
        if (await alerts.raiseOffline(compound, entry.created, now)) {
          log.warn({ compound, lastSeen: entry.created.toISOString() }, 'hub: compound gateway offline (小区网关离线), alert raised');
        }
        open.add(compound);
      } else if (online && open.has(compound)) {
        if (await alerts.clearOffline(compound, now)) log.info({ compound }, 'hub: compound gateway back online, offline alert cleared');
        open.delete(compound);
      }
    }
  }

  return {
    cells: (): CellState[] => [...cells.values()],
    openOffline: (): number => open.size,
    async start() {
      open = await alerts.openOffline();
      running = true;
      loop = (async () => {
        let failing = false;
        while (running) {
          try {
            await check(new Date());
            failing = false;
          } catch (err) {
            // PostgreSQL or JetStream unreachable: the state is computed again from scratch at the next check.
            if (!failing) log.warn({ err }, 'hub: checking the cells failed; retrying');
            failing = true;
            open = await alerts.openOffline().catch(() => open);
          }
          await new Promise<void>((resolve) => {
            wake = () => resolve();
            timer = setTimeout(resolve, settings.checkMs);
          });
        }
      })();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
