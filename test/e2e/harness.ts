import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { AcceleratedClock } from '../../devices-sim/src/clock';
import { type AnyDevice, createDevice, mqttLinks } from '../../devices-sim/src/devices';
import { openDb } from '../../gateway/src/db/client';
import { type CommunityPlan, generateCommunity } from '../../gateway/src/demo/seed/community';
import type { SeedSecrets } from '../../gateway/src/contracts';
import { readSeedSecrets } from '../../gateway/src/demo/seed/secrets-file';
import { seedDatabase } from '../../gateway/src/demo/seed/seed';
import { ensureFirstAdmin } from '../../gateway/src/users/first-admin';
import { ensureUiBuilt } from '../../scripts/build-ui';
import { freshDatabase, startGateway, type TestGateway } from '../helpers/gateway';

export const CHROMIUM = '/usr/bin/chromium';
/** Browser tests need Debian's Chromium; on a developer machine without it they are skipped, in CI they must run. */
export const skipBrowser = !existsSync(CHROMIUM) && !process.env.CI;

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const UI_DIST = join(ROOT, 'admin-ui', 'dist');
/**
 * The tests always take their screenshots; they land in docs/screenshots/ (the ones README shows) only with
 * UPDATE_SCREENSHOTS=1, so an ordinary `npm test` leaves the working tree clean.
 */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : join(tmpdir(), 'linli-screenshots');
export const PASSWORDS = { guard1: 'night-shift-guard1', guard2: 'night-shift-guard2', admin: 'admin-pw-e2e-0001' };

/** `autoplay: false` keeps Chromium's real policy: no sound before a click or key on the page (a reload at night). */
export async function launchBrowser(opts: { autoplay?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // launch() gives every run a fresh temporary profile (--user-data-dir) of its own. Without the background-networking
    // flags Chromium keeps calling home, which here only floods refused connections.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      // The siren must sound without a click, as it does after the guard's login click in real life.
      ...(opts.autoplay === false ? [] : ['--autoplay-policy=no-user-gesture-required']),
    ],
  });
}

/** A 1920×1080 guard-room screen, signed in as `user`, on the board. */
export async function guardScreen(
  browser: Browser,
  baseUrl: string,
  user: keyof typeof PASSWORDS = 'guard1',
  viewport: { width: number; height: number } = { width: 1920, height: 1080 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, baseURL: baseUrl, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', colorScheme: 'dark' });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[${user}] page error:`, err));
  await page.goto('/');
  // Night shift look, whatever hour the test runs at (the screenshots are of the night theme).
  await page.evaluate(() => localStorage.setItem('linli.prefs', JSON.stringify({ lang: 'zh', theme: 'dark', size: 'large' })));
  await page.reload();
  await page.locator('input[name=username]').fill(user);
  await page.locator('input[name=password]').fill(PASSWORDS[user]);
  await page.getByRole('button', { name: '登录' }).click();
  // Generous: on a machine shared with other browser tests the first stream can take a while.
  await page.locator('[data-testid=link-indicator][data-status=live]').waitFor({ timeout: 30_000 });
  return { context, page };
}

export interface SeededGateway {
  t: TestGateway;
  plan: CommunityPlan;
  secrets: SeedSecrets;
  db: { dir: string; dbFile: string };
  env: Record<string, string>;
  devices: Map<string, AnyDevice>;
  clock: AcceleratedClock;
  /** Connects seeded devices to the current gateway (by id). */
  connect(ids: string[]): Promise<void>;
  /** Closes every simulated device (before a restart, or at the end). */
  disconnectAll(): Promise<void>;
}

/** Closes what a browser test opened (either may be missing when its set-up failed half-way). */
export async function closeAll(g: SeededGateway | undefined, browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await g?.disconnectAll();
  g?.clock.stop();
  await g?.t.close();
}

/** The demo community (generateCommunity, the real seed) in a fresh database, and the gateway on it serving the UI. */
export async function seededGateway(env: Record<string, string> = {}): Promise<SeededGateway> {
  await ensureUiBuilt({ quiet: true });
  const db = freshDatabase();
  const credentialKey = randomBytes(48).toString('base64url');
  const plan = generateCommunity({ scale: 1, seed: 1 });
  const raw = await openDb(db.dbFile);
  const report = await seedDatabase(raw, plan, { credentialKey, secretsFile: join(db.dir, 'device-secrets.json'), passwords: PASSWORDS });
  await raw.close();
  const secrets = readSeedSecrets(report.secretsFile);
  const fullEnv = { CREDENTIAL_KEY: credentialKey, UI_DIST_DIR: UI_DIST, ...env };
  const t = await startGateway(fullEnv, db);
  const clock = new AcceleratedClock();
  const devices = new Map<string, AnyDevice>();
  const g: SeededGateway = {
    t,
    plan,
    secrets,
    db,
    env: fullEnv,
    devices,
    clock,
    async connect(ids) {
      // A generous CONNACK bound: ~120 devices log in at once (a password hash each) on two cores shared with other
      // browser tests; 10 s was not always enough ("connack timeout" in CI-like load). It is a bound, not a wait.
      const link = mqttLinks({ url: g.t.mqttUrl, connectTimeoutMs: 60_000 });
      await Promise.all(
        ids.map(async (id) => {
          const d = secrets.devices[id];
          if (!d) throw new Error(`no seeded device ${id}`);
          const dev = createDevice({ id, kind: d.kind, secret: d.secret, link, clock });
          const r = await dev.start();
          if (!r.ok) throw new Error(`device ${id} could not connect: ${JSON.stringify(r)}`);
          devices.set(id, dev);
        }),
      );
    },
    async disconnectAll() {
      // Gracefully: each says "offline" itself (a clean disconnect sends no stale Will).
      await Promise.all([...devices.values()].map((d) => d.close()));
      devices.clear();
    },
  };
  return g;
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, name);
}

export const SIZES = [
  { name: '1920', width: 1920, height: 1080 },
  { name: '1024', width: 1024, height: 768 },
  { name: '390', width: 390, height: 844 },
] as const;

/** The same screen at a guard-room monitor, a tablet and a phone: `<name>-1920.png`, `-1024.png`, `-390.png`. */
export async function screenshotSizes(page: Page, name: string): Promise<void> {
  const before = page.viewportSize();
  for (const s of SIZES) {
    await page.setViewportSize({ width: s.width, height: s.height });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: screenshotPath(`${name}-${s.name}.png`) });
  }
  if (before) await page.setViewportSize(before);
}

export interface FirstInstall {
  t: TestGateway;
  browser: Browser;
  page: Page;
  /** The first admin's one-time password, as the first start prints it. */
  otp: string;
}

/**
 * An empty installation as the first `npm start` leaves it (main.ts): the gateway serving the UI, its first admin
 * with the generated one-time password, and a 1920×1080 page in the night theme at the sign-in form. `prepare` puts
 * what a test needs straight into the database before the browser starts; `acceptDialogs` accepts the pages'
 * confirmations.
 */
export async function firstInstall(opts: { size: 'large' | 'normal'; acceptDialogs?: boolean; prepare?: (t: TestGateway) => Promise<void> }): Promise<FirstInstall> {
  await ensureUiBuilt({ quiet: true });
  const t = await startGateway({ UI_DIST_DIR: UI_DIST });
  let browser: Browser | undefined;
  try {
    const first = await ensureFirstAdmin(t.gw.db.prisma, {});
    if (!first.created || first.source !== 'generated') throw new Error('no first admin');
    await opts.prepare?.(t);
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, baseURL: t.httpUrl, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', colorScheme: 'dark', acceptDownloads: true });
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error('page error:', err));
    if (opts.acceptDialogs === true) page.on('dialog', (d) => void d.accept());
    await page.goto('/');
    await page.evaluate((size) => localStorage.setItem('linli.prefs', JSON.stringify({ lang: 'zh', theme: 'dark', size })), opts.size);
    await page.reload();
    return { t, browser, page, otp: first.password };
  } catch (err) {
    // Half-way: the test's afterAll never saw these, so they are closed here.
    await browser?.close();
    await t.close();
    throw err;
  }
}

/** The first admin signs in with the one-time password; the page then asks for a password of their own. */
export async function signInFirstAdmin(page: Page, otp: string): Promise<void> {
  await page.locator('input[name=username]').fill('admin');
  await page.locator('input[name=password]').fill(otp);
  await page.getByRole('button', { name: '登录' }).click();
}
