import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';

/** A cell as the import sees it: text or a number, or nothing. */
export type Cell = string | number | undefined;

export interface RawRow {
  /** 1-based, as the spreadsheet program numbers the row (CSV: the line the record starts on). */
  row: number;
  cells: Cell[];
}

export interface RawSheet {
  name: string;
  rows: RawRow[];
}

export type ReadResult = { ok: true; sheets: RawSheet[] } | { ok: false; reason: string };

/** A file larger than this many data rows is refused whole (a 4,000-household compound has ~12,000 residents). */
export const MAX_ROWS = 100_000;

export type FileFormat = 'csv' | 'xlsx';

/** By the name, and by the bytes when the name says nothing (XLSX is a zip: PK\x03\x04). */
export function formatOf(fileName: string, head: Buffer): FileFormat | null {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.xlsx')) return 'xlsx';
  if (lower.endsWith('.csv') || lower.endsWith('.txt')) return 'csv';
  if (head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return 'xlsx';
  return null;
}

/**
 * Excel on a Chinese Windows saves "CSV" in GBK, not UTF-8: a file that is not valid UTF-8 is read as GB18030 (a
 * superset of GBK). A UTF-8 byte-order mark is dropped.
 */
export function decodeText(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

const cellOf = (v: unknown): Cell => {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    // Rich text, hyperlinks and formulas (their cached result) as exceljs models them.
    if ('richText' in v && Array.isArray(v.richText)) return cellOf(v.richText.map((p: unknown) => (typeof p === 'object' && p !== null && 'text' in p ? String(p.text) : '')).join(''));
    if ('text' in v) return cellOf(v.text);
    if ('result' in v) return cellOf(v.result);
    if ('error' in v) return undefined;
  }
  return String(v);
};

const tooMany = { ok: false as const, reason: `more than ${MAX_ROWS} rows: split the file` };

async function readCsv(bytes: Buffer, name: string): Promise<ReadResult> {
  const rows: RawRow[] = [];
  const parser = Readable.from([decodeText(bytes)]).pipe(
    parse({ bom: true, relax_column_count: true, skip_empty_lines: true, trim: true, info: true, raw: true, delimiter: [',', '\t'] }),
  );
  try {
    for await (const rec of parser) {
      const r: unknown = rec;
      if (typeof r !== 'object' || r === null || !('record' in r) || !('info' in r) || !Array.isArray(r.record)) continue;
      const info: unknown = r.info;
      const end = typeof info === 'object' && info !== null && 'lines' in info && typeof info.lines === 'number' ? info.lines : rows.length + 1;
      // info.lines is the record's LAST line; a quoted cell may span lines. The row an office means is the first.
      const body = 'raw' in r && typeof r.raw === 'string' ? r.raw.replace(/\r?\n$/, '').replace(/^(\r?\n)+/, '') : '';
      const line = end - (body.match(/\n/g)?.length ?? 0);
      const cells = r.record.map(cellOf);
      if (cells.every((c) => c === undefined)) continue;
      rows.push({ row: line, cells });
      if (rows.length > MAX_ROWS) return tooMany;
    }
  } catch (err) {
    return { ok: false, reason: `not a readable CSV file: ${err instanceof Error ? err.message : String(err)}` };
  }
  return { ok: true, sheets: [{ name: name.replace(/\.[^.]*$/, '') || 'csv', rows }] };
}

async function readXlsx(bytes: Buffer): Promise<ReadResult> {
  const sheets: RawSheet[] = [];
  let total = 0;
  try {
    // The streaming reader: rows are handed over as they are inflated, the workbook model is never built.
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([bytes]), { sharedStrings: 'cache', worksheets: 'emit', styles: 'ignore', hyperlinks: 'ignore', entries: 'ignore' });
    for await (const ws of reader) {
      const rows: RawRow[] = [];
      for await (const row of ws) {
        const values: unknown = row.values;
        if (!Array.isArray(values)) continue;
        // exceljs rows are 1-based sparse arrays: index 0 is empty.
        const cells = Array.from({ length: Math.max(0, values.length - 1) }, (_, i) => cellOf(values[i + 1]));
        if (cells.every((c) => c === undefined)) continue;
        rows.push({ row: row.number, cells });
        if (++total > MAX_ROWS) return tooMany;
      }
      const wsName: unknown = 'name' in ws ? ws.name : undefined;
      sheets.push({ name: typeof wsName === 'string' ? wsName : `sheet${sheets.length + 1}`, rows });
    }
  } catch (err) {
    return { ok: false, reason: `not a readable XLSX file: ${err instanceof Error ? err.message : String(err)}` };
  }
  return { ok: true, sheets };
}

/** The rows of every sheet of a CSV or XLSX file, empty rows left out. */
export async function readSheets(fileName: string, bytes: Buffer): Promise<ReadResult> {
  const format = formatOf(fileName, bytes);
  if (format === null) return { ok: false, reason: 'not a CSV or XLSX file (.csv or .xlsx; old .xls: save as .xlsx first)' };
  return format === 'csv' ? readCsv(bytes, fileName) : readXlsx(bytes);
}
