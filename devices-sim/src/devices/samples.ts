import type { Random } from '@linli/gateway/random';
import type { EventChannel, Sent, SimDevice } from './sim-device';

const PROVINCES = ['陕', '京', '豫', '甘', '川'];
const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';

/** A plausible plate such as 陕A12345 (or a green new-energy 陕AD12345). */
export function samplePlate(rng: Random): string {
  const tail = Array.from({ length: rng.chance(0.2) ? 6 : 5 }, () => (rng.chance(0.8) ? String(rng.int(0, 9)) : rng.pick([...LETTERS]))).join('');
  return `${rng.pick(PROVINCES)}${rng.pick([...LETTERS])}${tail}`;
}

/**
 * One valid event of `name` with made-up contents, through the device's own publish (so it is parsed against the
 * contract like everything else). Load mode uses it to generate traffic; tests use it to cover every channel.
 * Alarm presses and tamper are included only when asked for: load runs should not raise real alarms by default.
 */
export function publishSample(device: SimDevice, name: EventChannel, rng: Random, qos?: 0 | 1): Promise<Sent> {
  const opts = qos === undefined ? {} : { qos };
  switch (name) {
    case 'accessRequest': {
      const type = rng.weighted([['face', 6], ['card', 3], ['pin', 1]] as const);
      const value = type === 'face' ? `ft-${rng.hex(12)}` : type === 'card' ? String(rng.int(0, 9_999_999_999)).padStart(10, '0') : String(rng.int(0, 999_999)).padStart(6, '0');
      return device.publish('accessRequest', { requestId: device.nextId(), credential: { type, value }, direction: rng.chance(0.5) ? 'in' : 'out' }, opts);
    }
    // Traffic that explains itself (people leaving by the exit button, barriers moved by the attendant, lamps in a
    // steady state): a door "opened by grant" that the gateway never granted is a forced entry, and load runs
    // should measure ingest, not an alert storm.
    case 'doorState': {
      const open = rng.chance(0.5);
      return device.publish('doorState', { state: open ? 'open' : 'closed', cause: open ? 'exit_button' : 'unknown' }, opts);
    }
    case 'plateRead':
      return device.publish('plateRead', { requestId: device.nextId(), plate: samplePlate(rng), confidence: Math.round(rng.between(0.8, 1) * 1000) / 1000, lane: rng.chance(0.5) ? 'in' : 'out' }, opts);
    case 'barrierState':
      return device.publish('barrierState', { state: rng.chance(0.5) ? 'raised' : 'lowered', cause: 'manual' }, opts);
    case 'lightState': {
      // A lamp keeps its state (a hash of its id) so it does not flap between lit and dark.
      const on = [...device.id].reduce((h, c) => h + c.charCodeAt(0), 0) % 2 === 0;
      return device.publish('lightState', { on, brightness: on ? 100 : 0, powerW: on ? 60 : 0.8, voltage: Math.round(rng.normal(220, 1.5) * 10) / 10, fault: null }, opts);
    }
    case 'alarmPress':
      return device.publish('alarmPress', {}, opts);
    case 'alarmCancel':
      return device.publish('alarmCancel', {}, opts);
    case 'lowBattery':
      return device.publish('lowBattery', { percent: rng.int(5, 19) }, opts);
    case 'tamper':
      return device.publish('tamper', { kind: rng.pick(['case_open', 'wire_cut', 'moved', 'camera_blocked'] as const) }, opts);
    case 'heartbeat':
      return device.publish('heartbeat', { uptimeSec: rng.int(0, 86_400), firmware: 'sim-1.0' }, opts);
    case 'offlineLog': {
      const entries = Array.from({ length: rng.int(1, 5) }, () => ({
        requestId: device.nextId(),
        ts: new Date(Date.parse('2025-03-01T00:00:00+08:00') + rng.int(0, 86_400_000)).toISOString(),
        direction: rng.chance(0.5) ? ('in' as const) : ('out' as const),
        credentialType: rng.pick(['face', 'card', 'pin'] as const),
        decision: 'grant' as const,
        reason: 'resident' as const,
        residentId: `res-${rng.hex(6)}`,
      }));
      return device.publish('offlineLog', { entries }, opts);
    }
    case 'commandAck':
      return device.publish('commandAck', { commandId: device.nextId(), result: 'done' }, opts);
  }
}
