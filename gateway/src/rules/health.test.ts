import { describe, expect, it } from 'vitest';
import { clockRule, healthRule } from './health';
import { SETTINGS, deviceEvent } from './testing';

const at = new Date('2026-11-21T12:00:00Z');

describe('device health rules', () => {
  it('raises invalid payloads as an occurrence, with the count and window', () => {
    const [d] = healthRule({ type: 'invalid_payloads', deviceId: 'lamp-007', count: 10, windowSec: 60, at });
    expect(d).toMatchObject({ type: 'invalid_payloads', severity: 'warning', key: 'invalid_payloads:lamp-007', mode: 'event', detail: { count: 10, windowSec: 60 } });
  });

  it('raises clock drift as a condition with the drift', () => {
    const [d] = healthRule({ type: 'clock_drift', deviceId: 'door-b01-u1', driftSec: -312.46, at });
    expect(d).toMatchObject({ type: 'clock_drift', mode: 'state', detail: { driftSec: -312.5 } });
  });

  it('ends clock drift when a heartbeat is within tolerance again', () => {
    const good = deviceEvent('heartbeat', { eventId: 'h', ts: '2026-11-21T20:00:05+08:00', uptimeSec: 1 }, { deviceId: 'door-b01-u1', at, deviceTime: new Date(at.getTime() + 5_000) });
    const bad = deviceEvent('heartbeat', { eventId: 'h', ts: '2026-11-21T20:05:00+08:00', uptimeSec: 1 }, { deviceId: 'door-b01-u1', at, deviceTime: new Date(at.getTime() + 300_000) });
    expect(clockRule(good, SETTINGS)).toEqual([expect.objectContaining({ kind: 'end', key: 'clock_drift:door-b01-u1' })]);
    expect(clockRule(bad, SETTINGS)).toEqual([]);
  });
});
