import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Streetlight } from '../../devices-sim/src/devices';
import { hashSecret } from '../../gateway/src/auth/hash';
import { AlertDetail, AlertList } from '../../gateway/src/contracts/api/alerts';
import { type ApiClient, apiClient } from '../helpers/http';
import { PASSWORDS, type SeededGateway, closeAll, guardScreen, launchBrowser, screenshotPath, screenshotSizes, seededGateway, skipBrowser } from './harness';

/** A real 8×8 PNG, drawn by the browser (what a phone photo becomes), for the patrol report. */
async function pngFromBrowser(page: Page): Promise<Buffer> {
  const b64 = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 8;
    c.height = 8;
    const ctx = c.getContext('2d');
    if (ctx) {
      ctx.fillStyle = '#c33';
      ctx.fillRect(0, 0, 8, 8);
    }
    return c.toDataURL('image/png').slice('data:image/png;base64,'.length);
  });
  return Buffer.from(b64, 'base64');
}

/**
 * Field staff on the phone app (#16 item 6) at 390×844: a grid worker's phone receives an escalated lamp fault,
 * confirms on site after the five-minute rule and must give a reason, records the outcome; a problem reported on
 * patrol appears on the guard board; and both show in the on-site compliance report, on the phone and on the guard
 * station's statistics page.
 */
describe.skipIf(skipBrowser)('field staff phone app', () => {
  let g: SeededGateway;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let http: ApiClient;
  let guardToken: string;
  let lampAlertId = '';
  const lamp = 'lamp-007';
  const pw = 'grid-worker-pw-0001';

  beforeAll(async () => {
    // The rule is 3 s here (ON_SITE_MINUTES 0.05): the escalation to the grid worker is the event waited on.
    g = await seededGateway({ ON_SITE_MINUTES: '0.05', ALERT_SWEEP_MS: '200', ALERT_DISABLED_TYPES: 'device_offline,light_not_lit,light_lit_in_daylight' });
    const prisma = g.t.gw.db.prisma;
    const community = await prisma.community.findFirstOrThrow();
    await prisma.grid.create({ data: { id: 'grid-e2e', communityId: community.id, name: '东区网格' } });
    await prisma.user.create({ data: { id: 'user-grid-w1', username: 'grid-w1', passwordHash: await hashSecret(pw), role: 'grid_worker', displayName: '网格员小张' } });
    http = apiClient(g.t.httpUrl);
    const admin = await http.login({ username: 'admin', password: PASSWORDS.admin });
    guardToken = await http.login({ username: 'guard1', password: PASSWORDS.guard1 });
    expect((await http.post('/api/v1/field/grids/grid-e2e/workers', admin, { username: 'grid-w1' })).status).toBe(200);
    expect((await http.call('PUT', `/api/v1/field/grids/grid-e2e/devices/${lamp}`, admin)).status).toBe(200);
    await g.connect([lamp]);

    browser = await launchBrowser();
    ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, baseURL: g.t.httpUrl, locale: 'zh-CN', timezoneId: 'UTC' });
    page = await ctx.newPage();
    page.on('pageerror', (err) => console.error('[field] page error:', err));
  });
  afterAll(() => closeAll(g, browser));

  it('signs a grid worker in to the field screens', async () => {
    await page.goto('/m/');
    await page.locator('input[name=username]').fill('grid-w1');
    await page.locator('input[name=password]').fill(pw);
    await page.getByRole('button', { name: '登录' }).click();
    await page.locator('[data-testid=field-cases]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid=field-cases]').textContent()).toContain('东区网格');
    expect(await page.locator('[data-tab=cases]').textContent()).toBe('待处理');
  });

  it("receives the escalated lamp fault, confirms on site late with the required reason, and records the outcome", async () => {
    await (g.devices.get(lamp) as Streetlight).fail('lamp_failure');
    // Nobody confirms on site within the rule: it escalates to the grid worker, and the phone shows it.
    const card = page.locator('.m-case[data-type=light_fault]');
    await card.waitFor({ timeout: 30_000 });
    lampAlertId = (await card.getAttribute('data-alert')) ?? '';
    const stored = AlertDetail.parse((await http.get(`/api/v1/alerts/${lampAlertId}`, guardToken)).body);
    expect(stored.alert).toMatchObject({ type: 'light_fault', deviceId: lamp });
    expect(stored.alert.escalationLevel).toBeGreaterThanOrEqual(1);
    expect(stored.history.some((h) => h.action === 'escalated' && h.note === 'escalated_no_on_site')).toBe(true);
    await expect.poll(() => card.getAttribute('data-late'), { timeout: 30_000 }).toBe('true');
    await page.screenshot({ path: screenshotPath('field-cases-390.png') });

    await card.locator('[data-action=onsite]').click();
    const form = card.locator('[data-testid=onsite-form]');
    const reason = form.locator('input[name=lateReason]');
    await reason.waitFor();
    // The form does not go without the reason (the gateway refuses it too: test/field-staff.test.ts).
    expect(await reason.evaluate((el: HTMLInputElement) => el.required)).toBe(true);
    await form.locator('[data-action=onsite-confirm]').click();
    expect(await reason.evaluate((el: HTMLInputElement) => el.validity.valueMissing)).toBe(true);
    await reason.fill('正在处理另一处漏水');
    await page.screenshot({ path: screenshotPath('field-late-reason-390.png') });
    await form.locator('[data-action=onsite-confirm]').click();
    await card.locator('[data-testid=onsite-done]').waitFor({ timeout: 30_000 });
    const onSite = AlertDetail.parse((await http.get(`/api/v1/alerts/${lampAlertId}`, guardToken)).body);
    expect(onSite.alert.onSiteBy).toBe('grid-w1');
    expect(onSite.history.find((h) => h.action === 'on_site')?.detail).toMatchObject({ late: true, lateReason: '正在处理另一处漏水' });

    await card.locator('[data-action=outcome]').click();
    await card.locator('input[name=outcome]').fill('更换灯泡，已恢复');
    await card.locator('[data-action=resolved]').click();
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('cleared');
    const done = AlertDetail.parse((await http.get(`/api/v1/alerts/${lampAlertId}`, guardToken)).body);
    expect(done.alert).toMatchObject({ status: 'cleared', clearedBy: 'grid-w1', clearNote: '更换灯泡，已恢复' });
  });

  it('reports a problem found on patrol, with a photo, and the guard board shows it', async () => {
    const { page: board } = await guardScreen(browser, g.t.httpUrl);
    await page.locator('[data-tab=patrol]').click();
    const form = page.locator('[data-testid=patrol] form');
    await form.locator('[data-kind=broken_door]').click();
    await form.locator('input[name=place]').fill('3号楼北侧单元门');
    await form.locator('input[name=text]').fill('门禁锁扣脱落，门关不上');
    await form.locator('input[name=photo]').setInputFiles({ name: 'door.png', mimeType: 'image/png', buffer: await pngFromBrowser(page) });
    await page.screenshot({ path: screenshotPath('field-patrol-390.png') });
    await form.locator('[data-action=patrol-submit]').click();
    await expect.poll(() => page.locator('[data-testid=patrol-msg]').textContent(), { timeout: 30_000 }).toContain('已上报');

    const list = AlertList.parse((await http.get('/api/v1/alerts?type=patrol_report', guardToken)).body);
    expect(list.alerts).toHaveLength(1);
    expect(list.alerts[0]).toMatchObject({ severity: 'major', place: { label: '3号楼北侧单元门' }, detail: { reportedBy: 'grid-w1', photo: true } });
    // Live on the guard board, like a device fault.
    const boardCard = board.locator('.alert-card[data-alert-type=patrol_report]');
    await boardCard.waitFor({ timeout: 30_000 });
    expect(await boardCard.textContent()).toContain('3号楼北侧单元门');
    // The detail pane has the worker's words and the photo.
    await boardCard.click();
    const facts = board.locator('[data-testid=patrol-facts]');
    await facts.waitFor({ timeout: 30_000 });
    expect(await facts.textContent()).toContain('门禁锁扣脱落，门关不上');
    await board.locator('[data-testid=patrol-photo]').waitFor({ timeout: 30_000 });
    expect(await board.locator('[data-testid=patrol-photo]').evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth))).toBe(8);
    await board.screenshot({ path: screenshotPath('field-patrol-on-board-1920.png') });

    // It is on the worker's own list too, with its text.
    await page.locator('[data-tab=cases]').click();
    const mine = page.locator('.m-case[data-type=patrol_report]');
    await mine.waitFor({ timeout: 30_000 });
    expect(await mine.textContent()).toContain('门禁锁扣脱落');
  });

  it('shows the on-site compliance report on the phone and on the guard station statistics page', async () => {
    await page.locator('[data-tab=report]').click();
    const row = page.locator('[data-testid=compliance] [data-grid=grid-e2e]');
    await row.waitFor({ timeout: 30_000 });
    const text = (await row.textContent()) ?? '';
    // Two cases under the rule (the lamp, confirmed late; the patrol report, not yet on site): none within the rule.
    expect(text).toContain('事件 2 件');
    expect(text).toContain('超时 1');
    expect(text).toContain('巡查上报 1 件');
    expect(await row.locator('[data-testid=late-reason]').textContent()).toContain('正在处理另一处漏水');
    expect(await row.locator('[data-testid=share]').textContent()).toBe('0%');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: screenshotPath('field-compliance-390.png'), fullPage: true });

    const { page: station } = await guardScreen(browser, g.t.httpUrl);
    await station.locator('[data-nav="/stats"]').click();
    const stats = station.locator('[data-testid=compliance] tr[data-grid=grid-e2e]');
    await stats.waitFor({ timeout: 30_000 });
    expect(await stats.locator('[data-testid=late-reason]').textContent()).toContain('正在处理另一处漏水');
    await station.locator('[data-testid=compliance]').scrollIntoViewIfNeeded();
    await screenshotSizes(station, 'stats-compliance');
  });
});
