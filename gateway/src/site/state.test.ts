import { describe, expect, it } from 'vitest';
import { EMPTY_STATE, flatten, foldMessage } from './state';

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

describe('flatten', () => {
  it('keeps primitive fields, names nested ones by path, counts arrays, and never shows a credential value', () => {
    expect(flatten({ ...env, requestId: 'r1', credential: { type: 'card', value: '3021457789' }, entries: [1, 2] })).toEqual({ requestId: 'r1', 'credential.type': 'card', 'entries.count': 2 });
  });
});
