import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceTerminal } from '../../devices-sim/src/devices';
import { type SeededGateway, guardScreen, launchBrowser, screenshotSizes, seededGateway, skipBrowser, closeAll } from './harness';

/**
 * A walk-in visitor (issue 13): a guard registers a visitor standing at the gate after phoning the host; the pass
 * appears in today's visitors, and the simulated main gate admits the visitor once — and only once.
 */
describe.skipIf(skipBrowser)('walk-in visitor registration', () => {
  let g: SeededGateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    g = await seededGateway({ ALERT_DISABLED_TYPES: 'device_offline,light_not_lit,light_lit_in_daylight' });
    await g.connect(['gate-main']);
    browser = await launchBrowser();
    ({ page } = await guardScreen(browser, g.t.httpUrl, 'guard1'));
  });
  afterAll(() => closeAll(g, browser));

  it('registers a walk-in visitor, lists them today, and the gate admits them once', async () => {
    const host = g.plan.households[5];
    if (!host) throw new Error('no household in the seed');
    await page.locator('[data-nav="/visitors"]').click();
    await page.locator('[data-action=walk-in]').click();
    const form = page.locator('[data-testid=walk-in-form]');
    await form.locator('input[name=visitorName]').fill('赵六');
    await form.locator('input[name=idLast4]').fill('123X');
    await form.locator('input[name=household]').fill(host.label);
    await form.locator('input[name=reason]').fill('送药');
    // Not before the host was phoned.
    await form.locator('[data-action=walk-in-submit]').click();
    expect(await form.locator('.error-text').textContent()).toBe('请先电话联系住户，确认后再登记');
    await screenshotSizes(page, 'walk-in-form');
    await form.locator('input[name=phoned]').check();
    await form.locator('[data-action=walk-in-submit]').click();
    const code = (await page.locator('[data-testid=walk-in-code]').textContent()) ?? '';
    expect(code).toMatch(/^\d{6,12}$/);
    // In today's visitors, for the host household.
    await page.locator('tr', { hasText: '赵六' }).waitFor();
    expect(await page.locator('tr', { hasText: '赵六' }).textContent()).toContain(host.label);
    await screenshotSizes(page, 'walk-in-visitor');
    // Stored: one entry within 30 minutes, audited with the reason and who confirmed.
    const pass = await g.t.gw.db.prisma.visitorPass.findFirst({ where: { visitorName: '赵六' } });
    expect(pass).toMatchObject({ householdId: host.id, maxEntries: 1 });
    const minutes = ((pass?.validUntil.getTime() ?? 0) - (pass?.validFrom.getTime() ?? 0)) / 60_000;
    expect(minutes).toBe(30);
    const audit = await g.t.gw.db.prisma.auditLog.findFirst({ where: { action: 'pass.walk_in', entityId: pass?.id } });
    expect(JSON.parse(audit?.detail ?? '{}')).toMatchObject({ reason: '送药', idLast4: '123X', hostConfirmed: 'phone', householdId: host.id });

    // The simulated main gate: admitted once, then refused.
    const gate = g.devices.get('gate-main') as FaceTerminal;
    const first = await gate.requestAccess({ type: 'pin', value: code }, 'in');
    expect(first.ok && first.reply.decision).toBe('grant');
    const second = await gate.requestAccess({ type: 'pin', value: code }, 'in');
    expect(second.ok && second.reply.decision).toBe('deny');
  });
});
