// The hub's duty-desk page (admin-ui/src/hub/, served at /hub/ by the hub's HTTP server) in Debian's Chromium, over a
// real PostgreSQL this test starts and stops by its PID: a street user signs in, sees only their street's compounds
// and alerts (never the other street's 凤城花园 nor the unregistered compound), opens a compound's alert history, and
// annotates an alert — the note is in PostgreSQL and shown on the page — and escalates it by hand. Screenshots at 1920×1080, 1024×768 and 390×844.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hubAlerts } from '../../gateway/src/hub/cells';
import { setChain } from '../../gateway/src/hub/chain';
import { createHubEscalation } from '../../gateway/src/hub/escalation';
import { createLogger } from '../../gateway/src/log';
import { ensureUiBuilt } from '../../scripts/build-ui';
import { UI_DIST, launchBrowser, screenshotPath, screenshotSizes, skipBrowser } from '../e2e/harness';
import { C1, C2, C3, C9, PASSWORDS, fillDistrict, registerDistrict, listenLocal, testHubHttp } from './hub-fixtures';
import { type TestPg, startPg } from './pg';

/** On an alert card: opens its form with `open`, types `text` into `field`, and sends it with `send`. */
async function submitOnCard(card: Locator, open: string, field: string, text: string, send: string): Promise<void> {
  await card.getByRole('button', { name: open, exact: true }).click();
  await card.locator(field).fill(text);
  await card.getByRole('button', { name: send }).click();
}

describe.skipIf(skipBrowser)('hub duty desk in a browser (PostgreSQL, Chromium)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'linli-hubui-'));
  let db: TestPg | undefined;
  let app: FastifyInstance | undefined;
  let browser: Browser | undefined;
  let base = '';

  beforeAll(async () => {
    await ensureUiBuilt({ quiet: true });
    db = await startPg(dir);
    await registerDistrict(db.pool, db.url);
    await fillDistrict(db.pool);
    // Street A's chain at the hub: one level, without a channel (nobody can be told: shown, never silent).
    await setChain(db.pool, { kind: 'street', id: 'xianning' }, [{ name: '物业公司', url: null }]);
    app = await testHubHttp(db.pool, 'hub-ui-test', { uiDir: UI_DIST });
    base = await listenLocal(app);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a street user sees only their street, opens a compound history and annotates an alert', async () => {
    const context = await browser!.newContext({ viewport: { width: 1920, height: 1080 }, baseURL: base, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));

    // / sends the desk to /hub/, where it signs in.
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe('/hub/');
    await page.locator('input[name=username]').fill('street-a');
    await page.locator('input[name=password]').fill(PASSWORDS.street);
    await page.getByRole('button', { name: '登录' }).click();

    const rows = page.locator('[data-testid=compound-table] tbody tr');
    await rows.first().waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid=hub-scope]').textContent()).toBe('街道：咸宁路街道');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-compound')))).toEqual(expect.arrayContaining([C1.id, C2.id]));
    expect(await rows.count()).toBe(2);
    const body = (await page.locator('body').textContent()) ?? '';
    expect(body).toContain(C1.name);
    expect(body).not.toContain(C3.name);
    expect(body).not.toContain(C9);
    await screenshotSizes(page, 'hub-overview');

    // Open alerts: only this street's, most severe first.
    await page.getByRole('button', { name: '未处理报警' }).click();
    const cards = page.locator('[data-testid=open-alerts] > li');
    await cards.first().waitFor({ timeout: 30_000 });
    expect(await cards.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-alert')))).toEqual(['a1-alarm', 'b1-tamper']);
    expect((await page.locator('body').textContent()) ?? '').not.toContain(C3.name);
    await screenshotSizes(page, 'hub-alerts');
    // Filtered by severity: the critical one only.
    await page.locator('select[name=severity]').selectOption('critical');
    await expect.poll(() => cards.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-alert'))), { timeout: 30_000 }).toEqual(['a1-alarm']);

    // The alert's compound opens that compound's history, with every change the cell replicated.
    await cards.first().getByRole('button', { name: C1.name }).click();
    const history = page.locator('[data-testid=history]');
    await history.locator('li[data-alert=a2-forced]').waitFor({ timeout: 30_000 });
    expect(await history.locator('h2').textContent()).toBe(`${C1.name} · 报警记录`);
    await history.locator('[data-testid=hub-chain]').waitFor({ timeout: 30_000 });
    expect(await history.locator('[data-testid=hub-chain]').textContent()).toBe('平台升级链： 物业公司（无通知渠道） · 街道默认 · 任何一级都无法通知');
    expect(await history.locator('li[data-alert=a2-forced] .hub-changes li').allTextContents()).toEqual([
      expect.stringContaining('发生'),
      expect.stringContaining('确认'),
      expect.stringContaining('处理完毕'),
    ]);

    // Annotate the open alarm: stored at the hub, shown with the alert; it stays unacknowledged.
    const a1 = history.locator('li[data-alert=a1-alarm]');
    await submitOnCard(a1, '批注', 'textarea[name=note]', '街道已电话联系物业经理，10分钟内到场', '保存批注');
    await a1.locator('[data-testid=hub-note]').waitFor({ timeout: 30_000 });
    expect(await a1.locator('[data-testid=hub-note]').textContent()).toContain('街道已电话联系物业经理，10分钟内到场');
    expect(await a1.locator('.hub-alert-status').textContent()).toBe('未确认');
    const stored = z.array(z.object({ compound: z.string(), alert_id: z.string(), author: z.string() })).parse((await db!.pool.query('SELECT compound, alert_id, author FROM hub_alert_note')).rows);
    expect(stored).toEqual([{ compound: C1.id, alert_id: 'a1-alarm', author: 'street-a' }]);
    await screenshotSizes(page, 'hub-history');

    // 升级 by hand with a reason: the street's chain has one level and no channel, so the card shows level 1 with
    // nobody told; the reason is a note; a second 升级 is refused in words (no level left); the alert stays open.
    await submitOnCard(a1, '升级', 'input[name=reason]', '十五分钟无人到场，请物业公司处理', '升级到上一级');
    const a1esc = a1.locator('[data-testid=hub-escalation]');
    await expect.poll(async () => (await a1esc.getAttribute('data-level')) ?? '', { timeout: 30_000 }).toBe('1');
    expect(await a1esc.textContent()).toContain('平台升级：第 1 级 · 物业公司');
    expect(await a1esc.locator('[data-outcome=no_channel]').textContent()).toBe('物业公司：无人被通知（未设通知渠道）');
    await expect.poll(() => a1.locator('[data-testid=hub-note]').allTextContents(), { timeout: 30_000 }).toEqual([
      expect.stringContaining('街道已电话联系物业经理'),
      expect.stringContaining('十五分钟无人到场，请物业公司处理'),
    ]);
    expect(await a1.locator('.hub-changes li').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('平台值班人员手动升级')]));
    await submitOnCard(a1, '升级', 'input[name=reason]', '再升一级', '升级到上一级');
    await a1.locator('.hub-escalate-form [role=alert]').waitFor({ timeout: 30_000 });
    expect(await a1.locator('.hub-escalate-form [role=alert]').textContent()).toBe('已是平台升级链的最高一级（第 1 级 · 物业公司），无法再升级，请电话联系');
    expect(await a1.locator('.hub-alert-status').textContent()).toBe('未确认');
    const manual = z.array(z.object({ actor: z.string(), level: z.number(), code: z.string() })).parse((await db!.pool.query("SELECT actor, level, code FROM hub_escalation_step WHERE alert_id = 'a1-alarm'")).rows);
    expect(manual).toEqual([{ actor: 'street-a', level: 1, code: 'hub_manual' }]);
    await a1.scrollIntoViewIfNeeded();
    await screenshotSizes(page, 'hub-escalate-by-hand');
    await a1.getByRole('button', { name: '取消' }).click();

    // Response times per compound, this street only.
    await page.getByRole('button', { name: '响应统计' }).click();
    const stats = page.locator('[data-testid=stats-table] tbody tr');
    await stats.first().waitFor({ timeout: 30_000 });
    expect(await stats.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-compound')))).toEqual([C1.id, C2.id]);
    await screenshotSizes(page, 'hub-stats');

    // Escalation at the hub: compound 2's gateway goes offline; its street's chain has no channel at level 1, so the
    // card says nobody was told, and the street user acknowledges it (确认) — stored in PostgreSQL, shown on the card.
    await hubAlerts(db!.pool).raiseOffline(C2.id, new Date(), new Date());
    await createHubEscalation(db!.pool, { offlineAckSec: 300, graceSec: 60, checkMs: 1_000 }, createLogger({ level: 'silent', name: 'hub-ui-test' })).sweep();
    await page.getByRole('button', { name: '未处理报警' }).click();
    const offline = page.locator(`[data-testid=open-alerts] > li[data-compound=${C2.id}]`).filter({ hasText: '小区网关离线' });
    const esc = offline.locator('[data-testid=hub-escalation]');
    await esc.waitFor({ timeout: 30_000 });
    expect(await esc.textContent()).toContain('平台升级：第 1 级 · 物业公司');
    expect(await esc.locator('[data-outcome=no_channel]').textContent()).toBe('物业公司：无人被通知（未设通知渠道）');
    await screenshotSizes(page, 'hub-escalation');
    // The card itself on a phone (the page's first screen there is filters).
    await page.setViewportSize({ width: 390, height: 844 });
    await offline.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('hub-escalation-card-390.png') });
    await page.setViewportSize({ width: 1920, height: 1080 });
    await esc.getByRole('button', { name: '确认' }).click();
    await expect.poll(async () => (await offline.locator('.hub-alert-facts').textContent()) ?? '', { timeout: 30_000 }).toContain('street-a');
    expect(await esc.getByRole('button', { name: '确认' }).count()).toBe(0);
    const acked = z.object({ acked_by: z.string().nullable() }).parse((await db!.pool.query('SELECT acked_by FROM hub_alert WHERE compound = $1', [C2.id])).rows[0]);
    expect(acked.acked_by).toBe('street-a');

    // English on request.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('button', { name: 'Response times' }).waitFor({ timeout: 30_000 });
    expect(errors).toEqual([]);
    await context.close();
  });
});
