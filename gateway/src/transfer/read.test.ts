import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSheets } from './read';
import { template } from './templates';
import { validateSheets } from './validate';

const csv = (text: string) => Buffer.from(text, 'utf8');

describe('readSheets + validateSheets', () => {
  it('reads a CSV saved by Excel on a Chinese Windows (GBK, not UTF-8)', async () => {
    // 楼栋,单元,房号,姓名 / 1,1,101,王 in GBK bytes
    const gbk = Buffer.concat([Buffer.from('C2A5B6B02CB5A5D4AA2CB7BFBAC52CD0D5C3FB0A', 'hex'), Buffer.from('1,1,101,'), Buffer.from('CDF50A', 'hex')]);
    const r = await readSheets('households.csv', gbk);
    expect(r).toEqual({ ok: true, sheets: [{ name: 'households', rows: [{ row: 1, cells: ['楼栋', '单元', '房号', '姓名'] }, { row: 2, cells: ['1', '1', '101', '王'] }] }] });
    if (!r.ok) return;
    expect(validateSheets(r.sheets).residents).toEqual([{ building: 1, unit: 1, room: '101', name: '王', at: { sheet: 'households', row: 2 } }]);
  });

  it('numbers rows as the file does, across blank lines and quoted line breaks', async () => {
    const r = await readSheets('a.csv', csv('building,unit,room,name\n\n3,2,501,"王\n明"\n3,2,502,李芳\n'));
    expect(r.ok && r.sheets[0]?.rows.map((x) => x.row)).toEqual([1, 3, 5]);
  });

  it('refuses a file that is neither CSV nor XLSX, and a broken XLSX, with a reason', async () => {
    expect(await readSheets('a.xls', Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))).toMatchObject({ ok: false, reason: expect.stringMatching(/xlsx/) });
    expect(await readSheets('a.xlsx', Buffer.from('PK\x03\x04 not really a zip'))).toMatchObject({ ok: false, reason: expect.stringMatching(/not a readable XLSX/) });
  });

  it('reports a missing required column at the header row, and each bad cell with its header', async () => {
    const r = await readSheets('a.csv', csv('楼栋,房号,姓名\n1,101,王明\n'));
    expect(r.ok && validateSheets(r.sheets).issues).toEqual([{ sheet: 'a', row: 1, column: null, reason: 'missing column 单元 (unit)' }]);
    const bad = await readSheets('b.csv', csv('Building ,*单元（必填）,房号,手机号,卡号,标签\n1,1,101,,,\n1,x,101A1,13812345678,12,外星人\n1,1,102,13812345678,,\n'));
    expect(bad.ok && validateSheets(bad.sheets).issues).toEqual([
      { sheet: 'b', row: 3, column: '*单元（必填）', reason: 'unit: a number such as 3 (or 3号楼 / 3单元)' },
      { sheet: 'b', row: 3, column: '房号', reason: 'room: such as 501, 1203 or B101' },
      { sheet: 'b', row: 3, column: '卡号', reason: 'card: 4-20 digits or hex characters' },
      { sheet: 'b', row: 3, column: '标签', reason: expect.stringMatching(/^tags: any of party_member/) },
      // Rules across cells run once the cells themselves are right.
      { sheet: 'b', row: 4, column: 'name', reason: 'name: required when the row has a phone' },
    ]);
  });

  it('finds the same card, plate, resident or device twice in one file', async () => {
    const r = await readSheets('c.csv', csv('楼栋,单元,房号,姓名,卡号,车牌\n1,1,101,王明,5500000001,陕A12345\n1,1,102,李芳,5500000001;5500000002,陕A 12345\n1,1,101,王明,,\n'));
    expect(r.ok && validateSheets(r.sheets).issues.map((i) => [i.row, i.column, i.reason])).toEqual([
      [3, 'cards', 'card ****0001 also on row 2'],
      [3, 'plates', 'plate 陕A12345 also on row 2'],
      [4, 'name', 'the same resident (1-1-101 王明) also on row 2'],
    ]);
  });

  it('checks that a device fits its place', async () => {
    const r = await readSheets('d.csv', csv('设备编号,设备类型,设备名称,安装位置,楼栋\ndoor-1,人脸门禁,1号楼门,单元门,1\nlamp-1,路灯,路灯1,大门,\n'));
    expect(r.ok && validateSheets(r.sheets).issues).toEqual([
      { sheet: 'd', row: 2, column: 'unit', reason: 'unit: required for a device at unit_door' },
      { sheet: 'd', row: 3, column: '安装位置', reason: 'place: a streetlight goes at outdoor' },
    ]);
  });
});

describe('the templates in docs/templates', () => {
  for (const kind of ['residents', 'devices'] as const) {
    it(`${kind}: the committed files are what the gateway serves, and check clean`, async () => {
      expect(readFileSync(`docs/templates/${kind}.csv`)).toEqual(await template(kind, 'csv'));
      const r = await readSheets(`${kind}.xlsx`, readFileSync(`docs/templates/${kind}.xlsx`));
      if (!r.ok) throw new Error(r.reason);
      const v = validateSheets(r.sheets);
      expect(v.issues).toEqual([]);
      expect(v.sheets.map((s) => s.kind)).toEqual([kind]);
      const csvRows = await readSheets('t.csv', await template(kind, 'csv'));
      if (!csvRows.ok) throw new Error(csvRows.reason);
      // The XLSX's first sheet holds the same header and examples as the CSV (trailing empty cells aside).
      const trim = (cells: unknown[]) => cells.slice(0, cells.findLastIndex((c) => c !== undefined) + 1);
      expect(r.sheets[0]?.rows.map((x) => trim(x.cells))).toEqual(csvRows.sheets[0]?.rows.map((x) => trim(x.cells)));
    });
  }
});
