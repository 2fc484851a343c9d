import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceTerminal } from '../../devices-sim/src/devices';
import { type SeededGateway, closeAll, guardScreen, launchBrowser, screenshotPath, screenshotSizes, seededGateway, skipBrowser } from './harness';
import { decodeImageQr } from './qr';

const ZONE = 'Asia/Urumqi';
const hhmm = (at: Date, timeZone: string) => new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);

/**
 * Issue 16, items 3 and 5, in Chromium: a guard at 1920×1080 asks a household about a walk-in visitor, the resident's
 * phone (390×844) shows it live and approves in one tap, the guard station shows the code and the gate admits it; a
 * refusal reaches the guard too. The resident issues a personal QR, its image decodes to a code the main gate admits
 * as the resident over real MQTT, and after a new one is issued the old one is refused. An administrator puts a
 * grid worker on a grid from the grid-worker page.
 */
describe.skipIf(skipBrowser)('walk-in approval and the personal QR on the phone', () => {
  let g: SeededGateway;
  let browser: Browser;
  let phone: BrowserContext;
  let resident: Page;
  let guard: Page;
  let home: { id: string; label: string };
  const pw = 'resident-phone-pw-0002';

  beforeAll(async () => {
    g = await seededGateway({ ALERT_DISABLED_TYPES: 'device_offline,light_not_lit,light_lit_in_daylight' });
    const h = g.plan.households.find((x) => g.secrets.users[`r-${x.label}`]);
    if (!h) throw new Error('no resident account in the seed');
    home = { id: h.id, label: h.label };
    const { hashSecret } = await import('../../gateway/src/auth/hash');
    await g.t.gw.db.prisma.user.update({ where: { username: `r-${home.label}` }, data: { passwordHash: await hashSecret(pw) } });
    // A compound two hours behind the browsers' Asia/Shanghai: the guard station must show the compound's clock.
    await g.t.gw.db.prisma.community.updateMany({ data: { timezone: ZONE } });
    await g.t.gw.access.reload();
    await g.connect(['gate-main']);
    browser = await launchBrowser();
    ({ page: guard } = await guardScreen(browser, g.t.httpUrl, 'guard1'));
    phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, baseURL: g.t.httpUrl, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    resident = await phone.newPage();
    resident.on('pageerror', (err) => console.error('[resident] page error:', err));
    await resident.goto('/m/');
    await resident.locator('input[name=username]').fill(`r-${home.label}`);
    await resident.locator('input[name=password]').fill(pw);
    await resident.getByRole('button', { name: '登录' }).click();
    await resident.locator('[data-testid=visitors]').waitFor({ timeout: 30_000 });
    await resident.locator('.m-shell[data-link=live]').waitFor({ timeout: 30_000 });
  });
  afterAll(() => closeAll(g, browser));

  /** The guard fills the walk-in form and asks the household in the app. */
  async function guardAsks(name: string, reason: string): Promise<void> {
    await guard.locator('[data-nav="/visitors"]').click();
    await guard.locator('[data-action=walk-in]').click();
    const form = guard.locator('[data-testid=walk-in-form]');
    await form.locator('input[name=visitorName]').fill(name);
    await form.locator('input[name=idLast4]').fill('123X');
    await form.locator('input[name=household]').fill(home.label);
    await form.locator('input[name=reason]').fill(reason);
    await form.locator('[data-action=walk-in-ask]').click();
    await guard.locator('[data-testid=walk-in-wait][data-state=pending]').waitFor({ timeout: 30_000 });
  }

  it('asks the household in the app; the resident approves in one tap; the guard gets the code and the gate admits it', async () => {
    await guardAsks('赵六', '送药上门');
    const waiting = (await guard.locator('[data-testid=walk-in-wait]').textContent()) ?? '';
    expect(waiting).toContain(home.label);
    // The deadline in the compound's time zone, not UTC+8 (item 4).
    const asked = await g.t.gw.db.prisma.walkInRequest.findFirst({ where: { visitorName: '赵六' } });
    expect(waiting).toContain(hhmm(asked?.answerBy ?? new Date(), ZONE));
    expect(waiting).not.toContain(hhmm(asked?.answerBy ?? new Date(), 'Asia/Shanghai'));
    await screenshotSizes(guard, 'walk-in-asking');

    // Live on the phone, whatever tab is open: the name and reason, never the ID digits.
    const card = resident.locator('.m-walkin[data-state=pending]');
    await card.waitFor({ timeout: 30_000 });
    const text = (await card.textContent()) ?? '';
    expect(text).toContain('赵六');
    expect(text).toContain('送药上门');
    expect(text).not.toContain('123X');
    expect(text).toContain(hhmm(asked?.answerBy ?? new Date(), ZONE));
    expect(await resident.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await resident.screenshot({ path: screenshotPath('resident-walk-in-390.png') });
    await card.locator('[data-action=walk-in-approve]').click();
    await resident.locator('.m-walkin[data-state=approved]').waitFor({ timeout: 30_000 });

    // The guard station: approved, the one-entry code shown as for a phoned walk-in.
    const code = (await guard.locator('[data-testid=walk-in-code]').textContent({ timeout: 30_000 })) ?? '';
    expect(code).toMatch(/^\d{10}$/);
    await screenshotSizes(guard, 'walk-in-approved');
    const request = await g.t.gw.db.prisma.walkInRequest.findFirst({ where: { visitorName: '赵六' } });
    expect(request).toMatchObject({ householdId: home.id, status: 'approved' });
    const audit = await g.t.gw.db.prisma.auditLog.findFirst({ where: { action: 'pass.walk_in', entityId: request?.passId ?? '' } });
    expect(JSON.parse(audit?.detail ?? '{}')).toMatchObject({ hostConfirmed: 'app', walkInRequestId: request?.id });

    const gate = g.devices.get('gate-main') as FaceTerminal;
    const first = await gate.requestAccess({ type: 'pin', value: code }, 'in');
    expect(first.ok && first.reply.decision).toBe('grant');
    const again = await gate.requestAccess({ type: 'pin', value: code }, 'in');
    expect(again.ok && again.reply.reason).toBe('entries_used');
  });

  it('shows a refusal to the guard', async () => {
    await guard.locator('[data-testid=walk-in-done] button').click();
    await guardAsks('钱七', '推销');
    const card = resident.locator('.m-walkin[data-state=pending]');
    await card.waitFor({ timeout: 30_000 });
    await card.locator('[data-action=walk-in-refuse]').click();
    await resident.locator('.m-walkin[data-state=refused]').waitFor({ timeout: 30_000 });
    await guard.locator('[data-testid=walk-in-wait][data-state=refused]').waitFor({ timeout: 30_000 });
    expect(await guard.locator('[data-testid=walk-in-wait]').textContent()).toContain('住户拒绝了 钱七 的来访');
    await screenshotSizes(guard, 'walk-in-refused');
    expect(await g.t.gw.db.prisma.visitorPass.count({ where: { visitorName: '钱七' } })).toBe(0);
  });

  it('issues a personal QR whose image the main gate admits as the resident; a new one replaces it', async () => {
    await resident.locator('[data-tab=me]').click();
    const section = resident.locator('[data-testid=personal-qr]');
    await section.locator('[data-action=qr-issue]').click();
    await resident.locator('[data-testid=personal-qr-screen]').waitFor({ timeout: 30_000 });
    await resident.screenshot({ path: screenshotPath('resident-qr-390.png') });
    const first = await decodeImageQr(resident, '[data-testid=personal-qr-image]');
    expect(first).toMatch(/^LINLIR1:/);

    const gate = g.devices.get('gate-main') as FaceTerminal;
    const r1 = await gate.requestAccess({ type: 'qr', value: first ?? '' }, 'in');
    expect(r1.ok && { decision: r1.reply.decision, reason: r1.reply.reason }).toEqual({ decision: 'grant', reason: 'resident' });

    await resident.locator('[data-action=qr-close]').click();
    await section.locator('[data-action=qr-rotate]').click();
    await section.locator('[data-action=qr-rotate-confirm]').click();
    await resident.locator('[data-testid=personal-qr-screen]').waitFor({ timeout: 30_000 });
    const second = await decodeImageQr(resident, '[data-testid=personal-qr-image]');
    expect(second).toMatch(/^LINLIR1:/);
    expect(second).not.toBe(first);
    const old = await gate.requestAccess({ type: 'qr', value: first ?? '' }, 'in');
    expect(old.ok && old.reply.decision).toBe('deny');
    const fresh = await gate.requestAccess({ type: 'qr', value: second ?? '' }, 'in');
    expect(fresh.ok && fresh.reply.decision).toBe('grant');
    await resident.locator('[data-action=qr-close]').click();
    // My ways in list the QR; the Me screen offers to show it again.
    await resident.locator('[data-testid=credentials] [data-cred=qr]').waitFor({ timeout: 30_000 });
    await section.locator('[data-action=qr-show]').scrollIntoViewIfNeeded();
    await resident.screenshot({ path: screenshotPath('resident-qr-me-390.png') });
    expect(await resident.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  });

  it("puts a grid_worker account on a grid from the administration's grid-worker page, and takes it off again", async () => {
    const prisma = g.t.gw.db.prisma;
    const { hashSecret } = await import('../../gateway/src/auth/hash');
    // The demo seed has no grids: one, as the master data page would create it.
    const community = await prisma.community.findFirstOrThrow();
    await prisma.grid.create({ data: { id: 'grid-west', communityId: community.id, name: '西区网格' } });
    await prisma.user.create({ data: { id: 'user-grid-w9', username: 'grid-w9', passwordHash: await hashSecret('grid-worker-pw-0009'), role: 'grid_worker', displayName: '网格员小刘' } });
    const { page: admin } = await guardScreen(browser, g.t.httpUrl, 'admin');
    await admin.locator('[data-nav="/admin/grid-workers"]').click();
    const pageEl = admin.locator('[data-testid=grid-workers]');
    await pageEl.locator('[data-testid=grid-worker-list]').waitFor({ timeout: 30_000 });
    const gridId = await pageEl.locator('select[name=grid]').inputValue();
    expect(gridId).toBe('grid-west');
    await pageEl.locator('input[name=username]').fill('grid-w9');
    await pageEl.locator('[data-action=add-worker]').click();
    await pageEl.locator('[data-worker=grid-w9]').waitFor({ timeout: 30_000 });
    expect(await pageEl.locator('[data-worker=grid-w9]').textContent()).toContain('网格员小刘');
    expect(await prisma.gridWorker.findMany({ where: { gridId, userId: 'user-grid-w9' } })).toHaveLength(1);
    await screenshotSizes(admin, 'admin-grid-workers');
    // A name that is not a grid_worker account is refused where it was typed.
    await pageEl.locator('input[name=username]').fill('guard1');
    await pageEl.locator('[data-action=add-worker]').click();
    await pageEl.locator('.error-text').waitFor({ timeout: 30_000 });
    await pageEl.locator('[data-worker=grid-w9] [data-action=remove-worker]').click();
    await pageEl.locator('[data-worker=grid-w9]').waitFor({ state: 'detached', timeout: 30_000 });
    expect(await prisma.gridWorker.count({ where: { gridId, userId: 'user-grid-w9' } })).toBe(0);
  });
});
