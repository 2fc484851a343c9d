// Remote opening from the duty desk page (admin-ui/src/hub/doors.tsx, docs/scale-out.md "Commands") in Debian's
// Chromium, every process started here and stopped by its PID: PostgreSQL, one NATS server (commands are plain
// request/reply; no JetStream needed), a cell gateway whose door terminal is a real MQTT client, and the hub's HTTP
// server with its commander. A district user opens the door from the page (the terminal gets the command, the page
// says it opened); then the cell is frozen (SIGSTOP): the page says plainly that no answer came and whether the door
// opened is unknown; when the cell thaws it refuses the now expired command, and the hub records that late answer.
// Stopped, the cell listens on nothing: the page says the command was not delivered.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import mqtt, { type MqttClient } from 'mqtt';
import { type NatsConnection, connect } from 'nats';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openDb } from '../../gateway/src/db/client';
import { type Commander, createCommander, setMayOpenDoors } from '../../gateway/src/hub/commands';
import { hubRegistry } from '../../gateway/src/hub/users';
import { createLogger } from '../../gateway/src/log';
import { ensureUiBuilt } from '../../scripts/build-ui';
import { UI_DIST, launchBrowser, screenshotSizes, skipBrowser } from '../e2e/harness';
import { addDevice } from '../helpers/fixtures';
import { freshDatabase } from '../helpers/gateway';
import { type GatewayProcess, freePort, spawnGateway } from '../helpers/process';
import { type Proc, spawnUntil, stopByPid } from './harness';
import { doorTerminal } from './hub-door';
import { listenLocal, testHubHttp } from './hub-fixtures';
import { type TestPg, startPg } from './pg';

const COMPOUND = 'changan-007';
const DOOR = { id: 'north-gate-1', kind: 'face_terminal' as const, secret: 'north-gate-secret-0001' };
const TIMEOUT_MS = 4_000;
const PASSWORD = 'opener-desk-pw-0001';

describe.skipIf(skipBrowser)('remote open from the duty desk page (PostgreSQL, NATS, a cell, Chromium)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'linli-hubdoor-'));
  const cellDb = freshDatabase();
  let db: TestPg | undefined;
  let nats: Proc | undefined;
  let nc: NatsConnection | undefined;
  let commander: Commander | undefined;
  let gw: GatewayProcess | undefined;
  let door: MqttClient | undefined;
  let app: FastifyInstance | undefined;
  let browser: Browser | undefined;
  let base = '';

  beforeAll(async () => {
    await ensureUiBuilt({ quiet: true });
    db = await startPg(dir);
    const port = await freePort();
    nats = await spawnUntil('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port)], {}, 'Server is ready');
    const natsUrl = `nats://127.0.0.1:${port}`;
    const cell = await openDb(cellDb.dbFile);
    await addDevice(cell.prisma, DOOR);
    await cell.prisma.device.update({ where: { id: DOOR.id }, data: { name: '北门人行闸机' } });
    await cell.close();
    gw = await spawnGateway({ DATABASE_URL: `file:${cellDb.dbFile}`, HTTP_PORT: '0', MQTT_PORT: '0', COMPOUND_ID: COMPOUND, HUB_NATS_URL: natsUrl });
    door = mqtt.connect(`mqtt://127.0.0.1:${gw.mqtt}`, { clientId: DOOR.id, username: DOOR.id, password: DOOR.secret, reconnectPeriod: 200 });
    await new Promise((r) => door!.once('connect', r));
    const reg = hubRegistry(db.pool);
    await reg.compound(COMPOUND, '长乐坊小区', null);
    await reg.user({ username: 'opener', displayName: '区值班员', password: PASSWORD, scope: { kind: 'district' } });
    expect(await setMayOpenDoors(db.pool, 'opener', true)).toBe(true);
    nc = await connect({ servers: natsUrl });
    const log = createLogger({ level: 'warn', name: 'hub-doors-ui-test' });
    commander = createCommander(nc, db.pool, { timeoutMs: TIMEOUT_MS }, log);
    app = await testHubHttp(db.pool, 'hub-doors-ui-test', { uiDir: UI_DIST, commands: { commander, timeoutMs: TIMEOUT_MS } });
    base = await listenLocal(app);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    commander?.stop();
    await nc?.close();
    await door?.endAsync(true);
    if (gw) {
      gw.child.kill('SIGCONT');
      gw.child.kill('SIGTERM');
      await gw.exited;
    }
    await stopByPid(nats);
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(cellDb.dir, { recursive: true, force: true });
  });

  it('opens a door from the page, then says plainly that a frozen cell gave no answer', async () => {
    const terminal = await doorTerminal(door!, DOOR.id);
    const context = await browser!.newContext({ viewport: { width: 1920, height: 1080 }, baseURL: base, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    await page.goto('/hub/');
    await page.locator('input[name=username]').fill('opener');
    await page.locator('input[name=password]').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.locator(`[data-testid=compound-table] tr[data-compound=${COMPOUND}] button`).click();

    // The compound's doors as its cell lists them; 远程开门 asks for a reason before anything is sent.
    const row = page.locator(`li[data-door=${DOOR.id}]`);
    await row.waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toContain('北门人行闸机');
    await row.getByRole('button', { name: '远程开门' }).click();
    const confirm = row.getByRole('button', { name: '确认开门' });
    expect(await confirm.isDisabled()).toBe(true);
    await row.locator('input[name=reason]').fill('消防检查，物业陪同');
    await confirm.click();
    const result = row.locator('[data-testid=open-result]');
    await expect.poll(() => result.textContent(), { timeout: 30_000 }).toBe('已开门（门禁设备已确认）');
    expect(terminal.commands.map((c) => c.type === 'open' && c.reason)).toEqual(['消防检查，物业陪同']);
    await page.locator('[data-testid=command-table] tbody tr[data-status=answered]').waitFor({ timeout: 30_000 });
    await screenshotSizes(page, 'hub-doors');

    // The cell freezes (SIGSTOP: its NATS subscription stays, nothing answers): the page waits out the timeout and
    // says that no answer came and whether the door opened is unknown — never that it opened.
    gw!.child.kill('SIGSTOP');
    await row.getByRole('button', { name: '远程开门' }).click();
    await row.locator('input[name=reason]').fill('快递员送货上门');
    await row.getByRole('button', { name: '确认开门' }).click();
    await expect.poll(() => result.textContent(), { timeout: 30_000 }).toContain('门是否打开未知');
    expect(await result.getAttribute('class')).toContain('hub-result-bad');
    await screenshotSizes(page, 'hub-doors-timeout');

    // Thawed, the cell takes the queued request, finds it expired and refuses it; the hub records that late answer.
    gw!.child.kill('SIGCONT');
    const Row = z.object({ status: z.string(), outcome: z.string().nullable(), late: z.boolean() });
    const latest = async () => Row.parse((await db!.pool.query("SELECT status, outcome, late FROM hub_command WHERE reason = '快递员送货上门'")).rows[0]);
    await expect.poll(latest, { timeout: 30_000 }).toEqual({ status: 'timeout', outcome: 'expired', late: true });
    expect(terminal.commands.length).toBe(1);
    await page.getByRole('button', { name: '刷新' }).first().click();
    await expect.poll(() => page.locator('[data-testid=command-table] tbody tr[data-status=timeout]').textContent(), { timeout: 30_000 }).toContain('超时后答复');

    // The cell stops: nobody listens on its subjects. The door list says so, and an open is delivered to nobody (504
    // at once, recorded as unreachable): the page says the door was not opened by it.
    gw!.child.kill('SIGTERM');
    await gw!.exited;
    await page.getByRole('button', { name: '刷新' }).first().click();
    await expect.poll(() => page.locator('[data-testid=doors-error]').textContent(), { timeout: 30_000 }).toBe('小区网关未连接到平台，无法读取门禁列表');
    // Its doors' last known state is not shown as current.
    expect(await row.locator('.hub-state').textContent()).toBe('未知');
    await row.getByRole('button', { name: '确认开门' }).click();
    await expect.poll(() => result.textContent(), { timeout: 30_000 }).toBe('小区网关未连接到平台：开门指令没有送达，门没有因此打开。');
    const statuses = z.array(z.object({ status: z.string() })).parse((await db!.pool.query('SELECT status FROM hub_command ORDER BY sent_at')).rows);
    expect(statuses.map((r) => r.status)).toEqual(['answered', 'timeout', 'unreachable']);
    expect(terminal.commands.length).toBe(1);

    // English on request.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: /Doors/ }).waitFor({ timeout: 30_000 });
    expect(await result.textContent()).toContain('the command was not delivered');
    await screenshotSizes(page, 'hub-doors-en');
    expect(errors).toEqual([]);
    await context.close();
  });
});
