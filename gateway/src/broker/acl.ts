import { type ChannelName, type DeviceKind, type UpChannel, catalogue, isUpChannel, parseTopic } from '../contracts';

/** What the broker knows of an authenticated connection. */
export interface DeviceIdentity {
  readonly id: string;
  readonly kind: DeviceKind;
  /**
   * A read-only diagnostic session (client id `{deviceId}:diag`, the device's own user name and secret): a device
   * maker watches the device's `errors` topic with stock tools while the device itself stays connected.
   */
  readonly diagnostic?: true;
}

const DIAG_SUFFIX = ':diag';

/** The device id a client id names, and whether it asks for the diagnostic session. */
export function clientIdentity(clientId: string): { deviceId: string; diagnostic: boolean } {
  return clientId.endsWith(DIAG_SUFFIX)
    ? { deviceId: clientId.slice(0, -DIAG_SUFFIX.length), diagnostic: true }
    : { deviceId: clientId, diagnostic: false };
}

export type TopicDenial =
  | 'bad_characters'
  | 'too_many_levels'
  | 'wildcard'
  | 'system_topic'
  | 'outside_namespace'
  | 'other_device'
  | 'wrong_direction'
  | 'not_for_kind'
  | 'read_only';

export type PublishDecision =
  | { ok: true; name: UpChannel }
  /** In the device's own namespace but not a known channel: answered on the error topic, not a disconnect. */
  | { ok: 'unknown_channel' }
  | { ok: false; reason: TopicDenial };

export type SubscribeDecision = { ok: true; name: ChannelName } | { ok: false; reason: TopicDenial };

// Invalid UTF-8 is decoded by mqtt-packet to U+FFFD; NUL and other C0 controls are never part of a topic here.
// eslint-disable-next-line no-control-regex
const BAD_CHARS = /[\u0000-\u001f\u007f\ufffd]/u;

function screen(topic: string, maxLevels: number): TopicDenial | null {
  if (BAD_CHARS.test(topic)) return 'bad_characters';
  if (topic.startsWith('$')) return 'system_topic';
  if (topic.includes('#') || topic.includes('+')) return 'wildcard';
  if (topic.split('/').length > maxLevels) return 'too_many_levels';
  return null;
}

/** A device may publish only to its own namespace, and only to the up channels of its kind. */
export function decidePublish(device: DeviceIdentity, topic: string, maxLevels: number): PublishDecision {
  if (device.diagnostic) return { ok: false, reason: 'read_only' };
  const bad = screen(topic, maxLevels);
  if (bad) return { ok: false, reason: bad };
  const parsed = parseTopic(topic);
  if (!parsed.ok) {
    if (parsed.reason === 'unknown_channel' && parsed.deviceId === device.id) return { ok: 'unknown_channel' };
    return { ok: false, reason: parsed.deviceId !== undefined && parsed.deviceId !== device.id ? 'other_device' : 'outside_namespace' };
  }
  if (parsed.deviceId !== device.id) return { ok: false, reason: 'other_device' };
  const name = parsed.name;
  if (!isUpChannel(name)) return { ok: false, reason: 'wrong_direction' };
  if (!catalogue[name].kinds.includes(device.kind)) return { ok: false, reason: 'not_for_kind' };
  return { ok: true, name };
}

/** A device may subscribe only to its own inbound (down) channels, one exact topic at a time. */
export function decideSubscribe(device: DeviceIdentity, topic: string, maxLevels: number): SubscribeDecision {
  const bad = screen(topic, maxLevels);
  if (bad) return { ok: false, reason: bad };
  const parsed = parseTopic(topic);
  if (!parsed.ok) return { ok: false, reason: parsed.deviceId !== undefined && parsed.deviceId !== device.id ? 'other_device' : 'outside_namespace' };
  if (parsed.deviceId !== device.id) return { ok: false, reason: 'other_device' };
  // The diagnostic session sees why the device's messages were refused, and nothing sent to the device itself.
  if (device.diagnostic && parsed.name !== 'error') return { ok: false, reason: 'read_only' };
  const spec = catalogue[parsed.name];
  if (spec.direction !== 'down') return { ok: false, reason: 'wrong_direction' };
  if (!spec.kinds.includes(device.kind)) return { ok: false, reason: 'not_for_kind' };
  return { ok: true, name: parsed.name };
}
