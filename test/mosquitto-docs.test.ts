import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../gateway/src/db/client';
import { rawDevice } from './helpers/device-client';
import { addDevice } from './helpers/fixtures';
import { freshDatabase, startGateway, type TestGateway } from './helpers/gateway';

/**
 * A device maker with nothing but docs/protocol.md and Debian's mosquitto-clients (.ci/run installs them when
 * missing): every up-topic example the document shows for a door terminal, published as it says (client id =
 * username = device id, password = secret, the documented QoS), is accepted, and the examples are harmless —
 * the door/state one in particular raises no forced entry.
 */
interface DocTopic {
  channel: string;
  kinds: string[];
  qos: number;
  example: string;
}

function upTopicsFromDoc(): DocTopic[] {
  const md = readFileSync('docs/protocol.md', 'utf8');
  const up = md.slice(md.indexOf('## Device → gateway (up)'), md.indexOf('## Gateway → device (down)'));
  return up
    .split('\n### ')
    .slice(1)
    .map((section) => {
      const channel = /^`v1\/devices\/\{deviceId\}\/(.+?)`/.exec(section)?.[1];
      const kinds = /^- device kinds: (.+)$/m.exec(section)?.[1]?.match(/`([a-z_]+)`/g)?.map((k) => k.slice(1, -1));
      const qos = /^- QoS (\d)/m.exec(section)?.[1];
      const example = /```json\n([\s\S]+?)\n```/.exec(section)?.[1];
      if (!channel || !kinds || !qos || !example) throw new Error(`docs/protocol.md: cannot read the section\n${section.slice(0, 300)}`);
      return { channel, kinds, qos: Number(qos), example };
    });
}

function mosquittoPub(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('mosquitto_pub', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', (err) => resolve({ code: -1, out: String(err) }));
    child.once('close', (code) => resolve({ code, out }));
  });
}

const DOOR = { id: 'door-doc-1', kind: 'face_terminal' as const, secret: 'doc-secret-1-abcdef' };

describe('docs/protocol.md followed with stock mosquitto_pub', () => {
  let t: TestGateway;
  let dbFile: string;
  beforeAll(async () => {
    const existing = freshDatabase();
    dbFile = existing.dbFile;
    const db = await openDb(dbFile);
    await addDevice(db.prisma, DOOR);
    await db.close();
    t = await startGateway({}, existing);
  });
  afterAll(async () => t?.close());

  it('accepts every door-terminal example as documented, and the door/state example raises no forced entry (tamper, as documented, does raise its alert)', async () => {
    const topics = upTopicsFromDoc().filter((s) => s.kinds.includes(DOOR.kind));
    expect(topics.map((s) => s.channel)).toEqual(expect.arrayContaining(['access/request', 'door/state', 'heartbeat']));
    const port = new URL(t.mqttUrl).port;
    for (const s of topics) {
      // As the document says: `ts` is the device's clock now (an old ts would make the report count as late).
      const body: unknown = JSON.parse(s.example);
      const message = typeof body === 'object' && body !== null && 'ts' in body ? JSON.stringify({ ...body, ts: new Date().toISOString() }) : s.example;
      const r = await mosquittoPub(['-h', '127.0.0.1', '-p', port, '-i', DOOR.id, '-u', DOOR.id, '-P', DOOR.secret, '-q', String(s.qos), '-t', `v1/devices/${DOOR.id}/${s.channel}`, '-m', message]);
      // QoS 1: exit 0 only after the PUBACK, i.e. after the gateway committed the event.
      expect(r.code, `${s.channel}: ${r.out}`).toBe(0);
    }
    const db = new Database(dbFile, { readonly: true });
    try {
      const stored = new Set((db.prepare('SELECT channel FROM DeviceEvent WHERE deviceId = ?').all(DOOR.id) as { channel: string }[]).map((r) => r.channel));
      expect(stored.size).toBeGreaterThan(0);
      const doorState = JSON.parse(topics.find((s) => s.channel === 'door/state')!.example) as { eventId: string };
      expect(db.prepare('SELECT count(*) AS n FROM DeviceEvent WHERE deviceId = ? AND eventId = ?').get(DOOR.id, doorState.eventId)).toEqual({ n: 1 });
      // The tamper example (published after door/state) does raise its alert: once it is there, the rules have
      // seen the door/state example too, and it raised no forced entry.
      const alertTypes = () => (db.prepare('SELECT type FROM Alert WHERE deviceId = ?').all(DOOR.id) as { type: string }[]).map((a) => a.type);
      await expect.poll(alertTypes, { timeout: 15_000 }).toContain('tamper');
      expect(alertTypes()).not.toContain('forced_entry');
    } finally {
      db.close();
    }
  }, 180_000);

  it('a device maker watches the errors topic with mosquitto_sub on the diagnostic session while the device stays connected', async () => {
    const port = new URL(t.mqttUrl).port;
    const { client: device } = await rawDevice(t.mqttUrl, DOOR);
    let deviceClosed = false;
    device.on('close', () => (deviceClosed = true));
    const isOnline = async () => (await t.gw.db.prisma.device.findUniqueOrThrow({ where: { id: DOOR.id } })).online;
    await expect.poll(isOnline, { timeout: 10_000 }).toBe(true);

    const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', port, '-i', `${DOOR.id}:diag`, '-u', DOOR.id, '-P', DOOR.secret, '-t', `v1/devices/${DOOR.id}/errors`, '-v', '-C', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    sub.stdout.on('data', (d: Buffer) => (out += d.toString()));
    sub.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => sub.once('close', resolve));
    // mosquitto_sub says nothing when it has subscribed: the device sends a bad message until the watcher sees one.
    let n = 0;
    const sender = setInterval(() => void device.publishAsync(`v1/devices/${DOOR.id}/heartbeat`, `not json ${n++}`, { qos: 0 }), 300);
    try {
      expect(await exited).toBe(0);
    } finally {
      clearInterval(sender);
    }
    expect(out).toContain(`v1/devices/${DOOR.id}/errors`);
    expect(out).toContain('invalid_json');
    // Read-only: a PUBLISH on the diagnostic session closes it, nothing is stored, and the device never noticed.
    const pub = await mosquittoPub(['-h', '127.0.0.1', '-p', port, '-i', `${DOOR.id}:diag`, '-u', DOOR.id, '-P', DOOR.secret, '-q', '1', '-t', `v1/devices/${DOOR.id}/heartbeat`, '-m', JSON.stringify({ eventId: 'diag-hb-1', ts: new Date().toISOString(), uptimeSec: 1 })]);
    expect(pub.code).not.toBe(0);
    expect(await t.gw.db.prisma.deviceEvent.count({ where: { deviceId: DOOR.id, eventId: 'diag-hb-1' } })).toBe(0);
    expect(deviceClosed).toBe(false);
    expect(device.connected).toBe(true);
    expect(await isOnline()).toBe(true);
    await device.endAsync();
  }, 180_000);
});
