import type { DeviceError, UpChannel } from '../contracts';
import { catalogue } from '../contracts';
import type { DeviceIdentity, IngestOutcome } from '../broker';
import type { Bus, IngestedEvent } from '../bus';
import type { EventRow, EventWriter, WriteResult } from '../db/event-writer';
import { storedAccessRequest } from '../db/event-scrub';
import { isoStored } from '../db/time';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { createArrivals } from './arrivals';
import { type Decoded, decode } from './decode';
import { createHealthWatch } from './health';
import { createQos0Gate } from './rate-limit';
import { announceIfUnsaved } from './unsaved';
import { traceAlarm } from '../metrics/alarm-trace';

export interface IngestSettings {
  maxPayloadBytes: number;
  clockDriftToleranceSec: number;
  badPayloadAlertCount: number;
  badPayloadWindowSec: number;
  qos0RatePerSec: number;
  qos0Burst: number;
  /** An alarm press (or a forced door opening) not committed after this long goes to the guard station anyway, marked unsaved. */
  unsavedAfterMs: number;
  /** HMAC key of credential look-ups: access requests are stored with the value's hash instead of the value. */
  credentialKey: string;
}

export interface IngestDeps {
  writer: EventWriter;
  bus: Bus;
  /** Sends a DeviceError on the device's error topic (late-bound to the broker by app.ts). */
  replyError: (deviceId: string, error: DeviceError) => void;
  log: Logger;
  metrics: Metrics;
  now?: () => Date;
}


/**
 * topic → device and channel (done by the broker's ACL) → payload validation → durable write → typed event on the
 * bus. The promise resolves once the event is committed; the broker acknowledges only then.
 */
export function createIngest(settings: IngestSettings, deps: IngestDeps) {
  const { writer, bus, log, metrics } = deps;
  const now = deps.now ?? (() => new Date());
  const health = createHealthWatch(settings, deps);
  const qos0Gate = createQos0Gate(settings.qos0RatePerSec, settings.qos0Burst);
  const { announceArrival, trackOpening } = createArrivals(deps);

  function refuse(device: DeviceIdentity, topic: string, error: Omit<DeviceError, 'topic' | 'ts'>): IngestOutcome {
    const at = now();
    metrics.ingestRejected.inc({ code: error.code });
    log.warn({ deviceId: device.id, topic, code: error.code, issues: error.issues }, 'payload rejected');
    deps.replyError(device.id, { ...error, topic, ts: at.toISOString() });
    if (error.code !== 'rate_limited') health.noteBadPayload(device.id, at);
    return { ok: false, answered: true };
  }


  /** After the commit: count it, flag a reused id, and put the event on the bus (a retransmission goes nowhere). */
  function announce(device: DeviceIdentity, event: IngestedEvent, decoded: { eventId: string; ownId: boolean }, result: WriteResult) {
    if (result.status === 'duplicate') {
      metrics.ingestDuplicates.inc();
      return;
    }
    metrics.ingestAccepted.inc({ channel: event.name });
    // Same id, other content: a new event (stored under a derived id), and, when the id is the device's own, a
    // device whose counter went back. (A presence's id is its timestamp: an online status and a Will composed in
    // the same second share it without anything being wrong.)
    if (result.status === 'reused' && decoded.ownId) {
      metrics.ingestReusedIds.inc();
      log.warn({ deviceId: device.id, eventId: decoded.eventId, storedAs: result.eventId }, 'device reused an event id with new content');
      health.persistHealth(`health:event_id_reused:${result.eventId}`, { type: 'event_id_reused', deviceId: device.id, eventId: decoded.eventId, at: event.receivedAt });
    }
    bus.emit('device-event', { ...event, outboxId: result.outboxId });
  }

  /** Alarm presses and openings are shown to the guard as unsaved when their commit is late (unsaved.ts). */
  function watchAlarmWrite(event: IngestedEvent, eventId: string, write: Promise<WriteResult>) {
    const ids = { deviceId: event.deviceId, eventId };
    if (event.name === 'alarmPress') {
      announceIfUnsaved(settings.unsavedAfterMs, log, ids, write, (state) => bus.emit('unsaved-alarm', { state, type: 'alarm_press', ...ids, at: event.receivedAt }));
    } else if (isOpening(event)) {
      // Whether it looks forced is door monitoring's call (access/ listens).
      announceIfUnsaved(settings.unsavedAfterMs, log, ids, write, (state) => bus.emit('unsaved-opening', { state, event, eventId }));
    }
  }

  async function ingest(device: DeviceIdentity, name: UpChannel, topic: string, payload: Buffer, qos: number, dup = false): Promise<IngestOutcome> {
    const gate = qos === 0 ? qos0Gate(device.id, now().getTime()) : 'pass';
    if (gate !== 'pass') {
      metrics.ingestRejected.inc({ code: 'rate_limited' });
      if (gate === 'drop') return { ok: false, answered: true };
      return refuse(device, topic, { code: 'rate_limited', message: `more than ${settings.qos0RatePerSec} QoS 0 messages per second; dropped` });
    }
    const decoded = decode(name, payload, settings.maxPayloadBytes);
    if (!decoded.ok) {
      return refuse(device, topic, { code: decoded.code, message: decoded.message, ...(decoded.issues ? { issues: decoded.issues } : {}) });
    }
    const event = ingestedEvent(device, name, decoded, now());
    // Only live messages say what the device's clock reads now: an offline presence is usually the MQTT Will, whose
    // payload (and ts) was composed when the device connected, maybe hours before the broker publishes it.
    if (name === 'heartbeat' || ('status' in decoded.payload && decoded.payload.status === 'online')) {
      health.checkClock(device, event.deviceTime, event.receivedAt);
    }
    // The alarm lane (db/group-commit.ts): a press, its cancel, or an opening the door itself cannot explain (the
    // forced-entry candidate) commits at once, ahead of other devices' bulk traffic but never ahead of its own
    // device's earlier events. Explained openings (exit button, grant, key) are everyday traffic and stay in bulk.
    if (name === 'alarmPress') traceAlarm('received', device.id);
    const urgent = name === 'alarmPress' || name === 'alarmCancel' || (isOpening(event) && 'cause' in event.payload && event.payload.cause === 'unknown');
    // A write refused for a full queue rejects: the device is disconnected unacknowledged and sends it again.
    const refused = !urgent && writer.refusing();
    const write = writer.write(storedRow(event, decoded.eventId, payload, settings.credentialKey), urgent);
    if (!refused && (event.name === 'accessRequest' || event.name === 'plateRead')) announceArrival(event, decoded.eventId, write, dup);
    if (!refused && isOpening(event)) trackOpening(device.id, write);
    if (qos > 0) watchAlarmWrite(event, decoded.eventId, write);
    if (qos === 0) {
      // At most once: nothing to acknowledge, so don't hold the device's stream for the commit.
      write.then((result) => announce(device, event, decoded, result), (err: unknown) => log.warn({ err, deviceId: device.id }, 'QoS 0 event not stored'));
      return { ok: true };
    }
    const result = await write;
    if (name === 'alarmPress') traceAlarm('committed', device.id);
    announce(device, event, decoded, result);
    return { ok: true };
  }

  return {
    ingest,
    unknownChannel(device: DeviceIdentity, topic: string) {
      refuse(device, topic, { code: 'unknown_channel', message: `no such channel in protocol v1; see the AsyncAPI document at /asyncapi.json` });
    },
  };
}

export type Ingest = ReturnType<typeof createIngest>;

/** The bus's typed event for a decoded message. */
export function ingestedEvent<N extends UpChannel>(device: DeviceIdentity, name: N, decoded: Decoded<N> & { ok: true }, receivedAt: Date): IngestedEvent {
  // TypeScript cannot tie `name` to `decoded.payload` for a generic channel; decode() validated the pair.
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions
  return { deviceId: device.id, kind: device.kind, name, payload: decoded.payload, deviceTime: new Date(decoded.ts), receivedAt } as IngestedEvent;
}

/** A door or barrier opening may be a forced entry. */
export function isOpening(event: IngestedEvent): boolean {
  return (event.name === 'doorState' && event.payload.state === 'open') || (event.name === 'barrierState' && event.payload.state === 'raised');
}

/** The row the event writer stores for an event. */
export function storedRow(event: IngestedEvent, eventId: string, payload: Buffer, credentialKey: string): EventRow {
  return {
    deviceId: event.deviceId,
    eventId,
    channel: catalogue[event.name].channel,
    // A credential's value never reaches a row in clear: it is stored as its keyed look-up hash (db/event-scrub.ts).
    payload: event.name === 'accessRequest' ? storedAccessRequest(credentialKey, event.payload) : payload.toString('utf8'),
    deviceTime: isoStored(event.deviceTime),
    receivedAt: isoStored(event.receivedAt),
    // Its alert outbox entry commits with it, so door monitoring's verdict survives a crash (docs/architecture.md,
    // "Nothing accepted is lost").
    ...(isOpening(event) ? { priority: 1 as const } : {}),
  };
}
