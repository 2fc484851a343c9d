import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from './helpers/gateway';
import { runLinli } from './helpers/process';


describe('linli import / export', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    const fresh = freshDatabase();
    dir = fresh.dir;
    env = { DATABASE_URL: `file:${fresh.dbFile}`, LOG_LEVEL: 'silent' };
    const db = new Database(fresh.dbFile);
    db.prepare("INSERT INTO Community (id, name, latitude, longitude, timezone, createdAt) VALUES ('cq', '长庆坊小区', 34.25, 108.93, 'Asia/Shanghai', ?)").run(new Date().toISOString().replace('Z', '+00:00'));
    db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists bad rows and exits 65 writing nothing, then imports the fixed file and its devices', { timeout: 300_000 }, async () => {
    const bad = join(dir, 'households.csv');
    writeFileSync(bad, '楼栋,单元,房号,姓名,手机号,卡号\n1,1,101,王明,13812345678,5500000001\n1,1,102,李芳,12345,5500000002\n');
    const refused = await runLinli(['import', bad, '--community', 'cq'], env);
    expect(refused.code, refused.out).toBe(65);
    expect(refused.out).toContain('row 3, 手机号: phone: an 11-digit mobile number');
    expect(refused.out).not.toContain('5500000001');

    writeFileSync(bad, '楼栋,单元,房号,姓名,手机号,卡号\n1,1,101,王明,13812345678,5500000001\n1,1,102,李芳,13912345678,5500000002\n');
    const dry = await runLinli(['import', bad, '--community', 'cq', '--dry-run'], env);
    expect(dry.code, dry.out).toBe(0);
    expect(dry.out).toContain('clean, nothing written');
    const done = await runLinli(['import', bad, '--community', 'cq'], env);
    expect(done.code, done.out).toBe(0);
    expect(done.out).toMatch(/residents\s+2 new, 0 changed, 0 unchanged/);

    const devices = join(dir, 'devices.csv');
    writeFileSync(devices, '设备编号,设备类型,设备名称,安装位置,楼栋,单元\ndoor-b01-u1,人脸门禁,1号楼1单元门,单元门,1,1\n');
    const secrets = join(dir, 'secrets.csv');
    const dev = await runLinli(['import', devices, '--community', 'cq', '--secrets', secrets], env);
    expect(dev.code, dev.out).toBe(0);
    expect(statSync(secrets).mode & 0o777).toBe(0o600);
    expect(readFileSync(secrets, 'utf8')).toMatch(/^deviceId,secret\ndoor-b01-u1,\S{32}\n$/);
  });

  it('exports the audit log of today as XLSX', { timeout: 180_000 }, async () => {
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const file = join(dir, 'audit.xlsx');
    const r = await runLinli(['export', 'audit', '--from', today, '--to', today, file], env);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/linli: \d+ row\(s\) of audit/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const actions: unknown[] = [];
    wb.getWorksheet('audit')?.eachRow((row) => actions.push(row.getCell(3).value));
    expect(actions).toContain('import.commit');
    expect(actions).toContain('import.refused');
    const usage = await runLinli(['export', 'audit', '--from', 'yesterday', '--to', today, file], env);
    expect(usage.code).toBe(64);
  });
});
