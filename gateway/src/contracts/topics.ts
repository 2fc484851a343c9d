import { z } from 'zod';
import { DeviceId, type DeviceKind } from './common';
import * as P from './payloads';

/**
 * The one topic catalogue (protocol v1). Topic formatting, topic parsing, the broker's ACL, the AsyncAPI document
 * and the simulator all come from it. Every device topic is `v1/devices/{deviceId}/{channel}`.
 */
export const TOPIC_PREFIX = 'v1/devices';

const ALL: readonly DeviceKind[] = ['face_terminal', 'vehicle_gate', 'streetlight', 'indoor_alarm', 'outdoor_alarm'];
const ALARMS: readonly DeviceKind[] = ['indoor_alarm', 'outdoor_alarm'];
const DOORS: readonly DeviceKind[] = ['face_terminal'];
/** Everything that decides who enters: door terminals and the vehicle gate. */
const ACCESS_POINTS: readonly DeviceKind[] = ['face_terminal', 'vehicle_gate'];

interface ChannelSpec<S extends z.ZodType = z.ZodType, D extends 'up' | 'down' = 'up' | 'down'> {
  /** The topic levels after the device id. */
  readonly channel: string;
  /** up: device publishes, gateway ingests. down: gateway publishes, device subscribes. */
  readonly direction: D;
  readonly qos: 0 | 1;
  readonly retain: boolean;
  readonly kinds: readonly DeviceKind[];
  readonly payload: S;
  readonly summary: string;
}

const spec = <S extends z.ZodType, const D extends 'up' | 'down'>(s: ChannelSpec<S, D>): ChannelSpec<S, D> => s;

export const catalogue = {
  // up ─────────────────────────────────────────────────────────────────────────────────────────────────────────
  accessRequest: spec({ channel: 'access/request', direction: 'up', qos: 1, retain: false, kinds: DOORS, payload: P.AccessRequest, summary: 'A person presents a credential (face, card, PIN, QR) at a door and asks whether to open.' }),
  doorState: spec({ channel: 'door/state', direction: 'up', qos: 1, retain: false, kinds: DOORS, payload: P.DoorState, summary: 'The door opened or closed, with the cause the terminal saw.' }),
  plateRead: spec({ channel: 'plate/read', direction: 'up', qos: 1, retain: false, kinds: ['vehicle_gate'], payload: P.PlateRead, summary: 'The vehicle gate camera read a licence plate and asks whether to raise the barrier.' }),
  barrierState: spec({ channel: 'barrier/state', direction: 'up', qos: 1, retain: false, kinds: ['vehicle_gate'], payload: P.BarrierState, summary: 'The barrier was raised or lowered.' }),
  lightState: spec({ channel: 'light/state', direction: 'up', qos: 1, retain: false, kinds: ['streetlight'], payload: P.LightState, summary: 'Streetlight lamp state: lit, brightness, power, voltage, fault.' }),
  alarmPress: spec({ channel: 'alarm/press', direction: 'up', qos: 1, retain: false, kinds: ALARMS, payload: P.AlarmPress, summary: 'One-key alarm pressed (latching, critical).' }),
  alarmCancel: spec({ channel: 'alarm/cancel', direction: 'up', qos: 1, retain: false, kinds: ALARMS, payload: P.AlarmCancel, summary: 'The resident asks to cancel an alarm; recorded, the alarm stays latched until a guard resets it.' }),
  lowBattery: spec({ channel: 'battery/low', direction: 'up', qos: 1, retain: false, kinds: ALARMS, payload: P.LowBattery, summary: 'Battery below the device threshold.' }),
  tamper: spec({ channel: 'tamper', direction: 'up', qos: 1, retain: false, kinds: ALL, payload: P.Tamper, summary: 'Case opened, wire cut, device moved or camera blocked.' }),
  heartbeat: spec({ channel: 'heartbeat', direction: 'up', qos: 0, retain: false, kinds: ALL, payload: P.Heartbeat, summary: 'Periodic proof of life between state changes.' }),
  presence: spec({ channel: 'status', direction: 'up', qos: 1, retain: true, kinds: ALL, payload: P.Presence, summary: 'Retained online/offline status; the device sets {"status":"offline"} as its MQTT Will.' }),
  offlineLog: spec({ channel: 'access/offline-log', direction: 'up', qos: 1, retain: false, kinds: ACCESS_POINTS, payload: P.OfflineLog, summary: 'After an outage: the decisions the device made on its own, with their original times, for the gateway to record.' }),
  commandAck: spec({ channel: 'commands/ack', direction: 'up', qos: 1, retain: false, kinds: ALL, payload: P.CommandAck, summary: 'The device reports the outcome of a command.' }),
  // down ───────────────────────────────────────────────────────────────────────────────────────────────────────
  accessReply: spec({ channel: 'access/reply', direction: 'down', qos: 1, retain: false, kinds: [...DOORS, 'vehicle_gate'], payload: P.AccessReply, summary: 'Grant or deny for an access request or plate read, with a reason code.' }),
  credentialSync: spec({ channel: 'credentials/sync', direction: 'down', qos: 1, retain: false, kinds: ACCESS_POINTS, payload: P.CredentialSync, summary: 'The credentials this door accepts (hashed), so it can decide while the gateway is unreachable; sent on connect and after every change.' }),
  command: spec({ channel: 'commands', direction: 'down', qos: 1, retain: false, kinds: ALL, payload: P.Command, summary: 'A command for the device (open, set_light, sync_credentials).' }),
  error: spec({ channel: 'errors', direction: 'down', qos: 0, retain: false, kinds: ALL, payload: P.DeviceError, summary: 'Why a message from this device was refused: which topic, which fields.' }),
} as const;

export type Catalogue = typeof catalogue;
export type ChannelName = keyof Catalogue;
export type PayloadOf<N extends ChannelName> = z.infer<Catalogue[N]['payload']>;
export type UpChannel = { [N in ChannelName]: Catalogue[N]['direction'] extends 'up' ? N : never }[ChannelName];
export type DownChannel = Exclude<ChannelName, UpChannel>;

const byChannel = new Map<string, ChannelName>(
  (Object.keys(catalogue) as ChannelName[]).map((name) => [catalogue[name].channel, name]),
);

export function topicFor(name: ChannelName, deviceId: DeviceId): string {
  return `${TOPIC_PREFIX}/${deviceId}/${catalogue[name].channel}`;
}

export type ParsedTopic =
  | { ok: true; deviceId: string; name: ChannelName }
  | { ok: false; reason: 'outside_namespace' | 'bad_device_id' | 'unknown_channel'; deviceId?: string };

/** Splits `v1/devices/{id}/{channel}`; no wildcard is ever a valid device topic. */
export function parseTopic(topic: string): ParsedTopic {
  const prefix = `${TOPIC_PREFIX}/`;
  if (!topic.startsWith(prefix)) return { ok: false, reason: 'outside_namespace' };
  const rest = topic.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return { ok: false, reason: 'unknown_channel' };
  const deviceId = rest.slice(0, slash);
  if (!DeviceId.safeParse(deviceId).success) return { ok: false, reason: 'bad_device_id' };
  const name = byChannel.get(rest.slice(slash + 1));
  if (!name) return { ok: false, reason: 'unknown_channel', deviceId };
  return { ok: true, deviceId, name };
}

export function channelsFor(kind: DeviceKind, direction: 'up' | 'down'): ChannelName[] {
  return (Object.keys(catalogue) as ChannelName[]).filter(
    (n) => catalogue[n].direction === direction && catalogue[n].kinds.includes(kind),
  );
}

/** Every up payload carries `ts`, and all but presence an `eventId` (checked by contracts/topics.test.ts). */
export type UpEnvelope = { ts: string; eventId?: string };

/**
 * The payload schema of a channel, typed by its name. TypeScript cannot correlate `catalogue[N]` with `PayloadOf<N>`
 * for a generic N, so the one widening cast of the codebase lives here; the runtime parse is the real check.
 */
export function schemaOf<N extends UpChannel>(name: N): z.ZodType<PayloadOf<N> & UpEnvelope>;
export function schemaOf<N extends ChannelName>(name: N): z.ZodType<PayloadOf<N>>;
export function schemaOf(name: ChannelName): z.ZodType {
  return catalogue[name].payload;
}

export function isUpChannel(name: ChannelName): name is UpChannel {
  return catalogue[name].direction === 'up';
}
