import type { AccessIncident, IngestedEvent } from '../bus';
import type { AlertType, Severity } from '../contracts/api/alerts';
import { eventIdOf } from './alarm';
import { type Decision, keyOf } from './types';

const INCIDENTS: Record<AccessIncident['type'], { type: AlertType; severity: Severity }> = {
  // 擅自闯入: "the alarm in the guard room lights up".
  forced_entry: { type: 'forced_entry', severity: 'critical' },
  held_open: { type: 'door_held_open', severity: 'major' },
  blacklisted_credential: { type: 'blacklisted_credential', severity: 'major' },
  repeated_denials: { type: 'repeated_denials', severity: 'minor' },
};

/** Door monitoring (access/) reports incidents; each is an occurrence at that door. */
export function incidentRule(inc: AccessIncident): Decision[] {
  const spec = INCIDENTS[inc.type];
  return [
    {
      kind: 'raise',
      type: spec.type,
      severity: spec.severity,
      key: keyOf(spec.type, inc.deviceId),
      deviceId: inc.deviceId,
      householdId: null,
      at: inc.at,
      detail: inc.detail,
      mode: 'event',
    },
  ];
}

/** Tamper (case opened, wire cut, moved, camera blocked) is raised; a door that closes ends a held-open condition. */
export function deviceSecurityRules(ev: IngestedEvent): Decision[] {
  if (ev.name === 'tamper') {
    return [
      {
        kind: 'raise',
        type: 'tamper',
        severity: 'major',
        key: keyOf('tamper', ev.deviceId),
        deviceId: ev.deviceId,
        householdId: null,
        at: ev.receivedAt,
        detail: { tamper: ev.payload.kind },
        mode: 'event',
        source: `${ev.deviceId}:${eventIdOf(ev)}`,
      },
    ];
  }
  if (ev.name === 'doorState' && ev.payload.state === 'closed') {
    return [{ kind: 'end', key: keyOf('door_held_open', ev.deviceId), at: ev.receivedAt, note: 'door_closed' }];
  }
  return [];
}
