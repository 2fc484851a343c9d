// The hub → cell downlink (docs/scale-out.md "The downlink"), every process started here and stopped by its PID:
// PostgreSQL and 3 NATS nodes (scripts/hub-up), the hub writer, and two cells with their own SQLite and leaf node. A
// district user sends a resident and a visitor pass to cell A over the hub's API; cell A's own HTTP API shows them and
// its main gate grants the pass over real MQTT; cell B gets nothing, and a user scoped to B cannot send to A. A refused
// command shows the cell service's error at the hub. Commands sent while A's leaf node is stopped are applied in
// order after it returns. A command published again under another message id — with and without its outcome record
// (as when a cell dies between committing the change and recording it) — is applied once. A command stored at the hub
// but never published (a hub killed between its COMMIT and the publish) is published by the outbox and applied.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StringCodec } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AcceleratedClock } from '../../devices-sim/src/clock';
import { FaceTerminal, mqttLinks } from '../../devices-sim/src/devices';
import { AdminResidentView } from '../../gateway/src/contracts/api/admin-people';
import { CredentialList } from '../../gateway/src/contracts/api/credentials';
import { HubLoginReply } from '../../gateway/src/contracts/api/hub';
import { HubDownlinkCommand, HubDownlinkList } from '../../gateway/src/contracts/api/hub-downlink';
import { PassView } from '../../gateway/src/contracts/api/passes';
import { DownlinkCommand, downlinkConsumer, downlinkSubject } from '../../gateway/src/contracts/downlink';
import { REPLICATION_STREAM } from '../../gateway/src/contracts/replication';
import { downlinkStore } from '../../gateway/src/hub/downlink-store';
import { hubRegistry } from '../../gateway/src/hub/users';
import { type AccessCompound, addAccessCompound, ensureHousehold } from '../helpers/fixtures';
import { apiClient } from '../helpers/http';
import { spawnGateway } from '../helpers/process';
import { type Hub, type Proc, type TestCell, hubNats, hubUp, prepareCell, startLeaf, startWriter, stopByPid, stopCellsAndHub } from './harness';
import { hubCli } from './hub-fixtures';

const KEY = 'downlink-test-credential-key-0123456789abcdef';
const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
const Int = z.union([z.number(), z.bigint()]).transform((v) => Number(v));

type Cell = TestCell;

/** What a test reads from (and, to play a crash, deletes in) a cell's SQLite. */
function cellDb(dbFile: string) {
  const db = new Database(dbFile);
  db.pragma('busy_timeout = 10000');
  return {
    handled: () => z.array(z.object({ commandId: z.string(), seq: Int, outcome: z.string(), entityId: z.string().nullable(), errorCode: z.string().nullable() }))
      .parse(db.prepare('SELECT commandId, seq, outcome, entityId, errorCode FROM DownlinkApplied ORDER BY rowid').all()),
    residentsNamed: (name: string) => z.object({ n: Int }).parse(db.prepare('SELECT count(*) AS n FROM Resident WHERE name = ?').get(name)).n,
    auditBy: (actorLike: string) => z.object({ n: Int }).parse(db.prepare('SELECT count(*) AS n FROM AuditLog WHERE actor LIKE ?').get(actorLike)).n,
    forget: (commandId: string) => db.prepare('DELETE FROM DownlinkApplied WHERE commandId = ?').run(commandId),
    close: () => db.close(),
  };
}

describe('hub → cell downlink (multi-process)', () => {
  const hubDir = mkdtempSync(join(tmpdir(), 'linli-hubdown-'));
  let hub: Hub | undefined;
  let writer: (Proc & { metricsUrl: string }) | undefined;
  const cells: Cell[] = [];
  let fixture: AccessCompound;
  let terminal: FaceTerminal | undefined;
  const clock = new AcceleratedClock();

  beforeAll(async () => {
    hub = await hubUp(hubDir);
    writer = await startWriter(hub);
    for (const compound of ['cell-a', 'cell-b']) {
      cells.push(await prepareCell(hubDir, hub, compound, async (prisma) => {
        if (compound === 'cell-a') fixture = await addAccessCompound(prisma, KEY);
        else await ensureHousehold(prisma, 'hh-a');
      }));
    }
    for (const c of cells) {
      c.gw = await spawnGateway({
        DATABASE_URL: `file:${c.dbFile}`, HTTP_PORT: '0', MQTT_PORT: '0', COMPOUND_ID: c.compound, HUB_NATS_URL: c.leafUrl, HUB_JS_DOMAIN: 'linli-hub', CREDENTIAL_KEY: KEY,
      });
    }
    const reg = hubRegistry(hub.pool);
    await reg.compound('cell-a', '甲小区', null);
    await reg.compound('cell-b', '乙小区', null);
    await reg.user({ username: 'b-office', displayName: '乙物业', password: 'b-office-pw-0001', scope: { kind: 'compound', id: 'cell-b' } });
  });

  afterAll(async () => {
    await terminal?.close();
    clock.stop();
    await stopCellsAndHub(hubDir, hub, writer, cells);
  });

  it('applies residents and passes at the one cell addressed, in order across a cut link, once, and shows refusals at the hub', async () => {
    const [a, b] = cells as [Cell, Cell];
    const hubApi = apiClient(writer!.metricsUrl.replace(/\/metrics$/, ''));
    const made = await hubCli(hub!.env.HUB_DATABASE_URL!, ['user', 'desk', 'district']);
    const deskPassword = /password \(shown once\): (\S+)/.exec(made)?.[1] ?? '';
    const login = async (username: string, password: string) => HubLoginReply.parse((await hubApi.post('/api/hub/auth/login', undefined, { username, password })).body).token;
    const desk = await login('desk', deskPassword);
    const bOffice = await login('b-office', 'b-office-pw-0001');
    const send = async (path: string, body?: unknown, method = 'POST', token = desk) => {
      const r = await hubApi.call(method, `/api/hub/compounds/${path}`, token, body);
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      return HubDownlinkCommand.parse(r.body);
    };
    const command = async (compound: string, id: string) => HubDownlinkCommand.parse((await hubApi.get(`/api/hub/compounds/${compound}/downlink/${id}`, desk)).body);
    // The read that first sees the answer is the one that carries a secret (shown once): it is the one returned.
    const settled = async (compound: string, id: string) => {
      let last: HubDownlinkCommand | undefined;
      await expect.poll(async () => (last = await command(compound, id)).status, { timeout: 60_000, interval: 250 }).toMatch(/^(applied|refused)$/);
      return last!;
    };
    const aDb = cellDb(a.dbFile);
    const bDb = cellDb(b.dbFile);
    const aApi = apiClient(`http://127.0.0.1:${a.gw!.http}`);
    const admin = await aApi.login(fixture.users.admin);

    // A resident for cell A: the hub stores and publishes it, cell A applies it through its own services.
    const res = await send('cell-a/residents', { householdId: 'hh-a', name: '赵六', phone: '13812345678' });
    expect(res).toMatchObject({ compound: 'cell-a', seq: 1, kind: 'resident_create', createdBy: 'desk', status: 'sent' });
    const resDone = await settled('cell-a', res.id);
    expect(resDone).toMatchObject({ status: 'applied', error: null, entityId: expect.stringMatching(/^res-/) });
    const residentId = resDone.entityId!;
    const shown = AdminResidentView.parse((await aApi.get(`/api/v1/admin/residents/${residentId}`, admin)).body);
    expect(shown).toMatchObject({ householdId: 'hh-a', name: '赵六', phoneMasked: '138****5678', status: 'active' });

    // A visitor pass for household hh-a: its code and QR reach the sender once; cell A's main gate grants it.
    const pass = await send('cell-a/passes', { householdId: 'hh-a', pass: { visitorName: '钱七', validUntil: inHours(2) } });
    const once = await settled('cell-a', pass.id);
    expect(once.status).toBe('applied');
    expect(once.secret).toMatchObject({ code: expect.any(String), qrPayload: expect.any(String) });
    expect((await command('cell-a', pass.id)).secret).toBeNull();
    const passId = once.entityId!;
    expect(PassView.parse((await aApi.get(`/api/v1/passes/${passId}`, admin)).body)).toMatchObject({ householdId: 'hh-a', visitorName: '钱七', state: 'active' });
    const gate = new FaceTerminal({ ...fixture.doors.main, link: mqttLinks({ url: `mqtt://127.0.0.1:${a.gw!.mqtt}` }), clock });
    terminal = gate;
    expect(await gate.start()).toEqual({ ok: true });
    const atGate = await gate.requestAccess({ type: 'qr', value: once.secret!.qrPayload! }, 'in');
    expect(atGate.ok && { decision: atGate.reply.decision, reason: atGate.reply.reason }).toEqual({ decision: 'grant', reason: 'visitor_pass' });

    // Credentials for the new resident: a card (its number redacted in the hub's view) and a PIN drawn by the cell,
    // handed back once; the cell lists them and its gate takes the card.
    const card = await send(`cell-a/residents/${residentId}/credentials`, { type: 'card', value: '4455667788' });
    const cardDone = await settled('cell-a', card.id);
    expect(card.body).toEqual({ residentId, credential: { type: 'card', value: '[redacted]' } });
    expect(cardDone).toMatchObject({ status: 'applied', body: { residentId, credential: { type: 'card' } }, secret: null });
    // Answered, the hub keeps no card number.
    expect(JSON.stringify(await hub!.q('SELECT * FROM downlink_command WHERE id = $1', [card.id]))).not.toContain('4455667788');
    const pin = await settled('cell-a', (await send(`cell-a/residents/${residentId}/credentials`, { type: 'pin' })).id);
    expect(pin.secret).toEqual({ pin: expect.stringMatching(/^\d{6}$/) });
    const creds = CredentialList.parse((await aApi.get(`/api/v1/residents/${residentId}/credentials`, admin)).body).credentials;
    expect(creds.map((c) => [c.id, c.type, c.hint]).sort()).toEqual([[cardDone.entityId, 'card', '7788'], [pin.entityId, 'pin', null]].sort());
    const cardAtGate = await gate.requestAccess({ type: 'card', value: '4455667788' }, 'in');
    expect(cardAtGate.ok && cardAtGate.reply.decision).toBe('grant');

    // Cell B got nothing; a user scoped to B cannot send to A or read A's commands (404, as for no compound).
    expect(bDb.handled()).toEqual([]);
    expect(bDb.residentsNamed('赵六')).toBe(0);
    expect((await hubApi.call('POST', '/api/hub/compounds/cell-a/residents', bOffice, { householdId: 'hh-a', name: '偷偷' })).status).toBe(404);
    expect((await hubApi.get('/api/hub/compounds/cell-a/downlink', bOffice)).status).toBe(404);
    expect((await hubApi.call('POST', '/api/hub/compounds/nowhere/residents', desk, { householdId: 'hh-a', name: '无处' })).status).toBe(404);
    // The cell API's own schema at the hub: a field the cell would refuse is refused here (400), nothing stored.
    expect((await hubApi.call('POST', '/api/hub/compounds/cell-a/passes', desk, { householdId: 'hh-a', pass: { visitorName: '钱七', validUntil: inHours(2), code: '123456' } })).status).toBe(400);

    // Refused by the cell's service: an unknown household. Shown at the hub with the service's code, not retried.
    const refused = await send('cell-a/residents', { householdId: 'hh-nope', name: '查无此户' });
    expect(await settled('cell-a', refused.id)).toMatchObject({ status: 'refused', entityId: null, error: { code: 'VALIDATION', message: 'no such household' } });

    // The link is cut: commands wait in the stream and apply in order when it returns.
    await stopByPid(a.leaf);
    const cut = [
      await send(`cell-a/residents/${residentId}`, { name: '赵六六' }, 'PATCH'),
      await send(`cell-a/residents/${residentId}`, { active: false }, 'PATCH'),
      await send(`cell-a/passes/${passId}/revoke`),
      await send('cell-a/residents', { householdId: 'hh-a', name: '孙八' }),
    ];
    expect(cut.map((c) => c.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
    a.leaf = (await startLeaf(hubDir, 'cell-a', hub!, a.leafPort)).proc;
    for (const c of cut) expect((await settled('cell-a', c.id)).status).toBe('applied');
    // Applied in the hub's order: the cell recorded them in seq order.
    const seqs = aDb.handled().map((h) => h.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(AdminResidentView.parse((await aApi.get(`/api/v1/admin/residents/${residentId}`, admin)).body)).toMatchObject({ name: '赵六六', status: 'inactive' });
    expect(PassView.parse((await aApi.get(`/api/v1/passes/${passId}`, admin)).body)).toMatchObject({ status: 'revoked', state: 'revoked' });
    const revokedAtGate = await gate.requestAccess({ type: 'qr', value: once.secret!.qrPayload! }, 'in');
    expect(revokedAtGate.ok && revokedAtGate.reply.decision).toBe('deny');
    // The deactivated resident's card no longer opens the gate (the cell's directory and door sets, as for a local change).
    const inactiveCard = await gate.requestAccess({ type: 'card', value: '4455667788' }, 'in');
    expect(inactiveCard.ok && inactiveCard.reply.decision).toBe('deny');
    const list = HubDownlinkList.parse((await hubApi.get('/api/hub/compounds/cell-a/downlink', desk)).body);
    expect(list.commands.map((c) => [c.seq, c.status])).toEqual([[9, 'applied'], [8, 'applied'], [7, 'applied'], [6, 'applied'], [5, 'refused'], [4, 'applied'], [3, 'applied'], [2, 'applied'], [1, 'applied']]);

    // Redelivered: the first command published again under another message id (JetStream's dedup cannot drop it),
    // once with the cell's outcome record and once without it (a cell killed between the change's commit and the
    // record): both times answered, never applied again.
    const nc = await hubNats(hub!);
    try {
      const js = nc.jetstream();
      const jsm = await nc.jetstreamManager();
      const row = z.object({ body: z.unknown(), created_at: z.date() }).parse((await hub!.q('SELECT body, created_at FROM downlink_command WHERE id = $1', [res.id]))[0]);
      const again = DownlinkCommand.parse({ v: 1, id: res.id, compound: 'cell-a', seq: 1, kind: 'resident_create', body: row.body, createdBy: 'desk', createdAt: row.created_at.toISOString() });
      const caughtUp = async (streamSeq: number) => {
        await expect.poll(async () => {
          const info = await jsm.consumers.info(REPLICATION_STREAM, downlinkConsumer('cell-a'));
          return info.ack_floor.stream_seq >= streamSeq && info.num_ack_pending === 0;
        }, { timeout: 60_000, interval: 250 }).toBe(true);
      };
      for (const attempt of ['with its record', 'without its record']) {
        if (attempt === 'without its record') aDb.forget(res.id);
        const ack = await js.publish(downlinkSubject('cell-a', 'resident_create'), StringCodec().encode(JSON.stringify(again)), { msgID: `replay-${attempt}` });
        await caughtUp(ack.seq);
        expect(aDb.residentsNamed('赵六六'), attempt).toBe(1);
        expect(aDb.residentsNamed('赵六'), attempt).toBe(0);
        expect(aDb.auditBy(`admin:hub/desk/${res.id}`), attempt).toBe(1);
        expect(aDb.handled().filter((h) => h.commandId === res.id), attempt).toEqual([{ commandId: res.id, seq: 1, outcome: 'applied', entityId: residentId, errorCode: null }]);
      }
      expect(await command('cell-a', res.id)).toMatchObject({ status: 'applied', entityId: residentId });
      // A command this cell cannot read (its body fails the cell's schema, as from a newer hub): refused, recorded, acked.
      const unreadable = { v: 1, id: randomUUID(), compound: 'cell-a', seq: 99, kind: 'resident_create', body: { householdId: 'hh-a' }, createdBy: 'desk', createdAt: new Date().toISOString() };
      const sent = await js.publish(downlinkSubject('cell-a', 'resident_create'), StringCodec().encode(JSON.stringify(unreadable)), { msgID: unreadable.id });
      await caughtUp(sent.seq);
      expect(aDb.handled().find((h) => h.commandId === unreadable.id)).toMatchObject({ seq: 99, outcome: 'refused', errorCode: 'VALIDATION' });
    } finally {
      await nc.close();
    }
    expect(a.gw!.output()).toContain('command delivered again; answered from its record');

    // A command committed at the hub but never published (a hub killed between its COMMIT and the publish): the
    // outbox finds it pending and publishes it; the cell applies it.
    const orphan = await downlinkStore(hub!.pool).add({ compound: 'cell-a', kind: 'resident_create', body: { householdId: 'hh-a', name: '周九', phone: null, relation: 'tenant', moveInAt: null }, createdBy: 'desk' });
    expect(orphan).toMatchObject({ seq: 10, status: 'pending' });
    expect(await settled('cell-a', orphan.id)).toMatchObject({ status: 'applied', publishedAt: expect.any(String) });
    expect(aDb.residentsNamed('周九')).toBe(1);
    aDb.close();
    bDb.close();
    // Both sides count it: 10 commands answered at the hub (one refused), none waiting; the cell applied 9, refused 2,
    // answered one replay from its record, and counted the other (found by its audit row only) as applied once more.
    const hubMetrics = await (await fetch(writer!.metricsUrl)).text();
    expect(hubMetrics).toContain('linli_hub_downlink_answers_total{outcome="applied"} 9');
    expect(hubMetrics).toContain('linli_hub_downlink_answers_total{outcome="refused"} 1');
    expect(hubMetrics).toContain('linli_hub_downlink_unanswered{status="sent"} 0');
    const cellMetrics = await (await fetch(`http://127.0.0.1:${a.gw!.http}/metrics`)).text();
    expect(cellMetrics).toContain('linli_downlink_commands_total{outcome="applied"} 10');
    expect(cellMetrics).toContain('linli_downlink_commands_total{outcome="refused"} 2');
    expect(cellMetrics).toContain('linli_downlink_commands_total{outcome="repeat"} 1');
  });
});
