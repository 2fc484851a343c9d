// Three cells report to one hub (docs/scale-out.md), every process started here and stopped by its PID: PostgreSQL and
// 3 NATS nodes (scripts/hub-up), the hub writer, and per cell a gateway with its own SQLite, leaf node and devices.
// One cell's link is cut for 60 s by stopping its leaf node's process and starting it again on the same port. While
// it is cut the hub raises a critical 小区网关离线 alert for that cell (no earlier than its configured window after the
// cell's last sign of life, and before the link returns) and none for the others; on return it is cleared. Afterwards
// every committed row of every table of every cell is in PostgreSQL exactly once, with no gap in any sequence, and the
// hub's /metrics (checked by promtool) shows each cell online with its watermarks.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AccessRequest, DoorState, Heartbeat, Tamper, topicFor } from '../../gateway/src/contracts';
import { addDevice } from '../helpers/fixtures';
import { spawnGateway } from '../helpers/process';
import { type CellReader, type Hub, type Proc, type TestCell, cellReader, expectUnbroken, hubNatsAuth, hubReader, hubUp, prepareCell, startLeaf, startWriter, stopByPid, stopCellsAndHub } from './harness';
import { districtDesk, hubCli } from './hub-fixtures';
import { doorTerminal, hubSession, remoteOpenAudits, sendRaw } from './hub-door';
import { randomUUID } from 'node:crypto';
import { ErrorReply } from '../../gateway/src/contracts/api/auth';
import { HubCommandList, HubDoorList, HubDoorOpenReply } from '../../gateway/src/contracts/api/hub-commands';
import type { DoorOpenCommand } from '../../gateway/src/contracts/commands';
import { hubRegistry } from '../../gateway/src/hub/users';

const OFFLINE_AFTER_MS = 15_000;
const CUT_MS = 60_000;
const COMMAND_TIMEOUT_MS = 5_000;
const REASON = '消防检查 fire check';
const CELLS = ['cell-a', 'cell-b', 'cell-c'] as const;
const CUT = 'cell-b';
const devicesOf = (cell: string) => Array.from({ length: 3 }, (_, i) => ({ id: `${cell}-door-${i}`, kind: 'face_terminal' as const, secret: `${cell}-secret-${i}-xyzw` }));

interface Cell extends TestCell {
  clients: MqttClient[];
  reader?: CellReader;
}

const HubAlertRow = z.object({ compound: z.string(), status: z.string(), severity: z.string(), title: z.string(), raised_at: z.date(), last_seen_at: z.date(), cleared_at: z.date().nullable() });

describe('three cells, one cut for 60 s (multi-process)', () => {
  const hubDir = mkdtempSync(join(tmpdir(), 'linli-hub3-'));
  let hub: Hub | undefined;
  let writer: (Proc & { metricsUrl: string }) | undefined;
  const cells: Cell[] = [];

  beforeAll(async () => {
    hub = await hubUp(hubDir);
    writer = await startWriter(hub, { HUB_CELL_OFFLINE_AFTER_MS: String(OFFLINE_AFTER_MS), HUB_CELL_CHECK_MS: '500', HUB_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) });
    for (const compound of CELLS) {
      const cell = await prepareCell(hubDir, hub, compound, async (prisma) => {
        for (const d of devicesOf(compound)) await addDevice(prisma, d);
      });
      cells.push({ ...cell, clients: [] });
    }
  });

  afterAll(async () => {
    for (const c of cells) {
      await Promise.all(c.clients.map((m) => m.endAsync(true)));
      c.reader?.close();
    }
    await stopCellsAndHub(hubDir, hub, writer, cells);
  });

  it('raises and clears the offline alert of the cut cell and ends with every row of every cell in PostgreSQL once', async () => {
    const h = hubReader(hub!);
    // Registered as each client is made: a cell's devices connect while the next cell's gateway starts.
    const connected: Promise<unknown>[] = [];
    for (const c of cells) {
      c.gw = await spawnGateway({
        DATABASE_URL: `file:${c.dbFile}`, HTTP_PORT: '0', MQTT_PORT: '0', COMPOUND_ID: c.compound, HUB_NATS_URL: c.leafUrl, HUB_JS_DOMAIN: 'linli-hub',
        REPLICATION_POLL_MS: '100', REPLICATION_RESEND_AFTER_MS: '5000', REPLICATION_BEAT_MS: '1000',
      });
      for (const d of devicesOf(c.compound)) {
        const m = mqtt.connect(`mqtt://127.0.0.1:${c.gw.mqtt}`, { clientId: d.id, username: d.id, password: d.secret, clean: false, reconnectPeriod: 200 });
        connected.push(new Promise((r) => m.once('connect', r)));
        c.clients.push(m);
      }
      c.reader = cellReader(c.dbFile);
    }
    await Promise.all(connected);
    // A district user of the hub's API (hub/http.ts), made through the hub CLI.
    const desk = await districtDesk(writer!.metricsUrl.replace(/\/metrics$/, ''), hub!.env.HUB_DATABASE_URL!);

    let n = 0;
    let published = 0;
    let settled = 0;
    const pump = setInterval(() => {
      for (const c of cells) {
        for (const [i, m] of c.clients.entries()) {
          const id = devicesOf(c.compound)[i]!.id;
          const ts = new Date().toISOString();
          const send = (topic: string, body: unknown) => {
            published++;
            m.publish(topic, JSON.stringify(body), { qos: 1 }, () => settled++);
          };
          send(topicFor('doorState', id), DoorState.parse({ eventId: `ds-${i}-${n}`, ts, state: n % 2 ? 'open' : 'closed', cause: 'grant' }));
          if (n % 4 === 0) send(topicFor('accessRequest', id), AccessRequest.parse({ eventId: `ar-${i}-${n}`, ts, requestId: `rq-${i}-${n}`, credential: { type: 'card', value: `CARD${i}${n}` }, direction: 'in' }));
          if (n % 30 === 0) send(topicFor('tamper', id), Tamper.parse({ eventId: `tp-${i}-${n}`, ts, kind: 'case_open' }));
          if (n % 10 === 0) m.publish(topicFor('heartbeat', id), JSON.stringify(Heartbeat.parse({ eventId: `hb-${i}-${n}`, ts, uptimeSec: n })), { qos: 1 });
        }
      }
      n++;
    }, 100);

    const openAlerts = async () => z.array(HubAlertRow).parse(await hub!.q("SELECT compound, status, severity, title, raised_at, last_seen_at, cleared_at FROM hub_alert WHERE type = 'gateway_offline' ORDER BY raised_at"));
    const cut = cells.find((c) => c.compound === CUT)!;
    try {
      for (const c of cells) await expect.poll(() => h.count('device_event', c.compound), { timeout: 120_000, interval: 500 }).toBeGreaterThan(50);
      expect(await openAlerts()).toEqual([]);
      // The hub's API (hub/http.ts) shows every cell online, with what its last renewal reported.
      await expect.poll(async () => [...(await desk.compounds()).values()].filter((x) => x.state === 'online' && x.lagSeconds !== null && x.lastSeenAt !== null).length, { timeout: 30_000 }).toBe(CELLS.length);

      // A remote open from the hub (docs/scale-out.md "Commands"), before the cut: door 0 of the cut cell is a terminal
      // that takes commands; a district user who may open doors, a street user whose street holds the other two cells.
      const base = writer!.metricsUrl.replace(/\/metrics$/, '');
      const pgUrl = hub!.env.HUB_DATABASE_URL!;
      const openerPw = /password \(shown once\): (\S+)/.exec(await hubCli(pgUrl, ['user', 'opener', 'district', '--name', '区值班员']))?.[1] ?? '';
      expect(await hubCli(pgUrl, ['doors', 'opener', 'on'])).toContain('may now open doors remotely');
      const reg = hubRegistry(hub!.pool);
      await reg.street('north', '北街道');
      for (const c of CELLS.filter((x) => x !== CUT)) await reg.compound(c, c, 'north');
      await reg.user({ username: 'north-desk', displayName: '北街道值班', password: 'north-desk-pw-0001', scope: { kind: 'street', id: 'north' } });
      const opener = await hubSession(base, 'opener', openerPw);
      const north = await hubSession(base, 'north-desk', 'north-desk-pw-0001');
      const door = `${CUT}-door-0`;
      const terminal = await doorTerminal(cut.clients[0]!, door);
      const listed = await opener.call('GET', `/api/hub/compounds/${CUT}/doors`);
      expect(listed.status).toBe(200);
      const doors = HubDoorList.parse(listed.body);
      expect(doors.mayOpen).toBe(true);
      expect(doors.doors.map((d) => [d.id, d.online])).toEqual(devicesOf(CUT).map((d) => [d.id, true]));
      // Outside the street user's scope: 404, like a compound that does not exist; inside it, without the grant: 403.
      expect((await north.call('GET', `/api/hub/compounds/${CUT}/doors`)).status).toBe(404);
      expect((await north.call('POST', `/api/hub/compounds/${CUT}/doors/${door}/open`, { reason: REASON })).status).toBe(404);
      expect((await north.call('POST', `/api/hub/compounds/${CELLS[0]}/doors/${CELLS[0]}-door-0/open`, { reason: REASON })).status).toBe(403);
      expect(terminal.commands).toEqual([]);
      const opened = await opener.call('POST', `/api/hub/compounds/${CUT}/doors/${door}/open`, { reason: REASON });
      expect(opened.status).toBe(200);
      const { command } = HubDoorOpenReply.parse(opened.body);
      expect(command).toMatchObject({ compound: CUT, door, status: 'answered', outcome: 'opened', username: 'opener', reason: REASON, late: false });
      expect(command.latencyMs).not.toBeNull();
      // The terminal got the open over MQTT (the command id the hub chose), and the cell audited it with the hub user.
      expect(terminal.commands).toEqual([{ type: 'open', commandId: `hub-${command.id}`, reason: REASON, ts: expect.any(String) }]);
      expect(remoteOpenAudits(cut.dbFile)).toEqual([
        { actor: 'hub:opener', door, detail: { reason: REASON, commandId: `hub-${command.id}`, via: 'hub', hubUser: '区值班员', hubScope: 'district', hubCommandId: command.id } },
      ]);
      // The same command id again (a replay), an expired command, and a command for another compound sent on this
      // cell's subject: each refused by the cell, and nothing more reaches the door.
      const replay: DoorOpenCommand = {
        v: 1, id: command.id, compound: CUT, door, reason: REASON, by: { username: 'opener', displayName: '区值班员', scope: 'district' },
        issuedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString(),
      };
      const asHub = { servers: hub!.env.HUB_NATS_URL!.split(','), ...hubNatsAuth(hub!) };
      expect(await sendRaw(asHub, replay)).toMatchObject({ id: command.id, compound: CUT, outcome: 'duplicate' });
      expect(await sendRaw(asHub, { ...replay, id: randomUUID(), expiresAt: new Date(Date.now() - 1_000).toISOString() })).toMatchObject({ outcome: 'expired' });
      expect(await sendRaw(asHub, { ...replay, id: randomUUID(), compound: CELLS[0] }, CUT)).toMatchObject({ compound: CUT, outcome: 'wrong_compound' });
      expect(terminal.commands.length).toBe(1);

      // The cut: the cell's leaf node stops (by its PID); devices keep talking to their cell, which keeps committing.
      await stopByPid(cut.leaf);
      const cutAt = Date.now();
      // A remote open now gets no answer: 504 (never 200), recorded at the hub; the door receives nothing.
      const during = await opener.call('POST', `/api/hub/compounds/${CUT}/doors/${door}/open`, { reason: REASON });
      expect(during.status).toBe(504);
      expect(['CELL_UNREACHABLE', 'CELL_NO_ANSWER']).toContain(ErrorReply.parse(during.body).error);
      expect((await opener.call('GET', `/api/hub/compounds/${CUT}/doors`)).status).toBe(504);
      const cutRows = cut.reader!.deviceEventSeqs().length;
      await expect
        .poll(async () => (await openAlerts()).filter((a) => a.status === 'open').map((a) => a.compound), { timeout: CUT_MS - 5_000, interval: 500 })
        .toEqual([CUT]);
      const [raised] = await openAlerts();
      expect(raised).toMatchObject({ compound: CUT, status: 'open', severity: 'critical', title: '小区网关离线', cleared_at: null });
      // Not before its window: the cell had been silent for at least HUB_CELL_OFFLINE_AFTER_MS when it was raised.
      expect(raised!.raised_at.getTime() - raised!.last_seen_at.getTime()).toBeGreaterThanOrEqual(OFFLINE_AFTER_MS);
      const metricsDuring = await (await fetch(writer!.metricsUrl)).text();
      expect(metricsDuring).toContain(`linli_hub_cell_online{compound="${CUT}"} 0`);
      expect(metricsDuring).toContain('linli_hub_offline_alerts_open 1');
      const states = await desk.compounds();
      expect(CELLS.map((c) => states.get(c)?.state)).toEqual(CELLS.map((c) => (c === CUT ? 'offline' : 'online')));
      // Its 小区网关离线 is among its open critical alerts.
      expect(states.get(CUT)!.openCritical).toBeGreaterThanOrEqual(1);
      // The cell goes on committing while cut off.
      await expect.poll(() => cut.reader!.deviceEventSeqs().length, { timeout: 30_000 }).toBeGreaterThan(cutRows + 50);

      // The link returns after 60 s: the same leaf port, a new process.
      await new Promise((r) => setTimeout(r, Math.max(0, cutAt + CUT_MS - Date.now())));
      expect((await openAlerts()).filter((a) => a.status === 'open').map((a) => a.compound)).toEqual([CUT]);
      const again = await startLeaf(hubDir, CUT, hub!, cut.leafPort);
      cut.leaf = again.proc;
      await expect.poll(async () => (await openAlerts()).map((a) => a.status), { timeout: 60_000, interval: 500 }).toEqual(['cleared']);
      // Back online: the command sent during the cut was never delivered later, and the hub's record shows both.
      const history = await opener.call('GET', `/api/hub/compounds/${CUT}/commands`);
      expect(HubCommandList.parse(history.body).commands.map((c) => [c.status, c.outcome])).toEqual([
        [expect.stringMatching(/^(unreachable|timeout)$/), null],
        ['answered', 'opened'],
      ]);
      expect(terminal.commands.length).toBe(1);
      expect(remoteOpenAudits(cut.dbFile).length).toBe(1);
    } finally {
      clearInterval(pump);
    }
    await expect.poll(() => settled, { timeout: 60_000 }).toBe(published);

    // Every cell, every table: exactly the cell's rows, one unbroken chain, the resend point at the end.
    for (const c of cells) {
      const cell = c.reader!;
      const generation = cell.generation()!;
      // One decision per access request, and the cut cell's remote open from the hub (an access event of its own).
      await expect.poll(() => cell.accessIds().length, { timeout: 60_000 }).toBe(cell.accessRequests() + (c.compound === CUT ? 1 : 0));
      await expect.poll(() => cell.alertOutboxLeft(), { timeout: 60_000 }).toBe(0);
      const seqs = cell.deviceEventSeqs();
      const accessIds = cell.accessIds();
      const lastAccess = cell.logLastSeq('access_event');
      try {
        await expect.poll(() => cell.confirmed('device_event'), { timeout: 180_000, interval: 500 }).toBe(seqs[seqs.length - 1]);
        await expect.poll(() => cell.confirmed('access_event'), { timeout: 120_000, interval: 500 }).toBe(lastAccess);
        await expect
          .poll(async () => {
            const ids = cell.alertChangeIds();
            return JSON.stringify((await h.chain('alert_change', c.compound, generation)).map((r) => r.seq)) === JSON.stringify(ids) && cell.confirmed('alert_change') === ids[ids.length - 1];
          }, { timeout: 120_000, interval: 500 })
          .toBe(true);
      } catch (err) {
        const relayLog = c.gw!.output().split('\n').filter((l) => l.includes('replication')).slice(-20).join('\n');
        throw new Error(`${c.compound}: ${String(err)}\ncell replication log:\n${relayLog}\nhub writer:\n${writer!.output().slice(-3000)}`, { cause: err });
      }
      const events = await h.chain('device_event', c.compound, generation);
      expect(events.map((r) => r.seq)).toEqual(seqs);
      expect(expectUnbroken(events)).toEqual([]);
      expect(await h.count('device_event', c.compound)).toBe(seqs.length);
      const access = await h.chain('access_event', c.compound, generation);
      expect(access.length).toBe(accessIds.length);
      expect(expectUnbroken(access)).toEqual([]);
      expect((await h.accessIds(c.compound)).sort()).toEqual([...accessIds].sort());
      expect(await h.count('access_event', c.compound)).toBe(accessIds.length);
      const changes = await h.chain('alert_change', c.compound, generation);
      expect(changes.length).toBeGreaterThan(0);
      expect(expectUnbroken(changes)).toEqual([]);
      await expect.poll(async () => JSON.stringify(await h.alerts(c.compound)), { timeout: 60_000, interval: 500 }).toBe(JSON.stringify(cell.alerts()));
      // Presence transitions (each device came online once): all confirmed, unbroken, in the cell's state.
      await expect.poll(() => cell.logLeft('device_presence'), { timeout: 60_000, interval: 500 }).toBe(0);
      expect(expectUnbroken(await h.chain('device_presence', c.compound, generation))).toEqual([]);
      const presence = await h.presence(c.compound);
      expect(cell.devicesOnline().map((d) => [d.id, presence.get(d.id)])).toEqual(devicesOf(c.compound).map((d) => [d.id, [true]]));
    }

    // The hub's metrics: valid exposition, every cell online, a watermark per cell and table, no offline alert open.
    await expect.poll(async () => (await (await fetch(writer!.metricsUrl)).text()).includes('linli_hub_offline_alerts_open 0'), { timeout: 30_000 }).toBe(true);
    const text = await (await fetch(writer!.metricsUrl)).text();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
    for (const c of cells) {
      expect(text).toContain(`linli_hub_cell_online{compound="${c.compound}"} 1`);
      for (const table of ['device_event', 'access_event', 'alert_change']) {
        expect(text).toContain(`linli_hub_watermark_seq{compound="${c.compound}",table="${table}"} ${await h.watermark(c.compound, c.reader!.generation()!, table)}`);
      }
    }
    expect(text).toMatch(/linli_hub_rows_committed_total\{table="access_event"\} [1-9]/);
    const after = await desk.compounds();
    expect(CELLS.map((c) => after.get(c)?.state)).toEqual(CELLS.map(() => 'online'));
  });
});
