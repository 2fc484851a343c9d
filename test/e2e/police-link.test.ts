import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmButton } from '../../devices-sim/src/devices';
import { PoliceNotification } from '../../gateway/src/contracts/api/alerts';
import { webhookReceiver } from '../helpers/webhook-receiver';
import { type SeededGateway, closeAll, guardScreen, launchBrowser, screenshotSizes, seededGateway, skipBrowser } from './harness';

/**
 * 警民一键通 in the browser, against a real local HTTP endpoint standing in for the community police: a
 * police-linked alarm post is reported at once and the board says 110 已收到; a guard's 转报警 110 on another alarm
 * while the endpoint refuses says 通知失败.
 */
describe.skipIf(skipBrowser)('police link on the guard station', () => {
  let g: SeededGateway;
  let browser: Browser;
  let page: Page;
  let refuse = false;
  let police: Awaited<ReturnType<typeof webhookReceiver>>;

  beforeAll(async () => {
    police = await webhookReceiver(() => (refuse ? 503 : 200));
    g = await seededGateway({
      POLICE_LINK_URL: police.url,
      POLICE_LINK_DEVICES: 'alarm-out-05',
      WEBHOOK_SECRET: 'police-e2e-secret-0123456789abcdef0123',
      ALERT_DISABLED_TYPES: 'light_not_lit,light_lit_in_daylight',
    });
    await g.connect(['alarm-out-05', 'alarm-out-06']);
    browser = await launchBrowser();
    ({ page } = await guardScreen(browser, g.t.httpUrl, 'guard1'));
  }, 180_000);
  afterAll(async () => {
    await closeAll(g, browser);
    await police.close();
  });

  it('a police-linked alarm post reaches the police endpoint at once; the board shows it was delivered', async () => {
    await (g.devices.get('alarm-out-05') as AlarmButton).press();
    const [call] = await police.received(1, 30_000);
    expect(PoliceNotification.parse(JSON.parse(call?.body ?? '')).alert.deviceId).toBe('alarm-out-05');
    await page.locator('.takeover').waitFor();
    await page.locator('[data-action=takeover-ack]').click();
    await page.locator('.takeover').waitFor({ state: 'detached' });
    const status = page.locator('[data-testid=police-status]');
    await status.waitFor({ timeout: 30_000 });
    expect(await status.getAttribute('data-police')).toBe('delivered');
    expect(await status.textContent()).toContain('110 已收到');
    // On the alert's card too, not only in the detail pane.
    const chip = page.locator('.alert-card[data-alert-type=alarm_press] [data-testid=police-chip]');
    await chip.waitFor({ timeout: 30_000 });
    expect(await chip.getAttribute('data-police')).toBe('delivered');
    expect(await chip.textContent()).toBe('110 已收到');
    await screenshotSizes(page, 'police-link');
  }, 120_000);

  it('a guard\'s 转报警 110 on another alarm: the endpoint refuses, and the board says the notification failed', async () => {
    refuse = true;
    await (g.devices.get('alarm-out-06') as AlarmButton).press();
    await page.locator('.takeover').waitFor({ timeout: 30_000 });
    await page.locator('[data-action=takeover-ack]').click();
    await page.locator('.takeover').waitFor({ state: 'detached' });
    await page.locator('.detail-place', { hasText: '06' }).waitFor();
    page.once('dialog', (d) => void d.accept());
    await page.locator('.detail [data-action=police]').click();
    const status = page.locator('[data-testid=police-status][data-police=failed]');
    await status.waitFor({ timeout: 30_000 });
    expect(await status.textContent()).toContain('通知 110 失败');
    const card = page.locator('.alert-card.selected');
    await card.locator('[data-testid=police-chip][data-police=failed]').waitFor({ timeout: 30_000 });
    expect(await card.locator('[data-testid=police-chip]').textContent()).toBe('110 通知失败');
    // After a reload the cards still say it (read from each alarm's history).
    await page.reload();
    await page.locator('[data-testid=link-indicator][data-status=live]').waitFor({ timeout: 30_000 });
    await page.locator('.alert-card [data-testid=police-chip][data-police=delivered]').waitFor({ timeout: 30_000 });
    await page.locator('.alert-card [data-testid=police-chip][data-police=failed]').waitFor({ timeout: 30_000 });
    await screenshotSizes(page, 'police-card');
    expect(police.calls.length).toBeGreaterThanOrEqual(2);
    const guardCalls = police.calls.map((c) => PoliceNotification.parse(JSON.parse(c.body))).filter((b) => b.reason === 'guard_request');
    expect(guardCalls[0]).toMatchObject({ requestedBy: 'guard1', alert: { deviceId: 'alarm-out-06' } });
  }, 120_000);
});
