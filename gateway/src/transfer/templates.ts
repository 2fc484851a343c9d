import { PassThrough } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { COLUMNS, type SheetKind } from '../contracts/api/transfer';

/** One example row per sheet kind, in the words an office uses. */
const EXAMPLES: Record<SheetKind, string[][]> = {
  residents: [
    ['3', '2', '501', '王小明', '13812345678', '户主', '陕A12345', '3021457789', '党员'],
    ['3', '2', '501', '李秀英', '13912345678', '配偶', '', '', ''],
    ['3', '2', '502', '张桂兰', '13712345678', '户主', '', '3021450001', '独居老人'],
    ['3', '2', '601', '', '', '', '', '', '空置'],
  ],
  devices: [
    ['gate-main', '人脸门禁', '小区大门', '大门', '', '', '', '', ''],
    ['door-b03-u2', '人脸门禁', '3号楼2单元门', '单元门', '3', '2', '', '', ''],
    ['alarm-3-2-502', '室内报警', '3-2-502 一键报警', '住户', '3', '2', '502', '', ''],
  ],
};

const SHEET_NAMES: Record<SheetKind, string> = { residents: '住户', devices: '设备' };

/**
 * The import templates, generated from the column specs in contracts/api/transfer.ts (so they cannot drift from
 * what the import reads): the header row, example rows to overwrite, and (XLSX) a second sheet explaining each column.
 */
export async function template(kind: SheetKind, format: 'csv' | 'xlsx'): Promise<Buffer> {
  const specs = COLUMNS[kind];
  const header = specs.map((s) => s.headers[0]);
  if (format === 'csv') return Buffer.from(stringify([header, ...EXAMPLES[kind]], { bom: true }));
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (b: Buffer) => parts.push(b));
  const done = new Promise((resolve) => out.on('end', resolve));
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: true });
  const ws = wb.addWorksheet(SHEET_NAMES[kind], { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = specs.map((s) => ({ header: s.headers[0], key: s.key, width: Math.max(10, s.headers[0].length * 3) }));
  // Text cells: Excel must not turn a card number into 3.02E+09 or drop a room's leading zero.
  for (const [i] of specs.entries()) ws.getColumn(i + 1).numFmt = '@';
  ws.getRow(1).font = { bold: true };
  ws.getRow(1).commit();
  for (const r of EXAMPLES[kind]) ws.addRow(r).commit();
  ws.commit();
  const notes = wb.addWorksheet('说明 notes');
  notes.addRow(['列 column', 'English', '必填 required', '其他可用表头 other headers', '说明 notes']).commit();
  for (const s of specs) notes.addRow([s.headers[0], s.headers[1], s.required ? '是 yes' : '否 no', s.headers.slice(2).join('、'), s.note]).commit();
  notes.commit();
  await wb.commit();
  await done;
  return Buffer.concat(parts);
}
