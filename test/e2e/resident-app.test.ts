import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmButton, FaceTerminal } from '../../devices-sim/src/devices';
import { codeFromQr, qrSigningKey } from '../../gateway/src/auth/pass-code';
import { lookupHash } from '../../gateway/src/auth/hash';
import { AlertList } from '../../gateway/src/contracts/api/alerts';
import { PassCreated } from '../../gateway/src/contracts/api/passes';
import { ResidentTicketReply } from '../../gateway/src/contracts/api/resident';
import { apiClient } from '../helpers/http';
import { SseClient } from '../helpers/sse';
import { PASSWORDS, type SeededGateway, closeAll, launchBrowser, screenshotPath, screenshotSizes, seededGateway, skipBrowser } from './harness';
import { decodeImageQr } from './qr';

/** An IANA zone where it is evening (18:00–21:59) right now: "tonight" must be usable at the gate while the test runs. */
function eveningZone(): string {
  for (const tz of Intl.supportedValuesOf('timeZone')) {
    const hour = Number(new Intl.DateTimeFormat('en-US', { timeZone: tz, hour: 'numeric', hourCycle: 'h23' }).format(new Date()));
    if (hour >= 18 && hour <= 21) return tz;
  }
  throw new Error('no zone is in the evening now');
}

/**
 * The resident phone app (issue 16) at 390×844: log in, invite a visitor for tonight, the invitation card's QR is
 * the pass, the visitor's link shows it, the simulated main gate admits the visitor and the resident's screen says
 * so, one tap revokes it and the gate then refuses; the household's alarm is seen acknowledged; and no call the app
 * makes ever shows another household's data.
 */
describe.skipIf(skipBrowser)('resident phone app', () => {
  let g: SeededGateway;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  const zone = eveningZone();
  const pw = 'resident-phone-pw-0001';
  let home: { id: string; label: string; alarm: string };
  let other: { id: string; label: string; alarm: string };
  /** Every /api reply the resident's app received: method, path, status, body text. */
  const seen: Array<{ method: string; path: string; status: number; body: string }> = [];
  let otherToken: string;
  let otherPassId: string;
  let passId = '';
  let payload = '';

  beforeAll(async () => {
    g = await seededGateway({ LIVE_HEARTBEAT_SEC: '2', ALERT_DISABLED_TYPES: 'device_offline,light_not_lit,light_lit_in_daylight' });
    // Two occupied households with an indoor alarm, in different units.
    const withAlarm = g.plan.devices.filter((d) => d.kind === 'indoor_alarm' && d.householdId !== null && g.secrets.users[`r-${g.plan.households.find((h) => h.id === d.householdId)?.label}`]);
    const pick = (i: number) => {
      const d = withAlarm[i];
      const h = g.plan.households.find((x) => x.id === d?.householdId);
      if (!d || !h) throw new Error('the seed has too few households with an alarm');
      return { id: h.id, label: h.label, alarm: d.id };
    };
    home = pick(0);
    other = pick(withAlarm.length - 1);
    const prisma = g.t.gw.db.prisma;
    // The compound's own time zone decides "tonight" (not the phone's, not UTC+8 by fiat).
    await prisma.community.updateMany({ data: { timezone: zone } });
    const { hashSecret } = await import('../../gateway/src/auth/hash');
    await prisma.user.update({ where: { username: `r-${home.label}` }, data: { passwordHash: await hashSecret(pw) } });
    await prisma.user.update({ where: { username: `r-${other.label}` }, data: { passwordHash: await hashSecret(pw) } });
    await g.connect(['gate-main', home.alarm, other.alarm]);

    // The other household has a pass of its own.
    const http = apiClient(g.t.httpUrl);
    otherToken = await http.login({ username: `r-${other.label}`, password: pw });
    const r = await http.post('/api/v1/passes', otherToken, { visitorName: '李四', validUntil: new Date(Date.now() + 3_600_000).toISOString() });
    expect(r.status).toBe(201);
    otherPassId = PassCreated.parse(r.body).id;

    browser = await launchBrowser();
    // The phone is set to another zone than the compound: the app must show the compound's time.
    ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, baseURL: g.t.httpUrl, locale: 'zh-CN', timezoneId: 'UTC' });
    page = await ctx.newPage();
    page.on('pageerror', (err) => console.error('[resident] page error:', err));
    page.on('response', async (res) => {
      const url = new URL(res.url());
      if (!url.pathname.startsWith('/api/') || url.pathname.endsWith('/live')) return;
      seen.push({ method: res.request().method(), path: url.pathname + url.search, status: res.status(), body: await res.text().catch(() => '') });
    });
  });
  afterAll(() => closeAll(g, browser));

  it('refuses a staff account, then signs a resident in (zh-CN, phone width)', async () => {
    await page.goto('/m/');
    await page.locator('input[name=username]').fill('guard1');
    await page.locator('input[name=password]').fill(PASSWORDS.guard1);
    await page.getByRole('button', { name: '登录' }).click();
    await expect.poll(() => page.locator('.m-error').textContent()).toContain('不是住户账号');
    await page.screenshot({ path: screenshotPath('resident-login-390.png') });
    await page.locator('input[name=username]').fill(`r-${home.label}`);
    await page.locator('input[name=password]').fill(pw);
    await page.getByRole('button', { name: '登录' }).click();
    await page.locator('[data-testid=visitors]').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    // English on request, and back.
    await page.locator('[data-action=lang]').click();
    expect(await page.locator('[data-tab=visitors]').textContent()).toBe('Visitors');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.locator('[data-action=lang]').click();
    expect(await page.locator('[data-tab=visitors]').textContent()).toBe('访客');
    // Nothing wider than the phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  });

  it('invites a visitor for tonight and produces the invitation card whose QR is the pass', async () => {
    await page.locator('[data-action=invite]').click();
    const form = page.locator('[data-testid=invite-form]');
    await form.locator('input[name=visitorName]').fill('张三');
    await form.locator('[data-preset=tonight]').click();
    // Tonight in the compound's zone ends at its midnight.
    expect(await form.locator('[data-testid=invite-window]').textContent()).toMatch(/– 24:00$/);
    expect(await form.locator('[data-testid=invite-doors]').textContent()).toContain('小区大门 → ');
    await page.screenshot({ path: screenshotPath('resident-invite-390.png') });
    await form.locator('[data-action=invite-submit]').click();
    await page.locator('[data-testid=card-image]').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: screenshotPath('resident-card-390.png') });

    const stored = await g.t.gw.db.prisma.visitorPass.findFirst({ where: { householdId: home.id, visitorName: '张三' } });
    if (!stored) throw new Error('no pass stored');
    passId = stored.id;
    // The card's QR decodes to a signed payload whose code is this pass's (checked against the stored hash).
    const decoded = await decodeImageQr(page, '[data-testid=card-image]');
    if (decoded === null) throw new Error('the card image holds no readable QR code');
    const key = g.env.CREDENTIAL_KEY ?? '';
    const code = codeFromQr(qrSigningKey(key), decoded);
    expect(code).not.toBeNull();
    expect(lookupHash(key, 'pass', code ?? '')).toBe(stored.codeHash);
    payload = decoded;
    // The window: from now (it is evening there) to the compound's midnight.
    const midnight = new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: 'numeric', minute: 'numeric', hourCycle: 'h23' }).format(stored.validUntil);
    expect(midnight).toBe('00:00');
  });

  it("gives a visitor link whose page shows the QR and code, without the code in the link", async () => {
    const link = await page.locator('[data-action=copy-link]').getAttribute('data-link');
    if (!link) throw new Error('no visitor link');
    const code = codeFromQr(qrSigningKey(g.env.CREDENTIAL_KEY ?? ''), payload) ?? '';
    expect(link).toMatch(/\/m\/visit#[A-Za-z0-9_-]{40,}$/);
    expect(link).not.toContain(code);
    const visitor = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, locale: 'zh-CN' });
    const vp = await visitor.newPage();
    await vp.goto(link);
    await vp.locator('[data-testid=visit-code]').waitFor();
    expect((await vp.locator('[data-testid=visit-code]').textContent())?.replace(/\s/g, '')).toBe(code);
    await vp.screenshot({ path: screenshotPath('resident-visitor-link-390.png') });
    await visitor.close();
    // A forged token is simply not found.
    const bad = await apiClient(g.t.httpUrl).post('/api/v1/visit', undefined, { token: 'A'.repeat(60) });
    expect(bad.status).toBe(404);
    await page.locator('[data-action=card-done]').click();
  });

  it('shows the arrival when the visitor uses the QR at the main gate, and revokes in one tap', async () => {
    // The other household's stream is open too: it must never hear of this arrival.
    const http = apiClient(g.t.httpUrl);
    const t = await http.post('/api/v1/resident/live/ticket', otherToken);
    const otherStream = await SseClient.open(`${g.t.httpUrl}/api/v1/resident/live?ticket=${ResidentTicketReply.parse(t.body).ticket}`);
    await otherStream.next((f) => f.event === 'hello', { timeoutMs: 30_000 });

    const gate = g.devices.get('gate-main') as FaceTerminal;
    const first = await gate.requestAccess({ type: 'qr', value: payload }, 'in');
    expect(first.ok && first.reply.decision).toBe('grant');
    const arrival = page.locator('[data-testid=arrival]');
    await arrival.waitFor({ timeout: 30_000 });
    expect(await arrival.textContent()).toMatch(/^访客 张\* \d\d:\d\d 进入小区大门$/);
    // The time is the compound's wall clock.
    const hhmm = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const shown = /(\d\d:\d\d)/.exec((await arrival.textContent()) ?? '')?.[1];
    expect([hhmm.format(new Date()), hhmm.format(new Date(Date.now() - 60_000))]).toContain(shown);
    const row = page.locator(`[data-pass="${passId}"]`);
    await expect.poll(() => row.locator('[data-testid=pass-state]').textContent(), { timeout: 30_000 }).toBe('已进入 1 次');
    await page.screenshot({ path: screenshotPath('resident-arrival-390.png') });
    await screenshotSizes(page, 'resident-visitors');

    await row.locator('[data-action=revoke]').click();
    await row.locator('[data-action=revoke-confirm]').click();
    await expect.poll(() => row.locator('[data-testid=pass-state]').textContent(), { timeout: 30_000 }).toBe('已撤销');
    const next = await gate.requestAccess({ type: 'qr', value: payload }, 'in');
    expect(next.ok && next.reply.decision).toBe('deny');
    expect(next.ok && next.reply.reason).toBe('revoked');

    // The other household's own alarm reaches its stream; nothing of ours came before it.
    await (g.devices.get(other.alarm) as AlarmButton).press();
    await otherStream.next((f) => f.event === 'alarm', { timeoutMs: 30_000 });
    expect(otherStream.of('arrival')).toEqual([]);
    expect(JSON.stringify(otherStream.frames)).not.toContain(passId);
    await otherStream.close();
  });

  it("shows the household's alarm acknowledged by the guard, by role and name", async () => {
    await page.locator('[data-tab=alarms]').click();
    await (g.devices.get(home.alarm) as AlarmButton).press();
    const item = page.locator('[data-alarm]').first();
    await item.locator('.m-waiting').waitFor({ timeout: 30_000 });
    // The guard acknowledges at the guard station (its API).
    const http = apiClient(g.t.httpUrl);
    const guard = await http.login({ username: 'guard1', password: PASSWORDS.guard1 });
    let alertId = '';
    await expect
      .poll(async () => {
        const list = AlertList.parse((await http.get(`/api/v1/alerts?type=alarm_press&householdId=${home.id}`, guard)).body);
        alertId = list.alerts[0]?.id ?? '';
        return alertId;
      }, { timeout: 30_000 })
      .not.toBe('');
    expect((await http.post(`/api/v1/alerts/${alertId}/acknowledge`, guard, { note: '保安已出发' })).status).toBe(200);
    const acked = page.locator(`[data-alarm="${alertId}"] [data-testid=alarm-acked]`);
    await acked.waitFor({ timeout: 30_000 });
    const text = (await acked.textContent()) ?? '';
    expect(text).toContain('值班门卫一 已确认');
    expect(text).toContain('保安已出发');
    expect(text).not.toContain('guard1');
    await page.screenshot({ path: screenshotPath('resident-alarms-390.png') });
  });

  it('shows my data: masked credentials, consent, the privacy notice', async () => {
    await page.locator('[data-tab=me]').click();
    await page.locator('[data-testid=credentials] li').first().waitFor({ timeout: 30_000 });
    const creds = (await page.locator('[data-testid=credentials]').textContent()) ?? '';
    // No secret of this household's credentials is on screen.
    for (const c of g.secrets.credentials.filter((x) => x.householdLabel === home.label && (x.type === 'pin' || x.type === 'card'))) {
      expect(creds).not.toContain(c.value);
    }
    await page.screenshot({ path: screenshotPath('resident-me-390.png') });
    await page.locator('.m-privacy').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('resident-privacy-390.png') });
    await page.evaluate(() => window.scrollTo(0, 0));
  });

  it('withdraws face consent: the face is gone at once, the card still opens the gate', async () => {
    const mine = g.secrets.credentials.filter((x) => x.householdLabel === home.label);
    const face = mine.find((x) => x.type === 'face');
    const other = mine.find((x) => x.type === 'card') ?? mine.find((x) => x.type === 'pin');
    const consent = page.locator('[data-testid=face-consent]');
    await consent.waitFor();
    // The seed is fixed (seed 1): this household's first resident consented to face entry and holds a face credential.
    if (face === undefined || !other) throw new Error('the seeded household should have a face and another credential');
    expect(await consent.getAttribute('data-consent')).toBe('true');
    await page.locator('[data-action=withdraw]').click();
    await page.locator('[data-action=withdraw-confirm]').click();
    await page.locator('[data-testid=face-consent][data-consent=false]').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('[data-testid=credentials] [data-cred=face]').count()).toBe(0);
    const residentId = face.residentId;
    expect(await g.t.gw.db.prisma.credential.count({ where: { residentId, type: 'face' } })).toBe(0);
    const gate = g.devices.get('gate-main') as FaceTerminal;
    const byFace = await gate.requestAccess({ type: 'face', value: face.value }, 'in');
    expect(byFace.ok && byFace.reply.decision).toBe('deny');
    const byOther = await gate.requestAccess({ type: other.type, value: other.value }, 'in');
    expect(byOther.ok && byOther.reply.decision).toBe('grant');
  });

  it('changes the password from the app; the new one signs in', async () => {
    const form = page.locator('[data-testid=password-form]');
    await form.locator('input[name=current]').fill(pw);
    await form.locator('input[name=next]').fill('a-new-phone-password-2');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => form.locator('.m-note').textContent()).toContain('密码已修改');
    const http = apiClient(g.t.httpUrl);
    await http.login({ username: `r-${home.label}`, password: 'a-new-phone-password-2' });
    const old = await http.call('POST', '/api/v1/auth/login', undefined, { username: `r-${home.label}`, password: pw });
    expect(old.status).toBe(401);
  });

  it("never shows another household's passes, alarms or credentials through the app's own calls", async () => {
    const http = apiClient(g.t.httpUrl);
    expect(seen.length).toBeGreaterThan(5);
    const otherResident = (await g.t.gw.db.prisma.resident.findMany({ where: { householdId: other.id } })).map((r) => r.id);
    const otherAlerts = (await g.t.gw.db.prisma.alert.findMany({ where: { householdId: other.id } })).map((a) => a.id);
    expect(otherAlerts.length).toBeGreaterThan(0);
    for (const s of seen) {
      for (const foreign of [other.id, other.label, otherPassId, ...otherResident, ...otherAlerts]) expect(s.body, `${s.method} ${s.path}`).not.toContain(foreign);
    }
    // Replayed with the other household's token, every call that names one of our objects is a 404 like a missing id.
    const ours = seen.filter((s) => s.status < 300 && (s.path.includes(passId) || s.path.includes('/residents/')));
    expect(ours.length).toBeGreaterThan(0);
    for (const s of ours) {
      const body = s.path.endsWith('/link') ? { code: '0000000000' } : s.path.endsWith('/face-consent') ? { consent: false } : s.method === 'POST' ? {} : undefined;
      const r = await http.call(s.method, s.path, otherToken, body);
      expect(r.status, `${s.method} ${s.path}`).toBe(404);
    }
    // The household-wide lists, read with the other token, hold none of ours.
    for (const path of ['/api/v1/passes?scope=all', '/api/v1/resident/alarms', '/api/v1/resident/home']) {
      const r = await http.get(path, otherToken);
      expect(r.status).toBe(200);
      expect(JSON.stringify(r.body)).not.toContain(home.id);
      expect(JSON.stringify(r.body)).not.toContain(passId);
    }
  });

  it('shows an issued pass and its QR with the gateway unreachable (installed app, service worker)', async () => {
    // The manifest is served and the service worker controls the app.
    const manifest = await apiClient(g.t.httpUrl).get('/m/manifest.webmanifest');
    expect(manifest.status).toBe(200);
    expect(manifest.body).toMatchObject({ start_url: '/m/', display: 'standalone' });
    expect(await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL)).toMatch(/\/m\/sw\.js$/);
    // Another invitation, still valid, then the gateway goes away entirely.
    await page.locator('[data-tab=visitors]').click();
    await page.locator('[data-action=invite]').click();
    await page.locator('[data-testid=invite-form] input[name=visitorName]').fill('王五');
    await page.locator('[data-action=invite-submit]').click();
    await page.locator('[data-testid=card-image]').waitFor({ timeout: 30_000 });
    const wangwu = await g.t.gw.db.prisma.visitorPass.findFirst({ where: { householdId: home.id, visitorName: '王五' } });
    const expectedHash = wangwu?.codeHash;
    await page.locator('[data-action=card-done]').click();
    await g.disconnectAll();
    await g.t.close();
    await page.reload();
    await page.locator('[data-testid=offline]').waitFor({ timeout: 30_000 });
    const row = page.locator('[data-pass]', { hasText: '王五' });
    await row.locator('[data-action=show-card]').click();
    await page.locator('[data-testid=card-image]').waitFor({ timeout: 30_000 });
    const decoded = await decodeImageQr(page, '[data-testid=card-image]');
    const key = g.env.CREDENTIAL_KEY ?? '';
    const code = codeFromQr(qrSigningKey(key), decoded ?? '');
    expect(lookupHash(key, 'pass', code ?? '')).toBe(expectedHash);
    await page.screenshot({ path: screenshotPath('resident-offline-card-390.png') });
  });
});
