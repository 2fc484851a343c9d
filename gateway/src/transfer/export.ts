import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import type { ExportFormat, ExportKind, ExportQuery } from '../contracts/api/transfer';
import { type ExportSource, communityZone, exportSource } from '../db/export';
import type { Store } from '../db/pg-client';
import { AppError } from '../errors';

/** Headers as the office reads them: Chinese, then the column key. */
const HEADERS: Record<string, string> = {
  at: '时间 at', deviceId: '设备编号 deviceId', deviceName: '设备名称 deviceName', direction: '方向 direction', credentialType: '凭证 credential',
  decision: '结果 decision', reason: '原因 reason', household: '住户 household', resident: '居民 resident', passId: '访客通行证 passId',
  offline: '离线判定 offline', receivedAt: '接收时间 receivedAt', alertId: '告警编号 alertId', type: '类型 type', severity: '级别 severity',
  status: '状态 status', place: '位置 place', firstAt: '首次发生 firstAt', clearedAt: '清除时间 clearedAt', historyAt: '处置时间 historyAt',
  action: '动作 action', actor: '操作人 actor', note: '备注 note', entity: '对象 entity', entityId: '对象编号 entityId', detail: '详情 detail',
};

/** Longest range one export may cover. */
const MAX_DAYS = 366;

/** UTC offset of `zone` at `instant`, in milliseconds (Intl knows the zone's rules, daylight saving included). */
function offsetMs(zone: string, instant: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(instant));
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second')) - Math.floor(instant / 1000) * 1000;
}

/** Midnight starting `date` (YYYY-MM-DD) in `zone`, as an instant. */
export function zoneMidnight(date: string, zone: string): Date {
  const [y, m, d] = date.split('-').map(Number);
  const guess = Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1);
  const first = guess - offsetMs(zone, guess);
  return new Date(guess - offsetMs(zone, first));
}

/**
 * `YYYY-MM-DD HH:mm:ss` in the zone: what a person in the guard room reads. The zone's offset is looked up once per
 * UTC hour (zones change offset only on hour boundaries in practice), not per row: Intl formatting costs microseconds,
 * and an export formats hundreds of thousands of times.
 */
export function localTimeFormatter(zone: string): (iso: unknown) => string | null {
  const offsets = new Map<number, number>();
  return (iso) => {
    if (typeof iso !== 'string') return null;
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return null;
    const hour = Math.floor(ms / 3_600_000);
    let offset = offsets.get(hour);
    if (offset === undefined) {
      offset = offsetMs(zone, ms);
      offsets.set(hour, offset);
    }
    return new Date(ms + offset).toISOString().slice(0, 19).replace('T', ' ');
  };
}

/**
 * A cell that a spreadsheet program would run as a formula (=, +, -, @, tab, CR at the start) gets a leading
 * apostrophe in CSV: names and notes are typed by people (OWASP "CSV injection"). XLSX cells are written as text.
 */
const defuse = (v: unknown) => (typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v);

export interface ExportPlan {
  kind: ExportKind;
  format: ExportFormat;
  fileName: string;
  source: ExportSource;
  timezone: string;
}

/** Resolves the compound, its time zone and the range; throws a 400/404 the route answers. */
export async function planExport(store: Store, kind: ExportKind, q: ExportQuery): Promise<ExportPlan> {
  const zone = await communityZone(store, q.communityId);
  if (zone === 'ambiguous') throw new AppError('VALIDATION', 'this gateway runs several compounds: give communityId');
  if (zone === null) throw new AppError('NOT_FOUND', q.communityId === undefined ? 'no compound yet' : `no compound ${q.communityId}`);
  const real = (d: string) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);
  if (!real(q.from) || !real(q.to)) throw new AppError('VALIDATION', 'from/to: real dates YYYY-MM-DD');
  const from = zoneMidnight(q.from, zone.timezone);
  // The day after `to`, at midnight: `to` is included whole.
  const to = zoneMidnight(new Date(Date.parse(`${q.to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10), zone.timezone);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new AppError('VALIDATION', 'from/to: real dates YYYY-MM-DD');
  if (to.getTime() - from.getTime() > MAX_DAYS * 86_400_000) throw new AppError('VALIDATION', `at most ${MAX_DAYS} days per export`);
  return {
    kind,
    format: q.format,
    fileName: `linli-${kind}-${q.from}_${q.to}.${q.format}`,
    source: exportSource(store, kind, { from, to, communityId: zone.id }),
    timezone: zone.timezone,
  };
}

/**
 * Bytes of sheet XML waiting for the zip compressor. exceljs's WorkbookWriter hands each row's XML to archiver without
 * waiting (its StreamBuf never says "full"), so when deflate is slower than the rows come, they pile up in the entry
 * stream's buffer: 400,000 rows grew the process by ~200 MB before this check. exceljs exposes no signal for it; this
 * reads the piped entry stream's buffered length through the sheet's (long-stable) `stream.pipes`, and answers 0
 * if that shape ever changes — the export then still works, just without this bound.
 */
function zipLag(sheet: unknown): number {
  const stream: unknown = typeof sheet === 'object' && sheet !== null && 'stream' in sheet ? sheet.stream : null;
  const pipes: unknown = typeof stream === 'object' && stream !== null && 'pipes' in stream ? stream.pipes : null;
  if (!Array.isArray(pipes)) return 0;
  // archiver's entry stream is a readable-stream 2 PassThrough: no `writableLength` getter, its state holds the count.
  const buffered = (p: unknown): number => {
    if (typeof p !== 'object' || p === null) return 0;
    if ('writableLength' in p && typeof p.writableLength === 'number') return p.writableLength;
    const state: unknown = '_writableState' in p ? p._writableState : null;
    return typeof state === 'object' && state !== null && 'length' in state && typeof state.length === 'number' ? state.length : 0;
  };
  return pipes.reduce((n: number, p: unknown) => n + buffered(p), 0);
}

const ZIP_LAG_MAX = 4 * 1024 * 1024;

/** Waits until `out` wants more; throws when it went away (client gone), which ends the query. */
async function drained(out: Writable): Promise<void> {
  if (out.writableNeedDrain && !out.destroyed) {
    await new Promise<void>((resolve) => {
      const done = () => {
        out.off('drain', done);
        out.off('close', done);
        resolve();
      };
      out.on('drain', done);
      out.on('close', done);
    });
  }
  if (out.destroyed) throw new Error('the reader went away');
}

/**
 * Streams the rows into `out` as CSV (UTF-8 with a BOM, so Excel reads the Chinese) or XLSX (exceljs's streaming
 * WorkbookWriter: each row is committed to the zip as it is written, nothing is kept). Waits for `out` to drain, so
 * a slow client slows the query instead of filling memory. Returns the number of data rows.
 */
export async function writeExport(plan: ExportPlan, out: Writable): Promise<number> {
  const { columns, timeColumns, chunks } = plan.source;
  const local = localTimeFormatter(plan.timezone);
  const timeAt = columns.flatMap((c, i) => (timeColumns.has(c) ? [i] : []));
  const header = columns.map((c) => HEADERS[c] ?? c);
  const shape = (row: unknown[]) => {
    for (const i of timeAt) row[i] = local(row[i]);
    return row;
  };
  let rows = 0;
  if (plan.format === 'csv') {
    const finished = once(out, 'finish');
    // A chunk at a time through the synchronous stringifier: one write per 2,000 rows, not per row.
    out.write(stringify([header], { bom: true }));
    for await (const chunk of chunks) {
      out.write(stringify(chunk.map((row) => shape(row).map(defuse))));
      rows += chunk.length;
      await drained(out);
    }
    out.end();
    await finished;
    return rows;
  }
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: false });
  const ws = wb.addWorksheet(plan.kind);
  ws.addRow([...header, `时区 ${plan.timezone}`]).commit();
  for await (const chunk of chunks) {
    for (const row of chunk) {
      ws.addRow(shape(row)).commit();
      rows++;
    }
    await drained(out);
    // Let the compressor catch up (it runs on libuv's pool; a timer turn gives it the loop).
    for (let waits = 0; zipLag(ws) > ZIP_LAG_MAX && !out.destroyed && waits < 2_000; waits++) await new Promise((r) => setTimeout(r, 5));
  }
  ws.commit();
  await wb.commit();
  return rows;
}
