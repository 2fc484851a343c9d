// The hub's /metrics (docs/scale-out.md): rows written per table, each cell's committed watermark and when it last
// moved, each cell's liveness, its reported replication lag and backlog, and the open offline alerts. Labelled by
// compound: one series per cell and table (400 compounds × 3 tables stays well inside what Prometheus takes).
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ReplicatedTable } from '../contracts/replication';
import { EXPENSIVE_DEFAULT_METRICS } from '../metrics';
import type { CellState } from './cells';
import type { CommittedWatermark } from './store';

export function hubMetrics(sources: { cells: () => CellState[]; openOffline: () => number }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'linli_hub_' });
  // As on the cell (metrics/): these walk every handle at each scrape, and promtool refuses their _total gauges.
  for (const costly of EXPENSIVE_DEFAULT_METRICS) registry.removeSingleMetric(`linli_hub_${costly}`);
  const r = [registry];
  /** The newest generation's watermark per cell and table (an older generation stops moving once a cell is restored). */
  const latest = new Map<string, CommittedWatermark & { movedAt: Date }>();
  const rows = new Counter({ name: 'linli_hub_rows_committed_total', help: 'Replicated rows committed to PostgreSQL (redeliveries included)', labelNames: ['table'], registers: r });
  const inserted = new Counter({ name: 'linli_hub_rows_inserted_total', help: 'Replicated rows new to PostgreSQL', registers: r });
  new Gauge({ name: 'linli_hub_watermark_seq', help: "A cell's committed watermark (highest seq in PostgreSQL with no gap before it)", labelNames: ['compound', 'table'], registers: r,
    collect() { for (const w of latest.values()) this.set({ compound: w.compound, table: w.table }, w.seq); } });
  new Gauge({ name: 'linli_hub_watermark_timestamp_seconds', help: "When a cell's committed watermark last moved", labelNames: ['compound', 'table'], registers: r,
    collect() { for (const w of latest.values()) this.set({ compound: w.compound, table: w.table }, w.movedAt.getTime() / 1000); } });
  new Gauge({ name: 'linli_hub_cell_online', help: 'The cell renewed its liveness key recently enough (1) or not (0)', labelNames: ['compound'], registers: r,
    collect() { for (const c of sources.cells()) this.set({ compound: c.compound }, c.online ? 1 : 0); } });
  new Gauge({ name: 'linli_hub_cell_last_seen_seconds', help: "Seconds since the cell's last liveness renewal", labelNames: ['compound'], registers: r,
    collect() { for (const c of sources.cells()) this.set({ compound: c.compound }, Math.max(0, (Date.now() - c.lastSeen.getTime()) / 1000)); } });
  new Gauge({ name: 'linli_hub_cell_lag_seconds', help: 'Replication lag the cell reported at its last renewal (age of its oldest row the hub has not confirmed)', labelNames: ['compound'], registers: r,
    collect() { for (const c of sources.cells()) if (c.beat) this.set({ compound: c.compound }, c.beat.lagSeconds); } });
  new Gauge({ name: 'linli_hub_cell_backlog_rows', help: 'Rows the cell reported not yet confirmed by the hub at its last renewal', labelNames: ['compound'], registers: r,
    collect() { for (const c of sources.cells()) if (c.beat) this.set({ compound: c.compound }, c.beat.backlogRows); } });
  const notifications = new Counter({ name: 'linli_hub_notifications_total', help: 'Webhook attempts of the hub chains by outcome (delivered, retry, failed: gave up)', labelNames: ['outcome'], registers: r });
  new Gauge({ name: 'linli_hub_offline_alerts_open', help: 'Open "compound gateway offline" alerts', registers: r,
    collect() { this.set(sources.openOffline()); } });

  return {
    registry,
    committed: (table: ReplicatedTable, n: number) => rows.inc({ table }, n),
    inserted: (n: number) => inserted.inc(n),
    notification: (outcome: 'delivered' | 'retry' | 'failed') => notifications.inc({ outcome }),
    watermarks(wms: CommittedWatermark[]) {
      for (const w of wms) {
        const key = `${w.compound}\u0000${w.table}`;
        const had = latest.get(key);
        if (had !== undefined && had.generation !== w.generation && had.committedAt > w.committedAt) continue;
        const moved = had === undefined || had.generation !== w.generation || had.seq !== w.seq;
        latest.set(key, { ...w, movedAt: moved ? w.committedAt : had.movedAt });
      }
    },
  };
}
