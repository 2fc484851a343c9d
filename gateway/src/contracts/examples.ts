import type { ChannelName, PayloadOf } from './topics';

const ts = '2026-11-21T19:42:05.120+08:00';

/** One example message per channel, for device makers (docs/protocol.md). contracts.test.ts parses each. */
export const examples: { [N in ChannelName]: PayloadOf<N> } = {
  accessRequest: { eventId: 'door-b03-u2-7f3a-000812', ts, requestId: 'req-000812', credential: { type: 'card', value: '3021457789' }, direction: 'in' },
  // Harmless when a maker replays it: a door reported closed raises nothing (an opening without a grant would be a
  // forced entry, critical).
  doorState: { eventId: 'door-b03-u2-7f3a-000813', ts, state: 'closed', cause: 'grant' },
  plateRead: { eventId: 'gate-vehicle-19c2-004410', ts, requestId: 'plate-004410', plate: '陕A12345', confidence: 0.97, lane: 'in' },
  barrierState: { eventId: 'gate-vehicle-19c2-004411', ts, state: 'raised', cause: 'grant' },
  lightState: { eventId: 'lamp-017-a001-000093', ts, on: true, brightness: 80, powerW: 62.5, voltage: 221.4, fault: null },
  alarmPress: { eventId: 'alarm-in-3-2-501-0001-000004', ts },
  alarmCancel: { eventId: 'alarm-in-3-2-501-0001-000005', ts },
  lowBattery: { eventId: 'alarm-out-04-0001-000120', ts, percent: 15 },
  tamper: { eventId: 'door-b03-u2-7f3a-000814', ts, kind: 'case_open' },
  heartbeat: { eventId: 'door-b03-u2-7f3a-000815', ts, uptimeSec: 86_400, firmware: 'FT-2.4.1' },
  presence: { status: 'online', ts },
  offlineLog: {
    eventId: 'door-b03-u2-7f3a-000900',
    ts,
    entries: [
      { requestId: 'door-b03-u2-7f3a-000897', ts: '2026-11-21T19:30:12.410+08:00', direction: 'in', credentialType: 'card', decision: 'grant', reason: 'resident', residentId: 'res-3-2-501-1' },
      { requestId: 'door-b03-u2-7f3a-000898', ts: '2026-11-21T19:31:40.002+08:00', direction: 'in', credentialType: 'qr', decision: 'grant', reason: 'visitor_pass', passId: 'pass-3q9f2k7m1x' },
      { requestId: 'door-b03-u2-7f3a-000899', ts: '2026-11-21T19:33:03.777+08:00', direction: 'in', credentialType: 'pin', decision: 'deny', reason: 'unknown_credential' },
    ],
  },
  commandAck: { eventId: 'lamp-017-a001-000094', ts, commandId: 'cmd-5521', result: 'done' },
  accessReply: { requestId: 'req-000812', decision: 'grant', reason: 'resident', displayName: '王*', ts },
  credentialSync: {
    syncId: 'sync-1732189325120-17',
    page: 1,
    pages: 1,
    keyId: 'k-5f0c2a9e',
    entries: [
      { type: 'face', match: 'ft-3a91c07be2d4', residentId: 'res-3-2-501-1', displayName: '王*' },
      { type: 'card', match: 'q8Zr0hWk2mBv7o0uT8S1lJ2y4cK6wQ9eXn3pFz5aHdA', residentId: 'res-3-2-501-2', displayName: '李*' },
      { type: 'pass', match: 'N1cV7eR0x5Lq2sT8bW4kD9mJ3gY6hA0uZ1oP5fC2iE', passId: 'pass-3q9f2k7m1x', displayName: '张*', validFrom: '2026-11-21T18:00:00.000+08:00', validUntil: '2026-11-21T23:00:00.000+08:00', entriesLeft: 2 },
    ],
    ts,
  },
  command: { type: 'set_light', commandId: 'cmd-5521', on: true, brightness: 80, ts },
  error: {
    topic: 'v1/devices/door-b03-u2/door/state',
    code: 'invalid_payload',
    message: 'payload does not match door/state',
    issues: [{ path: 'state', message: 'Invalid option: expected one of "open"|"closed"' }],
    ts,
  },
};
