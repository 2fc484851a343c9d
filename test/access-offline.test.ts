import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceleratedClock } from '../devices-sim/src/clock';
import { FaceTerminal, mqttLinks } from '../devices-sim/src/devices';
import { PassCreated, PassView } from '../gateway/src/contracts/api/passes';
import { type AccessCompound, addAccessCompound } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { type ApiClient, apiClient } from './helpers/http';
import { tcpProxy } from './helpers/tcp-proxy';

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

describe('a door terminal cut off from the gateway', () => {
  let t: TestGateway;
  let c: AccessCompound;
  let api: ApiClient;
  let proxy: Awaited<ReturnType<typeof tcpProxy>>;
  let main: FaceTerminal;
  let door: FaceTerminal;
  const clock = new AcceleratedClock();

  beforeAll(async () => {
    t = await startGateway();
    c = await addAccessCompound(t.gw.db.prisma, t.gw.credentialKey);
    await t.gw.access.reload();
    api = apiClient(t.httpUrl);
    proxy = await tcpProxy(t.ports.mqtt);
    main = new FaceTerminal({ ...c.doors.main, link: mqttLinks({ url: t.mqttUrl }), clock });
    // The unit door reaches the gateway through the relay; it holds the community key, provisioned at installation.
    door = new FaceTerminal({ ...c.doors.b1, credentialKey: t.gw.credentialKey, link: mqttLinks({ url: proxy.url, backoff: { baseMs: 50, capMs: 200 } }), clock });
    expect(await main.start()).toEqual({ ok: true });
    expect(await door.start()).toEqual({ ok: true });
  });
  afterAll(async () => {
    await door?.close();
    await main?.close();
    clock.stop();
    await proxy?.close();
    await t?.close();
  });

  it('keeps admitting from its synced set while cut off, and the gateway reconciles the entries after reconnecting', async () => {
    const tokenA = await api.login(c.users.a);
    const tokenB = await api.login(c.users.b);
    const pass = PassCreated.parse((await api.post('/api/v1/passes', tokenA, { visitorName: '张三', validUntil: inHours(2) })).body);
    const elsewhere = PassCreated.parse((await api.post('/api/v1/passes', tokenB, { visitorName: '赵六', validUntil: inHours(2) })).body);
    // Online at the main gate: one of the pass's two entries is used.
    expect((await main.requestAccess({ type: 'qr', value: pass.qr.payload }, 'in')).ok).toBe(true);
    await expect.poll(() => door.sync.entries.find((e) => e.passId === pass.id)?.entriesLeft).toBe(1);

    proxy.cut();
    await expect.poll(() => door.connected).toBe(false);

    const alone = async (type: 'qr' | 'card', value: string) => {
      const o = await door.requestAccess({ type, value }, 'in');
      return o.ok ? [o.reply.decision, o.reply.reason] : ['none', o.reason];
    };
    expect(await alone('qr', pass.qr.payload)).toEqual(['grant', 'visitor_pass']);
    expect(await alone('qr', pass.qr.payload)).toEqual(['deny', 'entries_used']);
    expect(await alone('qr', elsewhere.qr.payload)).toEqual(['deny', 'unknown_credential']);
    expect(await alone('card', c.values.cardA)).toEqual(['grant', 'resident']);
    expect(await alone('card', c.values.cardB)).toEqual(['deny', 'unknown_credential']);
    const decided = door.offline.pending.map((d) => d.requestId);
    expect(decided).toHaveLength(5);

    proxy.restore();
    await expect.poll(() => door.offline.pending.length, { timeout: 10_000 }).toBe(0);
    await expect.poll(() => t.gw.db.prisma.accessEvent.count({ where: { deviceId: c.doors.b1.id, offline: true } })).toBe(5);
    const rows = await t.gw.db.prisma.accessEvent.findMany({ where: { requestId: { in: decided } }, orderBy: { at: 'asc' } });
    expect(rows.map((r) => [r.decision, r.reason, r.passId, r.householdId])).toEqual([
      ['grant', 'visitor_pass', pass.id, 'hh-a'],
      ['deny', 'entries_used', pass.id, 'hh-a'],
      ['deny', 'unknown_credential', null, null],
      ['grant', 'resident', null, 'hh-a'],
      ['deny', 'unknown_credential', null, null],
    ]);
    // The original (device) times are kept, not the upload time.
    expect(rows.every((r) => r.at.getTime() <= r.receivedAt.getTime())).toBe(true);

    // The visitor's offline entry counts: the pass is used up, online too.
    const view = PassView.parse((await api.get(`/api/v1/passes/${pass.id}`, tokenA)).body);
    expect(view).toMatchObject({ entriesUsed: 2, state: 'used_up' });
    expect(await t.gw.db.prisma.visitorPass.findUnique({ where: { id: pass.id } })).toMatchObject({ entriesUsed: 2 });
    const online = await door.requestAccess({ type: 'qr', value: pass.qr.payload }, 'in');
    expect(online.ok && online.reply.reason).toBe('entries_used');
    expect(door.offline.pending).toHaveLength(0);
  });

  it('stores an uploaded decision once, however often it is uploaded', async () => {
    const entry = { requestId: 'offline-dup-1', ts: new Date().toISOString(), direction: 'in' as const, credentialType: 'card' as const, decision: 'grant' as const, reason: 'resident' as const, residentId: c.residents.a };
    const marker = { ...entry, requestId: 'offline-marker-1' };
    await door.uploadOfflineLog([entry]);
    await door.uploadOfflineLog([entry, marker]);
    // Written in order: once the marker is there, the repeated entry has been handled.
    await expect.poll(() => t.gw.db.prisma.accessEvent.count({ where: { requestId: 'offline-marker-1' } })).toBe(1);
    expect(await t.gw.db.prisma.accessEvent.count({ where: { requestId: 'offline-dup-1' } })).toBe(1);
  });
});
