import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmButton } from '../../devices-sim/src/devices';
import { type SeededGateway, guardScreen, launchBrowser, screenshotPath, skipBrowser, seededGateway, closeAll } from './harness';

/**
 * The guard station while the database cannot be written: the alarm is on the screen at once, marked 未保存, under
 * a banner saying why; when the database is back it is saved, and the board shows it like any alarm.
 */
describe.skipIf(skipBrowser)('guard station during a database outage', () => {
  let g: SeededGateway;
  let browser: Browser;
  let page: Page;
  let alarmId: string;

  beforeAll(async () => {
    g = await seededGateway({ LIVE_HEARTBEAT_SEC: '1', LIVE_ACK_TIMEOUT_SEC: '5', DB_HEARTBEAT_MS: '300', ALERT_DISABLED_TYPES: 'light_not_lit,light_lit_in_daylight' });
    const alarm = g.plan.devices.find((d) => d.kind === 'indoor_alarm');
    if (!alarm) throw new Error('the seed has no indoor alarm');
    alarmId = alarm.id;
    await g.connect([alarmId]);
    browser = await launchBrowser();
    ({ page } = await guardScreen(browser, g.t.httpUrl, 'guard1'));
  });
  afterAll(() => closeAll(g, browser));

  it('shows an alarm pressed during the outage marked unsaved under a banner, then saved on the board', async () => {
    const blocker = new Database(g.db.dbFile);
    blocker.exec('BEGIN EXCLUSIVE');
    try {
      const button = g.devices.get(alarmId) as AlarmButton;
      // Not awaited: the device gets no PUBACK while nothing can be stored.
      const pressed = button.press();
      const card = page.locator(`.alert-card.unsaved[data-unsaved-device="${alarmId}"]`);
      await card.waitFor({ timeout: 30_000 });
      expect(await card.locator('[data-testid=unsaved-badge]').textContent()).toBe('未保存');
      await page.locator('[data-testid=db-banner][data-reason=locked]').waitFor({ timeout: 30_000 });
      expect(await page.locator('[data-testid=db-banner]').textContent()).toContain('数据库无法写入');
      for (const [w, h] of [[1920, 1080], [1024, 768], [390, 844]] as const) {
        await page.setViewportSize({ width: w, height: h });
        await page.screenshot({ path: screenshotPath(`outage-unsaved-${w}x${h}.png`) });
      }
      await page.setViewportSize({ width: 1920, height: 1080 });
      blocker.exec('COMMIT');
      await pressed;
    } finally {
      if (blocker.inTransaction) blocker.exec('COMMIT');
      blocker.close();
    }
    // Saved: the unsaved mark goes, the alarm is an alert like any other (it takes over the screen), the banner goes.
    await page.locator(`.takeover[data-alert-id]`).waitFor({ timeout: 30_000 });
    await page.locator('.alert-card.unsaved').waitFor({ state: 'detached', timeout: 30_000 });
    await page.locator('[data-testid=db-banner]').waitFor({ state: 'detached', timeout: 30_000 });
    await page.screenshot({ path: screenshotPath('outage-saved-1920x1080.png') });
  }, 180_000);
});
