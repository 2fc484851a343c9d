import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmButton } from '../../devices-sim/src/devices';
import { LoginReply } from '../../gateway/src/contracts/api/auth';
import { type SeededGateway, PASSWORDS, closeAll, guardScreen, launchBrowser, screenshotSizes, seededGateway, skipBrowser } from './harness';

const PIN = '408317';

/**
 * A registered guard station (issue 13, "never silent"): an admin registers the guard-room browser, a guard signs in
 * there with user name and PIN, and when the sign-in is revoked mid-shift the board stays read-only and live — the
 * next alarm takes over the screen and the siren starts, under the sign-in box. A browser that is not a station
 * offers no PIN and says truthfully that nothing arrives while signed out.
 */
describe.skipIf(skipBrowser)('guard station: PIN sign-in and the read-only board after a sign-in ends', () => {
  let g: SeededGateway;
  let browser: Browser;
  let page: Page;
  const root = (attr: string) => page.evaluate((a) => document.documentElement.dataset[a], attr);

  beforeAll(async () => {
    g = await seededGateway({ LIVE_HEARTBEAT_SEC: '1', ALERT_DISABLED_TYPES: 'light_not_lit,light_lit_in_daylight' });
    await g.connect(['alarm-out-03', 'alarm-out-04']);
    browser = await launchBrowser();
  }, 180_000);
  afterAll(() => closeAll(g, browser));

  it('an admin registers the browser as a guard station; the sign-in then offers the PIN', async () => {
    ({ page } = await guardScreen(browser, g.t.httpUrl, 'admin'));
    // No browser prompt: the header's button leads to the stations page, where the name is typed into a field.
    page.on('dialog', (d) => void d.dismiss().then(() => expect.fail(`unexpected browser dialog: ${d.message()}`)));
    await page.locator('[data-action=register-station]').click();
    const form = page.locator('[data-testid=station-register]');
    await form.waitFor();
    expect(await page.locator('[data-testid=stations]').textContent()).toContain('还没有登记值班台');
    await form.locator('input[name=station-name]').fill('东门岗亭');
    await form.locator('[data-action=register-station-submit]').click();
    await page.locator('[data-testid=station-chip]').waitFor();
    // The list shows it, marked as this browser, never used yet, with its expiry.
    const row = page.locator('tr[data-station][data-state=active]', { hasText: '东门岗亭' });
    await row.waitFor();
    expect(await row.textContent()).toContain('本机');
    expect(await row.locator('[data-col=last-used]').textContent()).toBe('从未');
    await page.locator('[data-testid=stations-here]').waitFor();
    await screenshotSizes(page, 'stations');
    expect(await page.locator('[data-testid=station-chip]').textContent()).toContain('东门岗亭');
    // The station's token is an httpOnly cookie: no script on the page can read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('linli_station');
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'linli_station')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/v1' });

    // The admin sets guard1's PIN, and signs out.
    const adminLogin = LoginReply.parse(await (await fetch(`${g.t.httpUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORDS.admin }) })).json());
    const set = await fetch(`${g.t.httpUrl}/api/v1/users/guard1/pin`, { method: 'PUT', headers: { authorization: `Bearer ${adminLogin.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ pin: PIN }) });
    expect(set.status).toBe(204);
    await page.getByRole('button', { name: '退出' }).click();
    const pinForm = page.locator('form.login-card[data-login-mode=pin]');
    await pinForm.waitFor();
    expect(await page.locator('[data-testid=login-station]').textContent()).toContain('东门岗亭');
    expect(await page.locator('input[name=password]').count()).toBe(0);
    await screenshotSizes(page, 'pin-sign-in');
  }, 120_000);

  it('a wrong PIN is refused; the right one signs the guard in', async () => {
    await page.locator('input[name=username]').fill('guard1');
    await page.locator('input[name=pin]').fill('900001');
    await page.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByText('用户名或密码不对').waitFor();
    await page.locator('input[name=pin]').fill(PIN);
    await page.getByRole('button', { name: '登录', exact: true }).click();
    await page.locator('[data-testid=link-indicator][data-status=live]').waitFor({ timeout: 30_000 });
    expect(await page.locator('.topbar .user').textContent()).toBeTruthy();
  }, 120_000);

  it('a sign-in revoked mid-shift: the next alarm still takes over and sounds, read-only, under the sign-in box', async () => {
    await g.t.gw.db.prisma.session.updateMany({ where: { revokedAt: null }, data: { revokedAt: new Date() } });
    const box = page.locator('[data-testid=relogin]');
    await box.waitFor({ timeout: 30_000 });
    // The station's read-only board connects by itself: the link is live again, no dead-link tone, and the box says what still works.
    await page.locator('[data-testid=login-ended][data-board=board]').waitFor();
    await page.locator('[data-testid=link-indicator][data-status=live]').waitFor({ timeout: 30_000 });
    await expect.poll(() => root('linkTone')).toBe('off');
    // Its stream is supervised like a guard's: each heartbeat is acknowledged on the station cookie, and accepted.
    const boardAck = await page.waitForResponse((r) => r.url().endsWith('/api/v1/live/board-ack'), { timeout: 30_000 });
    expect(boardAck.status()).toBe(204);
    expect(await page.locator('[data-testid=login-ended]').textContent()).toContain('新报警仍会显示并响铃');
    expect(await page.locator('[data-testid=read-only]').count()).toBe(1);

    await (g.devices.get('alarm-out-03') as AlarmButton).press();
    await page.locator('.takeover').waitFor({ timeout: 30_000 });
    expect(await page.locator('.takeover').textContent()).toContain('户外一键报警柱 03');
    await expect.poll(() => root('siren')).toBe('playing');
    // Read-only: no acknowledge button under the box, the takeover says a sign-in is needed.
    expect(await page.locator('[data-action=takeover-ack]').count()).toBe(0);
    await page.locator('[data-testid=takeover-read-only]').waitFor();
    await expect.poll(async () => Number(await root('sirenCycles')), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    // The sign-in box lies on top of the takeover: the topmost element at its centre belongs to the box.
    const card = await box.locator('form.login-card').boundingBox();
    const onTop = await page.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.closest('[data-testid=relogin]') !== null, { x: (card?.x ?? 0) + (card?.width ?? 0) / 2, y: (card?.y ?? 0) + (card?.height ?? 0) / 2 });
    expect(onTop).toBe(true);
    await screenshotSizes(page, 'signed-out-board');

    // Signing in again with the PIN in the box: the full board is back, and the alarm can be acknowledged.
    await box.locator('input[name=username]').fill('guard1');
    await box.locator('input[name=pin]').fill(PIN);
    await box.getByRole('button', { name: '登录', exact: true }).click();
    await box.waitFor({ state: 'detached' });
    await page.locator('[data-testid=link-indicator][data-status=live]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid=read-only]').count()).toBe(0);
    await page.locator('[data-action=takeover-ack]').click();
    await page.locator('.takeover').waitFor({ state: 'detached' });
  }, 120_000);

  it('a browser that is not a station: password only, and signed out it says nothing new arrives', async () => {
    const other = await guardScreen(browser, g.t.httpUrl, 'guard2');
    const p = other.page;
    await g.t.gw.db.prisma.session.updateMany({ where: { revokedAt: null }, data: { revokedAt: new Date() } });
    await p.locator('[data-testid=relogin]').waitFor({ timeout: 30_000 });
    expect(await p.locator('[data-testid=login-ended]').textContent()).toContain('本机未登记为值班台');
    expect(await p.locator('input[name=pin]').count()).toBe(0);
    await p.locator('[data-testid=link-down][data-signed-out=true]').waitFor();
    expect(await p.locator('[data-testid=link-down]').textContent()).not.toContain('正在自动重新连接');
    await (g.devices.get('alarm-out-04') as AlarmButton).press();
    // The station's read-only board (first page) shows it; this browser cannot.
    await page.locator('[data-testid=relogin]').waitFor({ timeout: 30_000 });
    await page.locator('.takeover').waitFor({ timeout: 30_000 });
    expect(await p.locator('.takeover').count()).toBe(0);
    await other.context.close();
  }, 120_000);
  it('an admin revokes the station on the stations page: its read-only board and PIN sign-in end', async () => {
    const admin = await guardScreen(browser, g.t.httpUrl, 'admin');
    const p = admin.page;
    // The alarm of the test before is still open: the admin acknowledges its takeover first.
    await p.locator('[data-action=takeover-ack]').click();
    await p.locator('.takeover').waitFor({ state: 'detached' });
    await p.goto('/admin/stations');
    // Another browser: not a station itself, so the page offers to register it.
    await p.locator('[data-testid=station-register]').waitFor();
    const row = p.locator('tr[data-station]', { hasText: '东门岗亭' });
    await row.waitFor();
    // Used since: its read-only board fetched tickets while the guard was signed out.
    expect(await row.locator('[data-col=last-used]').textContent()).not.toBe('从未');
    await row.locator('[data-action=revoke]').click();
    await row.locator('[data-action=revoke-confirm]').click();
    await p.locator('tr[data-station][data-state=revoked]', { hasText: '东门岗亭' }).waitFor();
    expect((await g.t.gw.db.prisma.guardStation.findFirstOrThrow({ where: { name: '东门岗亭' } })).revokedAt).not.toBeNull();
    // The guard-room browser is no station any more: its read-only board stopped, and after a reload the sign-in asks
    // for the password, not the PIN.
    await page.locator('[data-testid=read-only]').waitFor({ state: 'detached', timeout: 30_000 });
    await page.reload();
    await page.locator('form.login-card[data-login-mode=password]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid=login-station]').count()).toBe(0);
    await admin.context.close();
  }, 120_000);
});
