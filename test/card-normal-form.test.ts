import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceleratedClock } from '../devices-sim/src/clock';
import { type AccessOutcome, FaceTerminal, mqttLinks } from '../devices-sim/src/devices';
import { OfflineDoor } from '../devices-sim/src/devices/face-terminal';
import { CredentialStore } from '../devices-sim/src/devices/inbound';
import { lookupHash, rawLookupHash } from '../gateway/src/auth/hash';
import { CredentialEnrolled } from '../gateway/src/contracts/api/credentials';
import { ImportReport } from '../gateway/src/contracts/api/transfer';
import { type AccessCompound, addAccessCompound } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { type ApiClient, apiClient } from './helpers/http';

/**
 * One card, however it is written: "ab12 cd34", "AB12CD34" and " ab12cd34 " are the same card at every entry point
 * (the admin API, the import, the blacklist) and at every lookup (the gateway's decision over MQTT, a door's
 * offline set). Cards stored before the normal form keep working when presented exactly as enrolled.
 */
describe('card numbers have one normal form', () => {
  let t: TestGateway;
  let c: AccessCompound;
  let api: ApiClient;
  let admin: string;
  let door: FaceTerminal;
  const clock = new AcceleratedClock();

  beforeAll(async () => {
    t = await startGateway();
    c = await addAccessCompound(t.gw.db.prisma, t.gw.credentialKey);
    await t.gw.access.reload();
    door = new FaceTerminal({ ...c.doors.main, link: mqttLinks({ url: t.mqttUrl }), clock });
    expect(await door.start()).toEqual({ ok: true });
    api = apiClient(t.httpUrl);
    admin = await api.login(c.users.admin);
  });
  afterAll(async () => {
    await door?.close();
    clock.stop();
    await t?.close();
  });

  /** The gateway's own decision (stored, not the terminal's alone). */
  const decided = async (o: AccessOutcome) => {
    if (!o.ok) throw new Error(`no answer: ${o.reason}`);
    await expect.poll(() => t.gw.db.prisma.accessEvent.count({ where: { requestId: o.requestId } }), { timeout: 10_000 }).toBe(1);
    const row = await t.gw.db.prisma.accessEvent.findFirstOrThrow({ where: { requestId: o.requestId } });
    expect(row.offline).toBe(false);
    return { decision: row.decision, reason: row.reason, residentId: row.residentId };
  };
  const present = (value: string) => door.requestAccess({ type: 'card', value }, 'in');

  it('enrols a card typed with spaces and lower case, and the reader’s upper case opens the door', async () => {
    const r = await api.call('POST', `/api/v1/residents/${c.residents.a}/credentials`, admin, { type: 'card', value: 'ab12 cd34' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(CredentialEnrolled.parse(r.body).hint).toBe('CD34');
    const row = await t.gw.db.prisma.credential.findUniqueOrThrow({ where: { id: CredentialEnrolled.parse(r.body).id } });
    expect(row.lookupHash).toBe(lookupHash(t.gw.credentialKey, 'card', 'AB12CD34'));
    for (const v of ['AB12CD34', 'ab12cd34', ' ab12 CD34 ']) expect(await decided(await present(v))).toEqual({ decision: 'grant', reason: 'resident', residentId: c.residents.a });
    // The same card again, written differently, is the same card (409), not a second one.
    const again = await api.call('POST', `/api/v1/residents/${c.residents.b}/credentials`, admin, { type: 'card', value: 'AB12CD34' });
    expect(again.status).toBe(409);
  });

  it('imports a lower-case card and finds it in upper case', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('住户');
    ws.addRow(['楼栋', '单元', '房号', '姓名', '卡号']);
    ws.addRow(['1', '1', '102', '赵敏', 'ef56ab78']);
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(Buffer.from(await wb.xlsx.writeBuffer()))]), 'cards.xlsx');
    const res = await fetch(`${t.httpUrl}/api/v1/transfer/import?communityId=test-community`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: fd });
    const report = ImportReport.parse(await res.json());
    expect(report.ok, JSON.stringify(report.issues)).toBe(true);
    expect(report.counts.cards.created).toBe(1);
    const imported = await t.gw.db.prisma.resident.findFirstOrThrow({ where: { name: '赵敏' } });
    expect((await decided(await present('EF56AB78'))).residentId).toBe(imported.id);
    const cred = await t.gw.db.prisma.credential.findFirstOrThrow({ where: { residentId: imported.id, type: 'card' } });
    expect(cred.hint).toBe('AB78');
  });

  it('blacklists a card however it is written', async () => {
    const r = await api.call('POST', '/api/v1/blacklist', admin, { type: 'card', value: 'ef56 AB78', reason: '卡已挂失' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect((await decided(await present('ef56ab78'))).decision).toBe('deny');
  });

  it('still finds a card stored before the normal form when it is presented exactly as enrolled', async () => {
    await t.gw.db.prisma.credential.create({ data: { id: 'cred-legacy', residentId: c.residents.b, type: 'card', lookupHash: rawLookupHash(t.gw.credentialKey, 'card', '77aa88bb'), hint: '88bb' } });
    await t.gw.access.reload();
    expect(await decided(await present('77aa88bb'))).toEqual({ decision: 'grant', reason: 'resident', residentId: c.residents.b });
  });

  it('a door deciding alone matches the synced hash whatever the reader reports', () => {
    const key = t.gw.credentialKey;
    const store = new CredentialStore();
    store.add({
      syncId: '01JDOORSYNC000000000000000',
      page: 1,
      pages: 1,
      keyId: 'key-00000001',
      entries: [{ type: 'card', match: lookupHash(key, 'card', 'AB12CD34'), residentId: 'r1', displayName: '王*' }],
      ts: new Date().toISOString(),
    });
    const offline = new OfflineDoor(store, key);
    expect(offline.decide('q1', 'card', 'ab12 cd34', 'in', Date.now())).toMatchObject({ decision: 'grant', reason: 'resident' });
    expect(offline.decide('q2', 'card', 'ab12cd35', 'in', Date.now())).toMatchObject({ decision: 'deny' });
  });
});
