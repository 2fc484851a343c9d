import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSecrets, populationOf } from '../../devices-sim/src/population';
import { createWorld } from '../../devices-sim/src/world';
import { SeedSecrets } from '../../gateway/src/contracts/seed-secrets';
import { addUser } from '../helpers/fixtures';
import type { TestGateway } from '../helpers/gateway';
import { firstInstall, screenshotSizes, signInFirstAdmin, skipBrowser } from './harness';

/** 40 households (building 1, units 1 and 2, rooms 101…510) of two residents each, every resident with a card. */
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴'];
const GIVEN = ['建国', '秀英', '志强', '桂兰', '伟', '芳', '军', '敏'];
interface Person {
  unit: number;
  room: string;
  name: string;
  phone: string;
  relation: string;
  card: string;
}
function people(): Person[] {
  const out: Person[] = [];
  for (let h = 0; h < 40; h++) {
    const unit = h < 20 ? 1 : 2;
    const room = `${Math.floor((h % 20) / 4) + 1}0${(h % 4) + 1}`;
    for (let k = 0; k < 2; k++) {
      const n = out.length;
      out.push({
        unit,
        room,
        name: `${SURNAMES[h % SURNAMES.length]}${GIVEN[(n + Math.floor(h / 10)) % GIVEN.length]}${k === 0 ? '' : '之'}`,
        phone: `139${String(10_000_000 + n).padStart(8, '0')}`,
        relation: k === 0 ? '户主' : '配偶',
        card: `3021${String(n).padStart(6, '0')}`,
      });
    }
  }
  return out;
}

/** The office's sheet, as exceljs writes it: 一标三实 headers in Chinese. */
async function sheet(rows: Person[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('住户');
  ws.addRow(['楼栋', '单元', '房号', '姓名', '手机号', '与户主关系', '卡号', '标签']);
  for (const p of rows) ws.addRow(['1号楼', `${p.unit}单元`, p.room, p.name, p.phone, p.relation, p.card, p.room === '101' ? '独居老人' : '']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/**
 * The issue's whole installation, in a browser, from an empty database: the first admin signs in with the printed
 * one-time password and changes it, creates a compound with coordinates, a building with two units, imports 40
 * households and 80 residents from an XLSX sheet (a bad row reported first, fixed, then imported), provisions a door
 * terminal and downloads its secret; a simulated terminal connects with it and grants an imported resident their
 * card over real MQTT; the day's access log, exported as XLSX from the page, holds that entry.
 */
describe.skipIf(skipBrowser)('a whole installation through the admin pages', () => {
  let t: TestGateway;
  let browser: Browser;
  let page: Page;
  let otp: string;

  beforeAll(async () => {
    // The pages' confirmations (none expected on this path) are accepted.
    ({ t, browser, page, otp } = await firstInstall({ size: 'normal', acceptDialogs: true }));
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('empty database → compound, building, units → import → door → a resident’s card opens it → the export has it', async () => {
    // ── first sign-in with the printed password, then a password of the admin's own ─────────────────────────────
    await signInFirstAdmin(page, otp);
    const pw = page.locator('[data-testid=change-password]');
    await pw.waitFor();
    await pw.locator('input[name=currentPassword]').fill(otp);
    await pw.locator('input[name=newPassword]').fill('xian-autumn-wutong-4');
    await pw.locator('input[name=repeat]').fill('xian-autumn-wutong-4');
    await pw.locator('button[type=submit]').click();
    await page.locator('[data-testid=setup] [data-step=compound][data-done=false]').waitFor();

    // ── the compound, with coordinates; a latitude out of range is shown beside its field first ────────────────
    await page.locator('[data-nav="/admin/data"]').click();
    const form = page.locator('[data-testid=md-form]');
    await page.locator('[data-testid=master-data][data-entity=compounds]').waitFor();
    await form.locator('input[name=name]').fill('长庆坊小区');
    await form.locator('input[name=address]').fill('西安市碑林区长庆坊1号');
    await form.locator('input[name=latitude]').fill('134.2583');
    await form.locator('input[name=longitude]').fill('108.9286');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => form.locator('[data-error-for=latitude]').textContent()).toMatch(/90/);
    expect(await t.gw.db.prisma.community.count()).toBe(0);
    await form.locator('input[name=latitude]').fill('34.2583');
    await form.locator('button[type=submit]').click();
    await page.locator('[data-testid=md-table] tr[data-name="长庆坊小区"]').waitFor();
    const compound = await t.gw.db.prisma.community.findFirstOrThrow();
    expect(compound).toMatchObject({ name: '长庆坊小区', latitude: 34.2583, longitude: 108.9286, timezone: 'Asia/Shanghai' });
    await screenshotSizes(page, 'admin-compounds');

    // ── building 1 with units 1 and 2 ─────────────────────────────────────────────────────────────────────────
    await page.locator('[data-tab=buildings]').click();
    await page.locator('[data-testid=master-data][data-entity=buildings]').waitFor();
    await expect.poll(() => form.locator('select[name=compoundId] option').count()).toBeGreaterThan(1);
    await form.locator('select[name=compoundId]').selectOption({ label: '长庆坊小区' });
    await form.locator('input[name=number]').fill('1');
    await form.locator('input[name=floors]').fill('5');
    await form.locator('button[type=submit]').click();
    await page.locator('[data-testid=md-table] tr[data-name="1号楼"]').waitFor();
    await page.locator('[data-tab=units]').click();
    await page.locator('[data-testid=master-data][data-entity=units]').waitFor();
    for (const n of ['1', '2']) {
      await expect.poll(() => form.locator('select[name=buildingId] option').count()).toBeGreaterThan(1);
      await form.locator('select[name=buildingId]').selectOption({ index: 1 });
      await form.locator('input[name=number]').fill(n);
      await form.locator('button[type=submit]').click();
      await page.locator(`[data-testid=md-table] tr[data-name="${n}"]`).waitFor();
    }
    const building = await t.gw.db.prisma.building.findFirstOrThrow({ include: { units: true } });
    expect(building.units.map((u) => u.number).sort()).toEqual([1, 2]);

    // ── import: a sheet with one bad phone number is refused with its row and column, nothing written ───────────
    const everyone = people();
    const bad = everyone.map((p, i) => (i === 16 ? { ...p, phone: '1381234' } : p));
    const badFile = join(t.dir, '长庆坊-住户.xlsx');
    writeFileSync(badFile, await sheet(bad));
    await page.locator('[data-nav="/admin/transfer"]').click();
    const imp = page.locator('[data-testid=import]');
    await imp.locator('input[name=file]').setInputFiles(badFile);
    await imp.locator('[data-action=dry-run]').click();
    const report = imp.locator('[data-testid=import-report]');
    await report.and(page.locator('[data-state=bad]')).waitFor({ timeout: 30_000 });
    // Row 18 of the spreadsheet (the header is row 1, the 17th person is row 18), its 手机号 column.
    const issue = report.locator('[data-issue-row="18"][data-issue-column="手机号"]');
    expect(await issue.count()).toBe(1);
    expect(await report.locator('[data-issue-row]').count()).toBe(1);
    expect(await imp.locator('[data-action=import]').isDisabled()).toBe(true);
    await screenshotSizes(page, 'admin-import-refused');
    expect(await t.gw.db.prisma.household.count()).toBe(0);

    // Fixed in the sheet, chosen again: clean, then imported.
    const goodFile = join(t.dir, '长庆坊-住户-改.xlsx');
    writeFileSync(goodFile, await sheet(everyone));
    await imp.locator('input[name=file]').setInputFiles(goodFile);
    await imp.locator('[data-action=dry-run]').click();
    await report.and(page.locator('[data-state=clean]')).waitFor({ timeout: 30_000 });
    expect(await report.locator('[data-count=households]').getAttribute('data-created')).toBe('40');
    expect(await t.gw.db.prisma.household.count()).toBe(0);
    await imp.locator('[data-action=import]').click();
    await report.and(page.locator('[data-state=imported]')).waitFor({ timeout: 30_000 });
    expect(await report.locator('[data-count=residents]').getAttribute('data-created')).toBe('80');
    await screenshotSizes(page, 'admin-import-done');
    expect(await t.gw.db.prisma.household.count()).toBe(40);
    expect(await t.gw.db.prisma.resident.count()).toBe(80);
    // The import used the units created on the page: none new.
    expect(await t.gw.db.prisma.unit.count()).toBe(2);

    // The residents are on the master data page, with their household.
    const someone = everyone[17];
    if (!someone) throw new Error('no 18th person');
    await page.locator('[data-nav="/admin/data"]').click();
    await page.locator('[data-tab=residents]').click();
    await page.locator(`[data-testid=md-table] tr[data-name="${someone.name}（1-${someone.unit}-${someone.room}）"]`).waitFor();
    await screenshotSizes(page, 'admin-residents');

    // ── provision the main gate's door terminal and download its secret ──────────────────────────────────────
    await page.locator('[data-nav="/admin/devices"]').click();
    const create = page.locator('[data-testid=new-device]');
    await create.locator('input[name=id]').fill('gate-main');
    await create.locator('input[name=name]').fill('长庆坊大门人脸门禁');
    await create.locator('input[name=communityId]').fill(compound.id);
    await create.locator('button[type=submit]').click();
    const panel = page.locator('[data-testid=device-secret]');
    await panel.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), panel.locator('[data-action=download]').click()]);
    const secretPath = join(t.dir, download.suggestedFilename());
    await download.saveAs(secretPath);
    SeedSecrets.parse(JSON.parse(readFileSync(secretPath, 'utf8')));

    // ── the simulated terminal connects with it; an imported resident shows their card ────────────────────────
    const loaded = loadSecrets(secretPath);
    if (!loaded.ok) throw new Error(loaded.message);
    const world = createWorld({ population: populationOf(loaded.secrets), seed: 1, speed: 1, startMs: Date.now(), url: loaded.secrets.gateway!.mqttUrl });
    const resident = await t.gw.db.prisma.resident.findFirstOrThrow({ where: { name: someone.name } });
    let requestId = '';
    try {
      const door = await world.roster.faceTerminal('gate-main');
      await expect.poll(() => t.gw.broker.isConnected('gate-main'), { timeout: 60_000 }).toBe(true);
      const outcome = await door.requestAccess({ type: 'card', value: someone.card }, 'in');
      if (!outcome.ok) throw new Error(`the door got no answer: ${outcome.reason}`);
      expect(outcome.reply).toMatchObject({ decision: 'grant', reason: 'resident' });
      requestId = outcome.requestId;
      await expect.poll(() => t.gw.db.prisma.accessEvent.count({ where: { requestId } }), { timeout: 30_000 }).toBe(1);
      const row = await t.gw.db.prisma.accessEvent.findFirstOrThrow({ where: { requestId } });
      // The gateway decided (not the terminal alone), for that resident.
      expect(row).toMatchObject({ decision: 'grant', offline: false, residentId: resident.id, deviceId: 'gate-main' });
    } finally {
      await world.close();
    }

    // ── the day's access log as XLSX, from the page; read back, the entry is there ───────────────────────────
    await page.locator('[data-nav="/admin/transfer"]').click();
    const exp = page.locator('[data-testid=export]');
    await exp.locator('select[name=kind]').selectOption('access');
    await exp.locator('select[name=format]').selectOption('xlsx');
    const [file] = await Promise.all([page.waitForEvent('download'), exp.locator('[data-action=export]').click()]);
    expect(file.suggestedFilename()).toMatch(/\.xlsx$/);
    const exported = join(t.dir, file.suggestedFilename());
    await file.saveAs(exported);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(exported);
    const ws = wb.worksheets[0];
    if (!ws) throw new Error('no sheet in the export');
    const cells = (v: ExcelJS.Row['values']) => (Array.isArray(v) ? Array.from(v) : Object.values(v)).map((c) => (c === null || c === undefined ? '' : String(c)));
    const header = cells(ws.getRow(1).values);
    const col = (name: string) => header.findIndex((h) => h.includes(name));
    const rows: string[][] = [];
    ws.eachRow((r, n) => {
      if (n > 1) rows.push(cells(r.values));
    });
    const entry = rows.find((r) => r[col('deviceId')] === 'gate-main' && r[col('decision')] === 'grant');
    expect(entry, `no gate-main grant among ${rows.length} rows`).toBeDefined();
    expect(entry?.[col('household')]).toBe(`1-${someone.unit}-${someone.room}`);
    expect(entry?.[col('credential')]).toBe('card');
    await screenshotSizes(page, 'admin-transfer');
  }, 600_000);

  it('edits, deactivates and refuses to delete what is referred to, with the reason on the page', async () => {
    await page.locator('[data-nav="/admin/data"]').click();
    const form = page.locator('[data-testid=md-form]');
    const table = page.locator('[data-testid=md-table]');

    // A household: a bad room is shown beside its field (the patch contract), then the 七彩图 tags change.
    await page.locator('[data-tab=households]').click();
    const flat = table.locator('tr[data-name="1-1-102"]');
    await flat.locator('[data-action=edit]').click();
    await form.and(page.locator('[data-mode=edit]')).waitFor();
    await form.locator('input[name=room]').fill('1 02');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => form.locator('[data-error-for=room]').textContent()).toContain('room number');
    await form.locator('input[name=room]').fill('102');
    await form.locator('input[name="tags.party_member"]').check();
    await form.locator('input[name="tags.rental"]').check();
    await form.locator('button[type=submit]').click();
    await form.and(page.locator('[data-mode=create]')).waitFor();
    await expect.poll(async () => (await t.gw.db.prisma.householdTag.findMany({ where: { household: { label: '1-1-102' } } })).map((x) => x.tag).sort()).toEqual(['party_member', 'rental']);
    await expect.poll(() => flat.textContent()).toContain('党员');

    // A building with units cannot be deleted: the page says what still refers to it.
    await page.locator('[data-tab=buildings]').click();
    await table.locator('tr[data-name="1号楼"] [data-action=delete]').click();
    const conflict = page.locator('[data-testid=md-conflict]');
    await conflict.waitFor();
    expect(await conflict.textContent()).toContain('2 个单元');
    expect(await t.gw.db.prisma.building.count()).toBe(1);
    await screenshotSizes(page, 'admin-delete-refused');

    // A resident: deactivated (the row says so; the database agrees), then given a card on the credentials panel.
    await page.locator('[data-tab=residents]').click();
    const person = people()[5];
    if (!person) throw new Error('no 6th person');
    const row = table.locator(`tr[data-name="${person.name}（1-${person.unit}-${person.room}）"]`);
    await row.locator('[data-action=deactivate]').click();
    await expect.poll(async () => (await t.gw.db.prisma.resident.findFirstOrThrow({ where: { name: person.name } })).status).toBe('inactive');
    await row.locator('[data-action=activate]').waitFor();
    await row.locator('[data-action=activate]').click();
    await expect.poll(async () => (await t.gw.db.prisma.resident.findFirstOrThrow({ where: { name: person.name } })).status).toBe('active');
    // The import stored the relation; the page shows it.
    expect(await row.textContent()).toContain('配偶');
    await row.locator('[data-action=credentials]').click();
    const creds = page.locator('[data-testid=credentials]');
    await creds.locator('[data-credential]').first().waitFor();
    expect(await creds.locator('[data-credential]').count()).toBe(1);
    await creds.locator('input[name=value]').fill('no-such-card');
    await creds.locator('button[type=submit]').click();
    await expect.poll(() => creds.locator('[data-error-for=value]').textContent()).toContain('card number');
    await creds.locator('input[name=value]').fill('30219999');
    await creds.locator('button[type=submit]').click();
    await expect.poll(() => creds.locator('[data-credential]').count()).toBe(2);
    await creds.locator('select[name=type]').selectOption('pin');
    await creds.locator('button[type=submit]').click();
    await expect.poll(() => creds.locator('[data-testid=new-pin]').textContent()).toMatch(/\d{4,}/);
    await creds.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshotSizes(page, 'admin-credentials');
    const resident = await t.gw.db.prisma.resident.findFirstOrThrow({ where: { name: person.name } });
    expect((await t.gw.db.prisma.credential.findMany({ where: { residentId: resident.id } })).map((c) => c.type).sort()).toEqual(['card', 'card', 'pin']);

    // The same page in English.
    await page.locator('[data-action=lang]').click();
    await expect.poll(() => page.locator('h1.view-title').textContent()).toBe('Master data');
    await page.locator('[data-action=lang]').click();
  }, 300_000);

  it('a guard sees neither the master data nor the import pages, not even by their address', async () => {
    await addUser(t.gw.db.prisma, { username: 'guard1', password: 'night-shift-guard1', role: 'guard' });
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, baseURL: t.httpUrl, locale: 'zh-CN' });
    const guard = await context.newPage();
    await guard.goto('/admin/data/residents');
    await guard.locator('input[name=username]').fill('guard1');
    await guard.locator('input[name=password]').fill('night-shift-guard1');
    await guard.getByRole('button', { name: '登录' }).click();
    await guard.locator('[data-nav="/"]').waitFor();
    expect(await guard.locator('[data-nav="/admin/data"]').count()).toBe(0);
    expect(await guard.locator('[data-nav="/admin/transfer"]').count()).toBe(0);
    expect(await guard.locator('[data-testid=master-data]').count()).toBe(0);
    await guard.goto('/admin/transfer');
    await guard.locator('[data-nav="/"]').waitFor();
    expect(await guard.locator('[data-testid=transfer]').count()).toBe(0);
    await context.close();
  }, 120_000);
});
