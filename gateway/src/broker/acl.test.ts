import { describe, expect, it } from 'vitest';
import { clientIdentity, decidePublish, decideSubscribe } from './acl';

const door = { id: 'door-b01-u1', kind: 'face_terminal' } as const;
const lamp = { id: 'lamp-001', kind: 'streetlight' } as const;

describe('decidePublish', () => {
  it('allows a device’s own up channel of its kind', () => {
    expect(decidePublish(door, 'v1/devices/door-b01-u1/access/request', 8)).toEqual({ ok: true, name: 'accessRequest' });
    expect(decidePublish(lamp, 'v1/devices/lamp-001/light/state', 8)).toEqual({ ok: true, name: 'lightState' });
  });
  it('refuses another device’s namespace', () => {
    expect(decidePublish(door, 'v1/devices/door-b02-u1/door/state', 8)).toEqual({ ok: false, reason: 'other_device' });
  });
  it('refuses channels of another kind and down channels', () => {
    expect(decidePublish(lamp, 'v1/devices/lamp-001/door/state', 8)).toEqual({ ok: false, reason: 'not_for_kind' });
    expect(decidePublish(door, 'v1/devices/door-b01-u1/access/reply', 8)).toEqual({ ok: false, reason: 'wrong_direction' });
  });
  it('marks an unknown channel in the own namespace for an answer, not a disconnect', () => {
    expect(decidePublish(door, 'v1/devices/door-b01-u1/door/colour', 8)).toEqual({ ok: 'unknown_channel' });
  });
  it('refuses NUL, invalid UTF-8, $SYS, wildcards and deep topics', () => {
    expect(decidePublish(door, 'v1/devices/door-b01-u1/door\u0000/state', 8)).toMatchObject({ reason: 'bad_characters' });
    expect(decidePublish(door, 'v1/devices/door-b01-u1/\ufffd', 8)).toMatchObject({ reason: 'bad_characters' });
    expect(decidePublish(door, '$SYS/broker', 8)).toMatchObject({ reason: 'system_topic' });
    expect(decidePublish(door, 'v1/devices/+/door/state', 8)).toMatchObject({ reason: 'wildcard' });
    expect(decidePublish(door, 'v1/devices/door-b01-u1/a/b/c/d/e/f', 8)).toMatchObject({ reason: 'too_many_levels' });
    expect(decidePublish(door, 'other/topic', 8)).toMatchObject({ reason: 'outside_namespace' });
  });
});

describe('decideSubscribe', () => {
  it('allows only the device’s own down channels', () => {
    expect(decideSubscribe(door, 'v1/devices/door-b01-u1/access/reply', 8)).toEqual({ ok: true, name: 'accessReply' });
    expect(decideSubscribe(lamp, 'v1/devices/lamp-001/access/reply', 8)).toMatchObject({ reason: 'not_for_kind' });
    expect(decideSubscribe(door, 'v1/devices/door-b01-u1/door/state', 8)).toMatchObject({ reason: 'wrong_direction' });
    expect(decideSubscribe(door, 'v1/devices/lamp-001/commands', 8)).toMatchObject({ reason: 'other_device' });
    expect(decideSubscribe(door, '#', 8)).toMatchObject({ reason: 'wildcard' });
  });
});

describe('the diagnostic session', () => {
  const diag = { ...door, diagnostic: true } as const;
  it('is named by the client id suffix :diag', () => {
    expect(clientIdentity('door-b01-u1:diag')).toEqual({ deviceId: 'door-b01-u1', diagnostic: true });
    expect(clientIdentity('door-b01-u1')).toEqual({ deviceId: 'door-b01-u1', diagnostic: false });
  });
  it('may subscribe to the device’s own errors topic and nothing else', () => {
    expect(decideSubscribe(diag, 'v1/devices/door-b01-u1/errors', 8)).toEqual({ ok: true, name: 'error' });
    expect(decideSubscribe(diag, 'v1/devices/door-b01-u1/access/reply', 8)).toEqual({ ok: false, reason: 'read_only' });
    expect(decideSubscribe(diag, 'v1/devices/door-b02-u1/errors', 8)).toMatchObject({ reason: 'other_device' });
  });
  it('may publish nothing, not even to the device’s own up channels', () => {
    expect(decidePublish(diag, 'v1/devices/door-b01-u1/heartbeat', 8)).toEqual({ ok: false, reason: 'read_only' });
  });
});
