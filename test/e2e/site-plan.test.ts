import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceTerminal, type Streetlight, mqttLinks } from '../../devices-sim/src/devices';
import { SitePlan } from '../../gateway/src/contracts/api/site';
import { apiClient } from '../helpers/http';
import { addEastCompound, drawnPng } from '../helpers/site-plan';
import { type SeededGateway, PASSWORDS, closeAll, guardScreen, launchBrowser, screenshotPath, seededGateway, skipBrowser } from './harness';

/** Where the admin drops the door on the drawing (fractions of it, from the top left). */
const SPOT = { x: 0.3, y: 0.62 };

/** A plan as a property office would scan it: ground, roads, three blocks, a gatehouse (1200×800 px). */
function compoundDrawing(): Buffer {
  const road: [number, number, number] = [196, 200, 206];
  const block: [number, number, number] = [150, 160, 176];
  return drawnPng(1200, 800, [
    { x: 0, y: 700, w: 1200, h: 40, rgb: road },
    { x: 560, y: 0, w: 40, h: 800, rgb: road },
    { x: 120, y: 120, w: 320, h: 140, rgb: block },
    { x: 120, y: 420, w: 320, h: 140, rgb: block },
    { x: 720, y: 160, w: 360, h: 160, rgb: block },
    { x: 900, y: 740, w: 80, h: 50, rgb: [120, 90, 60] },
  ]);
}

/** The centre of an element as a fraction of another's box (the marker on the drawing). */
async function fractionOn(page: Page, marker: string, on: string): Promise<{ x: number; y: number }> {
  const m = await page.locator(marker).boundingBox();
  const b = await page.locator(on).boundingBox();
  if (!m || !b) throw new Error(`no box for ${m ? on : marker}`);
  return { x: (m.x + m.width / 2 - b.x) / b.width, y: (m.y + m.height / 2 - b.y) / b.height };
}

/**
 * The site plan from a drawing, in a real browser against the real gateway: an admin uploads a compound's plan (a
 * PNG made here) and drags a door onto it; a guard's map then shows that door at that spot on that drawing, and the
 * door's report over MQTT changes the marker. Two compounds: each map shows its own devices.
 */
describe.skipIf(skipBrowser)('site plan from a drawing in a browser', () => {
  let g: SeededGateway;
  let browser: Browser;
  let admin: Page;
  let guard: Page;
  let eastDoor: FaceTerminal;

  beforeAll(async () => {
    g = await seededGateway({ ALERT_DISABLED_TYPES: 'light_not_lit,light_lit_in_daylight' });
    const east = await addEastCompound(g.t.gw.db.prisma);
    await g.t.gw.access.reload();
    eastDoor = new FaceTerminal({ id: 'door-e01-u1', secret: east.secrets.door, link: mqttLinks({ url: g.t.mqttUrl, connectTimeoutMs: 60_000 }), clock: g.clock });
    expect(await eastDoor.start()).toEqual({ ok: true });
    await eastDoor.reportDoor('closed', 'exit_button');
    await g.connect(['door-b01-u1']);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await eastDoor?.close();
    await closeAll(g, browser);
  });

  it('lets an admin upload the east compound\u2019s drawing and drag its door onto it', async () => {
    ({ page: admin } = await guardScreen(browser, g.t.httpUrl, 'admin'));
    await admin.locator('[data-nav="/admin/siteplan"]').click();
    await admin.locator('[data-testid=site-plan-editor]').waitFor();
    await admin.locator('[data-testid=plan-compound]').selectOption('east');
    await admin.locator('[data-plan-item=door-e01-u1]').waitFor({ timeout: 30_000 });
    // Decommissioned devices are not offered; indoor alarms never are.
    expect(await admin.locator('[data-plan-item=door-e01-old]').count()).toBe(0);

    await admin.locator('[data-testid=plan-file]').setInputFiles({ name: '东区平面图.png', mimeType: 'image/png', buffer: compoundDrawing() });
    await admin.locator('[data-testid=plan-image]').waitFor({ timeout: 30_000 });
    const stage = await admin.locator('[data-testid=plan-stage]').boundingBox();
    const chip = await admin.locator('[data-plan-item=door-e01-u1]').boundingBox();
    if (!stage || !chip) throw new Error('no editor boxes');
    // A person's drag: press on the list item, move across, let go on the drawing.
    await admin.mouse.move(chip.x + chip.width / 2, chip.y + chip.height / 2);
    await admin.mouse.down();
    await admin.mouse.move(stage.x + stage.width * 0.5, stage.y + stage.height * 0.5, { steps: 6 });
    await admin.mouse.move(stage.x + stage.width * SPOT.x, stage.y + stage.height * SPOT.y, { steps: 6 });
    await admin.mouse.up();
    await admin.locator('[data-plan-marker=door-e01-u1]').waitFor({ timeout: 30_000 });

    // Saved: the gateway holds that spot (to a pixel of the editor's drawing).
    const api = apiClient(g.t.httpUrl);
    const token = await api.login({ username: 'admin', password: PASSWORDS.admin });
    await expect.poll(async () => SitePlan.parse((await api.get('/api/v1/site?communityId=east', token)).body).devices.find((d) => d.id === 'door-e01-u1')?.plan, { timeout: 30_000 }).not.toBeNull();
    const saved = SitePlan.parse((await api.get('/api/v1/site?communityId=east', token)).body).devices.find((d) => d.id === 'door-e01-u1')?.plan;
    expect(saved?.x).toBeCloseTo(SPOT.x, 2);
    expect(saved?.y).toBeCloseTo(SPOT.y, 2);

    // The building and the lamp too, for the screenshots: a building label over a marker must stay readable.
    const drop = async (id: string, at: { x: number; y: number }) => {
      const from = await admin.locator(`[data-plan-item=${id}]`).boundingBox();
      if (!from) throw new Error(`no list item ${id}`);
      await admin.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
      await admin.mouse.down();
      await admin.mouse.move(stage.x + stage.width * at.x, stage.y + stage.height * at.y, { steps: 8 });
      await admin.mouse.up();
      await admin.locator(`[data-plan-marker=${id}]`).waitFor({ timeout: 30_000 });
    };
    await drop('e01', { x: 0.23, y: 0.24 });
    await drop('lamp-e01', { x: 0.48, y: 0.9 });
    // The "saved" notes fade on their own; the screenshots show the page without them.
    await admin.locator('.toast').first().waitFor({ state: 'detached', timeout: 30_000 });
    await expect.poll(() => admin.locator('.toast').count(), { timeout: 30_000 }).toBe(0);
    const onEditor = await fractionOn(admin, '[data-plan-marker=door-e01-u1]', '[data-testid=plan-stage]');
    expect(onEditor.x).toBeCloseTo(SPOT.x, 2);
    expect(onEditor.y).toBeCloseTo(SPOT.y, 2);
    for (const s of [{ name: '1920', width: 1920, height: 1080 }, { name: '1024', width: 1024, height: 768 }]) {
      await admin.setViewportSize({ width: s.width, height: s.height });
      await admin.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await admin.screenshot({ path: screenshotPath(`site-plan-editor-${s.name}.png`) });
    }
    await admin.setViewportSize({ width: 1920, height: 1080 });
    await drop('post-e01', { x: 0.77, y: 0.95 });
  });

  it('shows the guard that door at that spot on that drawing, and follows the door\u2019s state', async () => {
    ({ page: guard } = await guardScreen(browser, g.t.httpUrl, 'guard1'));
    await guard.locator('[data-nav="/map"]').click();
    // Two compounds: the map has a selector; the first compound (the demo's) is drawn as the generated grid.
    await guard.locator('[data-testid=map-compound]').waitFor();
    await guard.locator('[data-device=door-b01-u1]').waitFor();
    expect(await guard.locator('[data-testid=drawn-map]').count()).toBe(0);
    expect(await guard.locator('[data-device=door-e01-u1]').count()).toBe(0);

    await guard.locator('[data-testid=map-compound]').selectOption('east');
    await guard.locator('[data-testid=plan-drawing]').waitFor({ timeout: 30_000 });
    const door = guard.locator('[data-device=door-e01-u1]');
    await door.waitFor();
    const at = await fractionOn(guard, '[data-device=door-e01-u1] .mark', '[data-testid=plan-drawing]');
    expect(at.x).toBeCloseTo(SPOT.x, 2);
    expect(at.y).toBeCloseTo(SPOT.y, 2);
    // Only the east compound's devices; never the decommissioned door.
    expect(await guard.locator('[data-device=door-b01-u1]').count()).toBe(0);
    expect(await guard.locator('[data-device=door-e01-old]').count()).toBe(0);
    expect(await guard.locator('[data-testid=map-compound-name]').textContent()).toBe('东区小区');

    await expect.poll(() => door.getAttribute('data-state'), { timeout: 30_000 }).toBe('closed');
    await eastDoor.reportDoor('open', 'exit_button');
    await expect.poll(() => door.getAttribute('data-state'), { timeout: 30_000 }).toBe('open');

    // The building's label is drawn above every marker: nothing covers its centre.
    const label = await guard.locator('.drawn-map .building-label').boundingBox();
    if (!label) throw new Error('no building label');
    const top = await guard.evaluate(([x, y]) => document.elementFromPoint(x ?? 0, y ?? 0)?.closest('[data-device], .alert-marker') ?? null, [label.x + label.width / 2, label.y + label.height / 2]);
    expect(top).toBeNull();

    for (const s of [{ name: '1920', width: 1920, height: 1080 }, { name: '1024', width: 1024, height: 768 }, { name: '390', width: 390, height: 844 }]) {
      await guard.setViewportSize({ width: s.width, height: s.height });
      await guard.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await guard.screenshot({ path: screenshotPath(`site-plan-guard-${s.name}.png`) });
    }
    await eastDoor.reportDoor('closed', 'exit_button');
  });

  it('filters the board by compound, never hiding an alert of no compound', async () => {
    const lamp = g.plan.devices.find((d) => d.kind === 'streetlight');
    if (!lamp) throw new Error('the seed has no streetlight');
    await g.connect([lamp.id]);
    await (g.devices.get(lamp.id) as Streetlight).fail('lamp_failure');
    await guard.locator('[data-nav="/"]').click();
    const lampCard = guard.locator('.alert-card[data-alert-type=light_fault]');
    await lampCard.waitFor({ timeout: 30_000 });
    const system = guard.locator('.alert-card[data-alert-type=escalation_unreachable]');
    await guard.locator('[data-testid=board-compound]').selectOption('east');
    await lampCard.waitFor({ state: 'detached', timeout: 30_000 });
    await system.waitFor();
    await guard.locator('[data-testid=board-compound]').selectOption(g.plan.community.id);
    await lampCard.waitFor({ timeout: 30_000 });
    await guard.locator('[data-testid=board-compound]').selectOption('');
    await lampCard.waitFor();
    await system.waitFor();
    await guard.locator('[data-nav="/map"]').click();
    await guard.locator('[data-testid=plan-drawing]').waitFor({ timeout: 30_000 });
  });

  it('moves the marker on an open map when the admin moves the door', async () => {
    await guard.setViewportSize({ width: 1920, height: 1080 });
    const api = apiClient(g.t.httpUrl);
    const token = await api.login({ username: 'admin', password: PASSWORDS.admin });
    expect((await api.call('PUT', '/api/v1/site/plans/east/placements/device/door-e01-u1', token, { x: 0.7, y: 0.4 })).status).toBe(200);
    await expect.poll(async () => (await fractionOn(guard, '[data-device=door-e01-u1] .mark', '[data-testid=plan-drawing]')).x, { timeout: 30_000 }).toBeCloseTo(0.7, 2);
  });
});
