// The community spreadsheet the import tests upload (test/transfer.test.ts on SQLite through the HTTP API,
// test/cluster/pg-transfer.test.ts on PostgreSQL): 40 households of two residents each, with cards, plates and tags.
import ExcelJS from 'exceljs';

const HEADERS = ['楼栋', '单元', '房号', '姓名', '手机号', '与户主关系', '车牌', '卡号', '标签'];

/** 40 households (buildings 1 and 3, units 1-2, 10 rooms each) of two residents, each with a card. */
export function residentRows(): string[][] {
  const rows: string[][] = [];
  let n = 0;
  for (const building of [1, 3]) {
    for (const unit of [1, 2]) {
      for (let i = 0; i < 10; i++) {
        const room = `${Math.floor(i / 2) + 1}0${(i % 2) + 1}`;
        for (const [k, relation] of ['户主', '配偶'].entries()) {
          n++;
          rows.push([
            `${building}号楼`,
            `${unit}单元`,
            room,
            `${(k === 0 ? '王李张刘' : '陈杨赵黄')[(building === 1 ? 0 : 2) + unit - 1] ?? ''}${'一二三四五六七八九十'[i] ?? ''}${k === 0 ? '明' : '芳'}`,
            `138${String(10_000_000 + n).slice(-8)}`,
            relation,
            k === 0 && i % 3 === 0 ? `陕A${String(10_000 + n).slice(-5)}` : '',
            String(7_700_000_000 + n),
            k === 0 && i === 4 ? '独居老人' : i === 7 ? '党员、出租' : '',
          ]);
        }
      }
    }
  }
  return rows;
}

export async function xlsx(rows: string[][], sheet = '住户'): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(sheet);
  ws.addRow(HEADERS);
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

