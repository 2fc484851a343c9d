import { describe, expect, it } from 'vitest';
import type { IngestedEvent } from '../bus';
import { catalogue } from '../contracts';
import { EMPTY_STATE, flatten, foldEvent, foldMessage } from './state';

const at = (s: number) => new Date(Date.UTC(2026, 10, 21, 12, 0, s));
const env = { eventId: 'e1', ts: '2026-11-21T20:00:00+08:00' };

describe('foldMessage', () => {
  it('records a door opening with its cause and keeps the first time of an unchanged state', () => {
    const open = foldMessage(EMPTY_STATE, { channel: 'door/state', payload: { ...env, state: 'open', cause: 'exit_button' }, receivedAt: at(1) });
    expect(open.door).toEqual({ state: 'open', cause: 'exit_button', since: at(1).toISOString() });
    const again = foldMessage(open, { channel: 'door/state', payload: { ...env, state: 'open', cause: 'unknown' }, receivedAt: at(5) });
    expect(again.door?.since).toBe(at(1).toISOString());
    expect(again.lastSeenAt).toEqual(at(5));
  });

  it('reads a raised barrier as open and a lowered one as closed', () => {
    const raised = foldMessage(EMPTY_STATE, { channel: 'barrier/state', payload: { ...env, state: 'raised', cause: 'grant' }, receivedAt: at(1) });
    expect(raised.door?.state).toBe('open');
    expect(foldMessage(raised, { channel: 'barrier/state', payload: { ...env, state: 'lowered', cause: 'grant' }, receivedAt: at(2) }).door?.state).toBe('closed');
  });

  it('keeps the lamp state and a low battery', () => {
    const lamp = foldMessage(EMPTY_STATE, { channel: 'light/state', payload: { ...env, on: false, brightness: 0, powerW: 0.8, voltage: 221, fault: 'lamp_failure' }, receivedAt: at(1) });
    expect(lamp.lamp).toMatchObject({ on: false, fault: 'lamp_failure' });
    expect(foldMessage(EMPTY_STATE, { channel: 'battery/low', payload: { ...env, percent: 9 }, receivedAt: at(1) }).batteryPercent).toBe(9);
  });

  it('ignores a payload that does not match its channel except as a sign of life', () => {
    const s = foldMessage(EMPTY_STATE, { channel: 'door/state', payload: { nonsense: true }, receivedAt: at(3) });
    expect(s).toEqual({ ...EMPTY_STATE, lastSeenAt: at(3) });
  });

  it('returns the same object when nothing changed', () => {
    const s = { ...EMPTY_STATE, lastSeenAt: at(9) };
    expect(foldMessage(s, { channel: 'heartbeat', payload: {}, receivedAt: at(2) })).toBe(s);
  });
});

describe('foldEvent (the live path, payloads already validated by ingest)', () => {
  const events: readonly IngestedEvent[] = [
    { deviceId: 'd', kind: 'face_terminal', name: 'doorState', payload: { ...env, state: 'open', cause: 'grant' }, deviceTime: at(0), receivedAt: at(1) },
    { deviceId: 'd', kind: 'vehicle_gate', name: 'barrierState', payload: { ...env, state: 'lowered', cause: 'manual' }, deviceTime: at(0), receivedAt: at(2) },
    { deviceId: 'd', kind: 'streetlight', name: 'lightState', payload: { ...env, on: true, brightness: 80, powerW: 41, voltage: 223, fault: null }, deviceTime: at(0), receivedAt: at(3) },
    { deviceId: 'd', kind: 'outdoor_alarm', name: 'lowBattery', payload: { ...env, percent: 7 }, deviceTime: at(0), receivedAt: at(4) },
    { deviceId: 'd', kind: 'outdoor_alarm', name: 'heartbeat', payload: { ...env, uptimeSec: 60 }, deviceTime: at(0), receivedAt: at(5) },
  ];

  it('folds every channel exactly as the stored message of the same event folds', () => {
    let live = EMPTY_STATE;
    let stored = EMPTY_STATE;
    for (const e of events) {
      live = foldEvent(live, e);
      stored = foldMessage(stored, { channel: catalogue[e.name].channel, payload: e.payload, receivedAt: e.receivedAt });
      expect(live).toEqual(stored);
    }
    expect(live).toEqual({
      lastSeenAt: at(5),
      door: { state: 'closed', cause: 'manual', since: at(2).toISOString() },
      lamp: { on: true, brightness: 80, powerW: 41, voltage: 223, fault: null, at: at(3).toISOString() },
      batteryPercent: 7,
    });
  });
});

describe('flatten', () => {
  it('keeps primitive fields, names nested ones by path, counts arrays, and never shows a credential value', () => {
    expect(flatten({ ...env, requestId: 'r1', credential: { type: 'card', value: '3021457789' }, entries: [1, 2] })).toEqual({ requestId: 'r1', 'credential.type': 'card', 'entries.count': 2 });
  });
});
