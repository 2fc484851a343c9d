import { describe, expect, it } from 'vitest';
import { deviceSecurityRules, incidentRule } from './security';
import { deviceEvent } from './testing';

const at = new Date('2026-11-21T12:00:00Z');
const ts = '2026-11-21T20:00:00+08:00';

describe('security rules', () => {
  it.each([
    ['forced_entry', 'forced_entry', 'critical'],
    ['held_open', 'door_held_open', 'major'],
    ['blacklisted_credential', 'blacklisted_credential', 'major'],
    ['repeated_denials', 'repeated_denials', 'minor'],
  ] as const)('raises %s from door monitoring as %s (%s)', (incident, type, severity) => {
    const [d] = incidentRule({ type: incident, deviceId: 'door-b03-u2', at, detail: { openSec: 95 } });
    expect(d).toMatchObject({ kind: 'raise', type, severity, key: `${type}:door-b03-u2`, mode: 'event', detail: { openSec: 95 } });
  });

  it('raises tamper with what was tampered with', () => {
    const [d] = deviceSecurityRules(deviceEvent('tamper', { eventId: 't1', ts, kind: 'wire_cut' }, { deviceId: 'door-b03-u2', kind: 'face_terminal' }));
    expect(d).toMatchObject({ type: 'tamper', severity: 'major', detail: { tamper: 'wire_cut' } });
  });

  it('ends a held-open condition when the door closes, and only then', () => {
    const closed = deviceSecurityRules(deviceEvent('doorState', { eventId: 'd1', ts, state: 'closed', cause: 'unknown' }, { deviceId: 'door-b03-u2', kind: 'face_terminal' }));
    expect(closed).toEqual([expect.objectContaining({ kind: 'end', key: 'door_held_open:door-b03-u2' })]);
    expect(deviceSecurityRules(deviceEvent('doorState', { eventId: 'd2', ts, state: 'open', cause: 'grant' }, { deviceId: 'door-b03-u2', kind: 'face_terminal' }))).toEqual([]);
  });
});
