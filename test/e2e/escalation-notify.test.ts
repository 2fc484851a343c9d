import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookReceiver } from '../helpers/webhook-receiver';
import { type SeededGateway, guardScreen, launchBrowser, screenshotSizes, seededGateway, skipBrowser } from './harness';

/**
 * Truthful escalation (issue 13): the board says, per escalation step, whether anyone was told. The grid worker's
 * system answers 500 (the delivery gives up: "通知失败"), the community office's answers 200 (delivered), the street
 * office has no channel (nobody told) — never "已上报" when nobody heard.
 */
describe.skipIf(skipBrowser)('escalation outcomes on the board', () => {
  let g: SeededGateway;
  let browser: Browser;
  let page: Page;
  let failing: Awaited<ReturnType<typeof webhookReceiver>>;
  let working: Awaited<ReturnType<typeof webhookReceiver>>;

  beforeAll(async () => {
    failing = await webhookReceiver(() => 500);
    working = await webhookReceiver(() => 200);
    g = await seededGateway({
      ESCALATION_CHAIN: JSON.stringify([{ name: 'guard_station' }, { name: 'grid_worker', url: failing.url }, { name: 'community_office', url: working.url }, { name: 'street_office' }]),
      WEBHOOK_SECRET: 'webhook-secret-for-tests-0123456789abcdef',
      WEBHOOK_MAX_ATTEMPTS: '1',
      ALERT_ACK_SEC_MAJOR: '3',
      ALERT_SWEEP_MS: '200',
      ALERT_DISABLED_TYPES: 'device_offline,light_not_lit,light_lit_in_daylight',
    });
    browser = await launchBrowser();
    ({ page } = await guardScreen(browser, g.t.httpUrl, 'guard1'));
  });
  afterAll(async () => {
    await browser?.close();
    g?.clock.stop();
    await g?.t.close();
    await failing?.close();
    await working?.close();
  });

  it('a working chain shows no maintenance warning', async () => {
    await page.locator('.empty-title').waitFor();
    expect(await page.locator('[data-testid=chain-warning]').count()).toBe(0);
  });

  it('shows 通知失败 for a failing webhook, delivered for a working one, and nobody told where there is no channel', async () => {
    g.t.gw.bus.emit('access-incident', { type: 'held_open', deviceId: 'door-b04-u1', at: new Date(), detail: { openSec: 75 } });
    const card = page.locator('.alert-card[data-alert-type=door_held_open]');
    await card.waitFor();
    await card.click();
    // Level 1: the grid worker's system fails; the card says so in words.
    await failing.received(1, 20_000);
    await card.locator('[data-notify=failed]').waitFor({ timeout: 30_000 });
    expect(await card.locator('[data-notify=failed]').textContent()).toBe('通知失败：网格员');
    // Levels 2 and 3 follow unanswered.
    await working.received(1, 20_000);
    await expect.poll(async () => (await g.t.gw.db.prisma.alert.findFirst({ where: { type: 'door_held_open' } }))?.escalationLevel, { timeout: 30_000 }).toBe(3);
    const steps = page.locator('[data-testid=notify-steps]');
    await expect.poll(() => steps.locator('li').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-level')}:${e.getAttribute('data-notify')}`)), { timeout: 30_000 }).toEqual(['0:no_channel', '1:failed', '2:delivered', '3:no_channel']);
    expect(await steps.locator('li[data-level="1"]').textContent()).toContain('通知失败');
    expect(await steps.locator('li[data-level="3"]').textContent()).toContain('无人被通知');
    // The failure stays on the card after the chain moved on, and after a reload (from the stored history).
    await page.reload();
    await card.locator('[data-notify=failed]').waitFor({ timeout: 30_000 });
    await card.click();
    await screenshotSizes(page, 'escalation-outcomes');
  });
});
