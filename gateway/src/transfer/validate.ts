import type { z } from 'zod';
import {
  COLUMNS,
  type ColumnSpec,
  DeviceImportRow,
  type ImportIssue,
  ResidentImportRow,
  type SheetKind,
} from '../contracts/api/transfer';
import type { Cell, RawSheet } from './read';

/** Where a value came from, for the report. */
export interface Where {
  sheet: string;
  row: number;
}

export interface ValidSheet {
  name: string;
  kind: SheetKind;
  rows: number;
  /** Keys of the columns the sheet has (a missing optional column leaves the data alone). */
  columns: Set<string>;
}

export interface Validated {
  sheets: ValidSheet[];
  residents: Array<ResidentImportRow & { at: Where }>;
  devices: Array<DeviceImportRow & { at: Where }>;
  issues: ImportIssue[];
  notes: string[];
}

/** Header text as compared: lower case, no spaces, no required-marks (*, （必填）). */
const norm = (h: string) => h.toLowerCase().replace(/[\s*＊_]|（[^）]*）|\([^)]*\)/gu, '');

function matchColumns(header: Cell[], specs: readonly ColumnSpec[]): Map<string, { index: number; header: string }> {
  const found = new Map<string, { index: number; header: string }>();
  header.forEach((cell, index) => {
    if (cell === undefined) return;
    const text = String(cell);
    const spec = specs.find((s) => s.headers.some((h) => norm(h) === norm(text)));
    if (spec && !found.has(spec.key)) found.set(spec.key, { index, header: text.trim() });
  });
  return found;
}

/** A sheet is a device sheet when it has a device-id column; a residents sheet when it has building, unit and room. */
function kindOf(header: Cell[]): SheetKind | null {
  if (matchColumns(header, COLUMNS.devices).has('deviceId')) return 'devices';
  const r = matchColumns(header, COLUMNS.residents);
  return r.has('building') || r.has('room') || r.has('name') ? 'residents' : null;
}

function rowsOf<T extends object>(
  sheet: RawSheet,
  specs: readonly ColumnSpec[],
  schema: z.ZodType<T>,
  issues: ImportIssue[],
): { rows: Array<T & { at: Where }>; columns: Set<string>; ignored: string[] } {
  const [head, ...body] = sheet.rows;
  const rows: Array<T & { at: Where }> = [];
  if (!head) return { rows, columns: new Set(), ignored: [] };
  const cols = matchColumns(head.cells, specs);
  for (const s of specs) {
    if (s.required && !cols.has(s.key)) issues.push({ sheet: sheet.name, row: head.row, column: null, reason: `missing column ${s.headers[0]} (${s.headers[1]})` });
  }
  const used = new Set([...cols.values()].map((c) => c.index));
  const ignored = head.cells.flatMap((c, i) => (c !== undefined && !used.has(i) ? [String(c)] : []));
  if (specs.some((s) => s.required && !cols.has(s.key))) return { rows, columns: new Set(cols.keys()), ignored };
  const headerOf = new Map([...cols].map(([key, c]) => [key, c.header]));
  for (const r of body) {
    const input: Record<string, Cell> = {};
    for (const [key, c] of cols) {
      const v = r.cells[c.index];
      if (v !== undefined) input[key] = v;
    }
    const parsed = schema.safeParse(input);
    if (parsed.success) {
      rows.push({ ...parsed.data, at: { sheet: sheet.name, row: r.row } });
      continue;
    }
    for (const issue of parsed.error.issues) {
      const key = typeof issue.path[0] === 'string' ? issue.path[0] : null;
      const missing = key !== null && input[key] === undefined && issue.code === 'invalid_type';
      issues.push({
        sheet: sheet.name,
        row: r.row,
        column: key === null ? null : (headerOf.get(key) ?? key),
        reason: missing ? `${key}: required` : issue.message,
      });
    }
  }
  return { rows, columns: new Set(cols.keys()), ignored };
}

/**
 * Every sheet against its row schema (contracts/api/transfer.ts), then the file against itself: one card, plate,
 * device or resident must not appear twice. Problems with the database (a card held in another compound, a device of
 * another kind) are found by the import itself (db/import.ts), inside the transaction it rolls back.
 */
export function validateSheets(sheets: RawSheet[]): Validated {
  const out: Validated = { sheets: [], residents: [], devices: [], issues: [], notes: [] };
  for (const sheet of sheets) {
    const head = sheet.rows[0];
    if (!head) continue;
    const kind = kindOf(head.cells);
    if (kind === null) {
      out.notes.push(`sheet ${sheet.name} skipped: its first row names no known column (see the template)`);
      continue;
    }
    const specs = COLUMNS[kind];
    if (kind === 'residents') {
      const r = rowsOf(sheet, specs, ResidentImportRow, out.issues);
      out.residents.push(...r.rows);
      out.sheets.push({ name: sheet.name, kind, rows: sheet.rows.length - 1, columns: r.columns });
      if (r.ignored.length) out.notes.push(`sheet ${sheet.name}: columns not imported: ${r.ignored.join(', ')}`);
    } else {
      const r = rowsOf(sheet, specs, DeviceImportRow, out.issues);
      out.devices.push(...r.rows);
      out.sheets.push({ name: sheet.name, kind, rows: sheet.rows.length - 1, columns: r.columns });
      if (r.ignored.length) out.notes.push(`sheet ${sheet.name}: columns not imported: ${r.ignored.join(', ')}`);
    }
  }
  if (out.sheets.length === 0 && out.issues.length === 0) out.issues.push({ sheet: sheets[0]?.name ?? '', row: 1, column: null, reason: 'no sheet with known columns: use the template (楼栋/单元/房号/姓名… or 设备编号/设备类型…)' });
  duplicates(out);
  return out;
}

function duplicates(v: Validated): void {
  const seen = new Map<string, Where>();
  const once = (key: string, at: Where, column: string, what: string) => {
    const first = seen.get(key);
    if (first) v.issues.push({ sheet: at.sheet, row: at.row, column, reason: `${what} also on row ${first.row}${first.sheet !== at.sheet ? ` of ${first.sheet}` : ''}` });
    else seen.set(key, at);
  };
  for (const r of v.residents) {
    const hh = `${r.building}-${r.unit}-${r.room}`;
    if (r.name !== undefined) once(`res|${hh}|${r.name}`, r.at, 'name', `the same resident (${hh} ${r.name})`);
    for (const c of r.cards ?? []) once(`card|${c.toUpperCase()}`, r.at, 'cards', `card ****${c.slice(-4)}`);
    for (const p of r.plates ?? []) once(`plate|${p}`, r.at, 'plates', `plate ${p}`);
  }
  for (const d of v.devices) once(`dev|${d.deviceId}`, d.at, 'deviceId', `device ${d.deviceId}`);
  v.issues.sort((a, b) => (a.sheet === b.sheet ? a.row - b.row : 0));
}
