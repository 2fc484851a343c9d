import { type DeviceKind, type UpChannel, channelsFor, isUpChannel, parseTopic, schemaOf, topicFor } from '@linli/gateway/contracts';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock';
import { Random } from '@linli/gateway/random';
import { AlarmButton, FaceTerminal, Recorder, type SentRecord, Streetlight, VehicleGate, createDevice, publishSample } from './index';

const START = Date.parse('2025-03-01T18:30:00+08:00');
const KINDS: readonly DeviceKind[] = ['face_terminal', 'vehicle_gate', 'streetlight', 'indoor_alarm', 'outdoor_alarm'];

function rig() {
  const clock = new ManualClock({ start: START });
  const recorder = new Recorder(clock);
  const make = (id: string, kind: DeviceKind) => createDevice({ id, kind, link: recorder.factory, clock, bootNonce: 'n0nce', replyTimeoutMs: 1_000 });
  return { clock, recorder, make };
}

/** Every captured message must parse against the catalogue entry of its topic; returns the channel names seen. */
function validateAll(records: readonly SentRecord[]): Map<string, Set<UpChannel>> {
  const seen = new Map<string, Set<UpChannel>>();
  for (const r of records) {
    const t = parseTopic(r.topic);
    if (!t.ok) throw new Error(`unparseable topic ${r.topic}`);
    expect(r.clientId).toBe(t.deviceId);
    const name = t.name;
    if (name === 'accessReply' || name === 'command' || name === 'error' || name === 'credentialSync') throw new Error(`device published on ${name}`);
    const parsed = schemaOf(name).safeParse(JSON.parse(r.payload));
    expect(parsed.success, `${r.topic} ${r.payload}`).toBe(true);
    seen.set(t.deviceId, (seen.get(t.deviceId) ?? new Set()).add(name));
  }
  return seen;
}

describe('simulated devices', () => {
  it('emit only contract-valid messages, covering every up channel of every kind', async () => {
    const { clock, recorder, make } = rig();
    const rng = new Random(3);
    const grant = (r: SentRecord, rec: Recorder): void => {
      if (!/\/(access\/request|plate\/read)$/.test(r.topic)) return;
      const body: unknown = JSON.parse(r.payload);
      const requestId = typeof body === 'object' && body !== null && 'requestId' in body && typeof body.requestId === 'string' ? body.requestId : '';
      rec.deliver(r.clientId, topicFor('accessReply', r.clientId), JSON.stringify({ requestId, decision: 'grant', reason: 'resident', ts: '2025-03-01T18:30:00+08:00' }));
    };
    recorder.onRecord = grant;

    for (const kind of KINDS) {
      const d = make(`sim-${kind.replace('_', '-')}`, kind);
      await d.start();
      await d.heartbeat();
      for (const name of channelsFor(kind, 'up')) if (isUpChannel(name) && name !== 'presence') await publishSample(d, name, rng);
      await d.close();
      const abrupt = make(`cut-${kind.replace('_', '-')}`, kind);
      await abrupt.start();
      await abrupt.close({ abrupt: true });
    }
    const door = make('door-b01-u1', 'face_terminal');
    const gate = make('gate-vehicle', 'vehicle_gate');
    const lamp = make('lamp-001', 'streetlight');
    const alarm = make('alarm-in-1-1-101', 'indoor_alarm');
    await Promise.all([door.start(), gate.start(), lamp.start(), alarm.start()]);
    if (!(door instanceof FaceTerminal && gate instanceof VehicleGate && lamp instanceof Streetlight && alarm instanceof AlarmButton)) throw new Error('wrong classes');

    const walked = door.walkThrough({ type: 'face', value: 'ft-000000000001' }, 'in');
    await clock.runUntilIdle();
    expect((await walked).ok).toBe(true);
    for (const state of ['open', 'closed'] as const) for (const cause of ['grant', 'remote', 'exit_button', 'key', 'unknown'] as const) await door.reportDoor(state, cause);
    for (const kind of ['case_open', 'wire_cut', 'moved', 'camera_blocked'] as const) await door.tamper(kind);
    const drove = gate.drive('陕A12345', 'in', 0.93);
    await clock.runUntilIdle();
    expect((await drove).ok).toBe(true);
    await gate.uploadOfflineLog(
      Array.from({ length: 31 }, (_, i) => ({ requestId: `r-${i}`, ts: '2025-03-01T10:00:00+08:00', direction: 'in' as const, credentialType: 'plate' as const, decision: 'grant' as const, reason: 'resident' as const })),
    );
    await lamp.setLight(true, 80);
    for (const fault of ['lamp_failure', 'driver_failure', 'over_voltage', 'under_voltage', 'leakage'] as const) await lamp.fail(fault);
    await lamp.repair();
    await alarm.press();
    await alarm.cancel();
    await alarm.lowBattery(12);

    const seen = validateAll(recorder.records);
    for (const kind of KINDS) {
      const names = seen.get(`sim-${kind.replace('_', '-')}`);
      expect([...(names ?? [])].sort()).toEqual([...channelsFor(kind, 'up')].sort());
    }
    // 31 decisions: two messages, because the contract caps a message at 30.
    expect(recorder.records.filter((r) => r.topic.endsWith('access/offline-log') && r.clientId === 'gate-vehicle')).toHaveLength(2);
    const will = recorder.records.find((r) => r.clientId === 'cut-streetlight' && r.topic.endsWith('/status') && r.payload.includes('offline'));
    expect(will?.retain).toBe(true);
  });

  it('puts a fresh boot-nonce event id and an offset timestamp on every event', async () => {
    const { recorder, make } = rig();
    const d = make('door-b01-u2', 'face_terminal');
    await d.start();
    const a = await d.publish('doorState', { state: 'open', cause: 'grant' });
    const b = await d.publish('doorState', { state: 'closed', cause: 'grant' });
    expect(a.eventId).toBe('door-b01-u2-n0nce-1');
    expect(b.eventId).toBe('door-b01-u2-n0nce-2');
    expect(recorder.records.at(-1)?.payload).toContain('"ts":"2025-03-01T18:30:00.000+08:00"');
  });

  it('refuses to build an invalid event rather than publish it', async () => {
    const { make } = rig();
    const lamp = make('lamp-002', 'streetlight');
    await lamp.start();
    expect(() => lamp.publish('lightState', { on: true, brightness: 150, powerW: 1, voltage: 220, fault: null })).toThrow();
    expect(() => lamp.publish('doorState', { state: 'open', cause: 'grant' })).toThrow(/no doorState channel/);
  });

  it('obeys set_light: reports the new state, then acknowledges the command', async () => {
    const { clock, recorder, make } = rig();
    const lamp = make('lamp-003', 'streetlight');
    await lamp.start();
    const command = { type: 'set_light', commandId: 'cmd-1', on: true, brightness: 40, ts: '2025-03-01T18:30:00+08:00' };
    recorder.deliver('lamp-003', topicFor('command', 'lamp-003'), JSON.stringify(command));
    await clock.runUntilIdle();
    const [state, ack] = recorder.records.slice(-2);
    expect(state?.topic).toBe(topicFor('lightState', 'lamp-003'));
    expect(JSON.parse(state?.payload ?? '{}')).toMatchObject({ on: true, brightness: 40, fault: null });
    expect(JSON.parse(ack?.payload ?? '{}')).toMatchObject({ commandId: 'cmd-1', result: 'done' });
    validateAll(recorder.records);
  });

  it('answers a set_light it cannot carry out with a failed ack', async () => {
    const { clock, recorder, make } = rig();
    const lamp = make('lamp-004', 'streetlight');
    await lamp.start();
    if (!(lamp instanceof Streetlight)) throw new Error('not a lamp');
    await lamp.fail('lamp_failure');
    recorder.deliver('lamp-004', topicFor('command', 'lamp-004'), JSON.stringify({ type: 'set_light', commandId: 'cmd-2', on: true, brightness: 100, ts: '2025-03-01T18:30:00+08:00' }));
    await clock.runUntilIdle();
    expect(JSON.parse(recorder.records.at(-2)?.payload ?? '{}')).toMatchObject({ on: false, fault: 'lamp_failure' });
    expect(JSON.parse(recorder.records.at(-1)?.payload ?? '{}')).toMatchObject({ commandId: 'cmd-2', result: 'failed' });
  });

  it('counts and emits invalid inbound messages instead of acting on them', async () => {
    const { recorder, make } = rig();
    const door = make('door-b02-u1', 'face_terminal');
    await door.start();
    const invalid: string[] = [];
    door.events.on('invalid', (e) => invalid.push(e.reason));
    recorder.deliver('door-b02-u1', topicFor('command', 'door-b02-u1'), '{"type":"explode"}');
    recorder.deliver('door-b02-u1', topicFor('command', 'door-b02-u1'), 'not json');
    recorder.deliver('door-b02-u1', topicFor('command', 'gate-main'), JSON.stringify({ type: 'open', commandId: 'c', reason: 'x', ts: '2025-03-01T18:30:00+08:00' }));
    recorder.deliver('door-b02-u1', 'v1/devices/door-b02-u1/door/state', '{}');
    expect(door.counters.invalid).toBe(4);
    expect(invalid).toContain('another device');
    recorder.deliver('door-b02-u1', topicFor('error', 'door-b02-u1'), JSON.stringify({ topic: 'x', code: 'invalid_json', message: 'no', ts: '2025-03-01T18:30:00+08:00' }));
    expect(door.errors).toBe(1);
  });

  it('keeps a synced credential set only once all of its pages have arrived', async () => {
    const { recorder, make } = rig();
    const door = make('door-b02-u2', 'face_terminal');
    await door.start();
    const page = (n: number) =>
      JSON.stringify({ syncId: 's-1', page: n, pages: 2, keyId: 'k-12345678', entries: [{ type: 'face', match: `ft-${n}`, displayName: '王*' }], ts: '2025-03-01T18:30:00+08:00' });
    recorder.deliver('door-b02-u2', topicFor('credentialSync', 'door-b02-u2'), page(2));
    expect(door.sync.entries).toHaveLength(0);
    recorder.deliver('door-b02-u2', topicFor('credentialSync', 'door-b02-u2'), page(1));
    expect(door.sync.entries.map((e) => e.match)).toEqual(['ft-1', 'ft-2']);
  });

  it('sends raw bytes only through sendRaw, to a catalogue name, a channel path or a full topic', async () => {
    const { recorder, make } = rig();
    const door = make('door-b01-u1', 'face_terminal');
    await door.start();
    await door.sendRaw('doorState', '{bad');
    await door.sendRaw('no/such/channel', Buffer.from([0xff, 0x00]), 0);
    await door.sendRaw('v1/devices/door-b01-u1/door/state', '{}');
    expect(recorder.records.slice(-3).map((r) => r.topic)).toEqual([
      'v1/devices/door-b01-u1/door/state',
      'v1/devices/door-b01-u1/no/such/channel',
      'v1/devices/door-b01-u1/door/state',
    ]);
  });
});
