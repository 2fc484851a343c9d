import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoorJudged } from '../gateway/src/bus';
import { AccessReply, AccessRequest, DoorState, topicFor } from '../gateway/src/contracts';
import { type AccessCompound, addAccessCompound } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { connectClient } from './helpers/mqtt';

/**
 * A fresh access request is answered before its own commit (issue 18: the door does not wait for the disk), and
 * stored with its decision once it commits; a copy that may have been answered before is decided only if its commit
 * finds it new; a grant never overtakes an opening of the same door that is still on its way to the database.
 * The database is held by another connection (BEGIN EXCLUSIVE) so that "before the commit" is a state, not a race.
 */
describe('access requests answered before their commit', () => {
  let t: TestGateway;
  let c: AccessCompound;
  let door: MqttClient;
  /** Building 2's door, where nothing was granted before the last test (a grant covers the next opening). */
  let other: MqttClient;
  const replies: AccessReply[] = [];
  const judged: DoorJudged[] = [];

  beforeAll(async () => {
    t = await startGateway();
    c = await addAccessCompound(t.gw.db.prisma, t.gw.credentialKey);
    await t.gw.access.reload();
    const d = c.doors.b1;
    door = await connectClient(t.mqttUrl, { clientId: d.id, username: d.id, password: d.secret });
    await door.subscribeAsync(topicFor('accessReply', d.id), { qos: 1 });
    door.on('message', (_topic, payload) => replies.push(AccessReply.parse(JSON.parse(payload.toString()))));
    const d2 = c.doors.b2;
    other = await connectClient(t.mqttUrl, { clientId: d2.id, username: d2.id, password: d2.secret });
    await other.subscribeAsync(topicFor('accessReply', d2.id), { qos: 1 });
    other.on('message', (_topic, payload) => replies.push(AccessReply.parse(JSON.parse(payload.toString()))));
    t.gw.bus.on('door-judged', (j) => judged.push(j));
  });
  afterAll(async () => {
    await door?.endAsync(true);
    await other?.endAsync(true);
    await t?.close();
  });

  const request = (id: string, value: string) =>
    JSON.stringify(AccessRequest.parse({ eventId: id, ts: new Date().toISOString(), requestId: id, credential: { type: 'card', value }, direction: 'in' }));
  /** Publishes at QoS 1; `acked()` says whether the PUBACK (the request committed) has come. */
  const send = (body: string, client = door, deviceId = c.doors.b1.id) => {
    let acked = false;
    const puback = client.publishAsync(topicFor('accessRequest', deviceId), body, { qos: 1 }).then(() => (acked = true));
    return { puback, acked: () => acked };
  };
  const repliesTo = (id: string) => replies.filter((r) => r.requestId === id);
  const stored = async (requestId: string) => ({
    requests: await t.gw.db.prisma.deviceEvent.count({ where: { deviceId: c.doors.b1.id, eventId: requestId } }),
    decisions: await t.gw.db.prisma.accessEvent.findMany({ where: { deviceId: c.doors.b1.id, requestId }, select: { decision: true, reason: true } }),
  });

  it('answers while the database is locked, treats a copy sent meanwhile as answered, and stores request and decision once the lock is gone', async () => {
    const blocker = new Database(t.dbFile);
    blocker.exec('BEGIN EXCLUSIVE');
    let first!: ReturnType<typeof send>;
    let later!: ReturnType<typeof send>;
    try {
      const body = request('early-1', c.values.cardA);
      first = send(body);
      await expect.poll(() => repliesTo('early-1'), { timeout: 30_000 }).toHaveLength(1);
      expect(repliesTo('early-1')[0]).toMatchObject({ decision: 'grant', reason: 'resident' });
      // Answered, yet not acknowledged: nothing can commit while the lock is held.
      expect(first.acked()).toBe(false);
      expect(await stored('early-1')).toEqual({ requests: 0, decisions: [] });

      // The same request again, byte for byte (a door that resends before the PUBACK): it may have been answered, so
      // it waits for its commit, and so does the door's next request, which keeps the door's order.
      send(body);
      later = send(request('early-2', c.values.cardA));
      await expect.poll(() => t.gw.writer.pending(), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
      expect(repliesTo('early-2')).toEqual([]);
    } finally {
      blocker.exec('COMMIT');
      blocker.close();
    }
    await first.puback;
    await later.puback;
    await expect.poll(() => repliesTo('early-2'), { timeout: 30_000 }).toHaveLength(1);
    // Decided once: one reply and one stored decision for the request sent twice.
    expect(repliesTo('early-1')).toHaveLength(1);
    await expect.poll(() => stored('early-1'), { timeout: 30_000 }).toEqual({ requests: 1, decisions: [{ decision: 'grant', reason: 'resident' }] });
    await expect.poll(() => stored('early-2'), { timeout: 30_000 }).toEqual({ requests: 1, decisions: [{ decision: 'grant', reason: 'resident' }] });
  }, 180_000);

  it('does not decide again a copy of a request that is already stored (a PUBACK lost, a gateway restarted)', async () => {
    const body = request('early-3', '9900000001');
    await send(body).puback;
    await expect.poll(() => repliesTo('early-3'), { timeout: 30_000 }).toHaveLength(1);
    expect(repliesTo('early-3')[0]).toMatchObject({ decision: 'deny', reason: 'unknown_credential' });
    await send(body).puback;
    // The door's next request is answered; by then the copy has been through its commit, found already stored.
    await send(request('early-4', c.values.cardA)).puback;
    await expect.poll(() => repliesTo('early-4'), { timeout: 30_000 }).toHaveLength(1);
    expect(repliesTo('early-3')).toHaveLength(1);
    await expect.poll(() => stored('early-3'), { timeout: 30_000 }).toEqual({ requests: 1, decisions: [{ decision: 'deny', reason: 'unknown_credential' }] });
  }, 180_000);

  it('judges an opening still on its way to the database before a later grant at the same door could cover it', async () => {
    const d2 = c.doors.b2.id;
    const blocker = new Database(t.dbFile);
    blocker.exec('BEGIN EXCLUSIVE');
    let opened!: Promise<unknown>;
    let granted!: ReturnType<typeof send>;
    try {
      // Forced open, then a resident swipes a card at the same door while the opening cannot be stored yet.
      const open = DoorState.parse({ eventId: 'early-open-1', ts: new Date().toISOString(), state: 'open', cause: 'unknown' });
      opened = other.publishAsync(topicFor('doorState', d2), JSON.stringify(open), { qos: 1 });
      granted = send(request('early-5', c.values.cardB), other, d2);
      await expect.poll(() => t.gw.writer.pending(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
      expect(repliesTo('early-5')).toEqual([]);
    } finally {
      blocker.exec('COMMIT');
      blocker.close();
    }
    await opened;
    await granted.puback;
    await expect.poll(() => repliesTo('early-5'), { timeout: 30_000 }).toHaveLength(1);
    expect(repliesTo('early-5')[0]).toMatchObject({ decision: 'grant', reason: 'resident' });
    // The opening (the only one in this file) came first and nothing covered it: a forced entry, not an opening
    // explained by the grant that followed it.
    await expect.poll(() => judged.map((j) => j.incident?.type ?? null), { timeout: 30_000 }).toEqual(['forced_entry']);
  }, 180_000);
});
