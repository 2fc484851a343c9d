import type { AlertType, ResponseTimeRow } from '../contracts/api/alerts';
import { zoneOffsetMin } from '../contracts/zone';

export interface ReportInput {
  type: AlertType;
  firstAt: Date;
  ackedAt: Date | null;
  clearedAt: Date | null;
  clearedBy: string | null;
}

/** Nearest-rank percentile of sorted values (the value a guard can point at, not an interpolation). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}

/** Calendar day in the compound's IANA time zone (Community.timezone). */
export function localDay(d: Date, timeZone = 'Asia/Shanghai'): string {
  return new Date(d.getTime() + zoneOffsetMin(timeZone, d) * 60_000).toISOString().slice(0, 10);
}

/**
 * Time to acknowledge and time to clear, p50 and p90, per day and per type (plus an `all` row per day). Clears
 * by the system (a lamp lit again) are not a response and are left out of the clear times.
 */
export function responseTimes(rows: readonly ReportInput[], timeZone = 'Asia/Shanghai'): ResponseTimeRow[] {
  const groups = new Map<string, { day: string; type: AlertType | 'all'; raised: number; ack: number[]; clear: number[] }>();
  const add = (day: string, type: AlertType | 'all', r: ReportInput) => {
    const key = `${day}|${type}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { day, type, raised: 0, ack: [], clear: [] }));
    g.raised++;
    if (r.ackedAt) g.ack.push((r.ackedAt.getTime() - r.firstAt.getTime()) / 1000);
    if (r.clearedAt && r.clearedBy !== null && r.clearedBy !== 'system') g.clear.push((r.clearedAt.getTime() - r.firstAt.getTime()) / 1000);
  };
  for (const r of rows) {
    const day = localDay(r.firstAt, timeZone);
    add(day, r.type, r);
    add(day, 'all', r);
  }
  const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
  return [...groups.values()]
    .sort((a, b) => (a.day === b.day ? (a.type === 'all' ? -1 : b.type === 'all' ? 1 : a.type.localeCompare(b.type)) : a.day.localeCompare(b.day)))
    .map((g) => {
      const ack = [...g.ack].sort((x, y) => x - y);
      const clear = [...g.clear].sort((x, y) => x - y);
      return {
        day: g.day,
        type: g.type,
        raised: g.raised,
        acknowledged: ack.length,
        ackP50Sec: round(percentile(ack, 50)),
        ackP90Sec: round(percentile(ack, 90)),
        cleared: clear.length,
        clearP50Sec: round(percentile(clear, 50)),
        clearP90Sec: round(percentile(clear, 90)),
      };
    });
}
