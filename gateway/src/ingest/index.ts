import { LRUCache } from 'lru-cache';
import type { DeviceError, UpChannel } from '../contracts';
import { catalogue } from '../contracts';
import type { DeviceIdentity, IngestOutcome } from '../broker';
import type { Bus, DeviceHealth, IngestedEvent } from '../bus';
import type { EventWriter, WriteResult } from '../db/event-writer';
import { storedAccessRequest } from '../db/event-scrub';
import { isoStored } from '../db/time';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { decode } from './decode';
import { TokenBuckets } from './rate-limit';

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
  // Per-device state is bounded: one entry per device, 20,000 is twice the largest compound we size for (lru-cache
  // preallocates its slots, so a needlessly large bound costs memory up front).
  const buckets = new TokenBuckets(settings.qos0RatePerSec, settings.qos0Burst);
  const badCounts = new LRUCache<string, { times: number[]; raisedAt: number }>({ max: 20_000 });
  const driftFlagged = new LRUCache<string, true>({ max: 20_000, ttl: 3_600_000 });
  const rateErrorSent = new LRUCache<string, true>({ max: 20_000, ttl: 1_000 });

  function refuse(device: DeviceIdentity, topic: string, error: Omit<DeviceError, 'topic' | 'ts'>): IngestOutcome {
    const at = now();
    metrics.ingestRejected.inc({ code: error.code });
    log.warn({ deviceId: device.id, topic, code: error.code, issues: error.issues }, 'payload rejected');
    deps.replyError(device.id, { ...error, topic, ts: at.toISOString() });
    if (error.code !== 'rate_limited') noteBadPayload(device.id, at);
    return { ok: false, answered: true };
  }

  function noteBadPayload(deviceId: string, at: Date) {
    const windowMs = settings.badPayloadWindowSec * 1000;
    const t = at.getTime();
    const entry = badCounts.get(deviceId) ?? { times: [], raisedAt: 0 };
    entry.times = entry.times.filter((x) => t - x < windowMs);
    entry.times.push(t);
    badCounts.set(deviceId, entry);
    if (entry.times.length >= settings.badPayloadAlertCount && t - entry.raisedAt >= windowMs) {
      entry.raisedAt = t;
      const health = { type: 'invalid_payloads', deviceId, count: entry.times.length, windowSec: settings.badPayloadWindowSec, at } as const;
      log.warn(health, 'device keeps sending invalid payloads');
      persistHealth(`health:invalid_payloads:${t}`, health);
    }
  }

  /**
   * Health observations are stored like device events, with their alert outbox row, and go on the bus once
   * committed: none is lost before the alert engine has judged it.
   */
  function persistHealth(eventId: string, health: DeviceHealth) {
    const ts = isoStored(health.at);
    writer
      .write({ deviceId: health.deviceId, eventId, channel: 'gateway/health', payload: JSON.stringify(health), deviceTime: ts, receivedAt: ts })
      .then(
        (r) => {
          if (r.status !== 'duplicate') bus.emit('device-health', { ...health, outboxId: r.outboxId });
        },
        (err: unknown) => log.error({ err, deviceId: health.deviceId }, 'could not store a device health event'),
      );
  }

  function checkClock(device: DeviceIdentity, deviceTime: Date, receivedAt: Date) {
    const driftSec = (deviceTime.getTime() - receivedAt.getTime()) / 1000;
    if (Math.abs(driftSec) <= settings.clockDriftToleranceSec || driftFlagged.has(device.id)) return;
    driftFlagged.set(device.id, true);
    const health = { type: 'clock_drift', deviceId: device.id, driftSec, at: receivedAt } as const;
    log.warn(health, 'device clock drifts beyond tolerance');
    persistHealth(`health:clock_drift:${receivedAt.getTime()}`, health);
  }

  /**
   * A one-key alarm or a forced entry must reach a guard even while the database cannot commit (locked, disk full):
   * if the write has not committed in `unsavedAfterMs`, `show('unsaved')` puts it on the bus (the guard station shows
   * it, marked 未保存), and `show('saved')` once it is stored. The device gets no PUBACK before that, so it keeps
   * resending it.
   */
  function announceIfUnsaved(deviceId: string, eventId: string, write: Promise<WriteResult>, show: (state: 'unsaved' | 'saved') => void) {
    let announced = false;
    const timer = setTimeout(() => {
      announced = true;
      log.warn({ deviceId, eventId }, 'alarm event not stored yet; shown to the guard station as unsaved');
      show('unsaved');
    }, settings.unsavedAfterMs);
    write.then(
      () => {
        clearTimeout(timer);
        if (announced) show('saved');
      },
      () => clearTimeout(timer),
    );
  }

  async function ingest(device: DeviceIdentity, name: UpChannel, topic: string, payload: Buffer, qos: number): Promise<IngestOutcome> {
    if (qos === 0 && !buckets.take(device.id, now().getTime())) {
      metrics.ingestRejected.inc({ code: 'rate_limited' });
      // One answer per second at most: the error topic must not amplify a flood.
      if (!rateErrorSent.has(device.id)) {
        rateErrorSent.set(device.id, true);
        return refuse(device, topic, { code: 'rate_limited', message: `more than ${settings.qos0RatePerSec} QoS 0 messages per second; dropped` });
      }
      return { ok: false, answered: true };
    }
    const decoded = decode(name, payload, settings.maxPayloadBytes);
    if (!decoded.ok) {
      return refuse(device, topic, { code: decoded.code, message: decoded.message, ...(decoded.issues ? { issues: decoded.issues } : {}) });
    }
    const receivedAt = now();
    const deviceTime = new Date(decoded.ts);
    // Only live messages say what the device's clock reads now: an offline presence is usually the MQTT Will, whose
    // payload (and ts) was composed when the device connected, maybe hours before the broker publishes it.
    const live = name === 'heartbeat' || ('status' in decoded.payload && decoded.payload.status === 'online');
    if (live) checkClock(device, deviceTime, receivedAt);
    // TypeScript cannot tie `name` to `decoded.payload` for a generic channel; decode() validated the pair.
    // eslint-disable-next-line @typescript-eslint/consistent-type-assertions
    const event = { deviceId: device.id, kind: device.kind, name, payload: decoded.payload, deviceTime, receivedAt } as IngestedEvent;
    // A door or barrier opening may be a forced entry: its alert outbox entry commits with it, so door monitoring's
    // verdict survives a crash (docs/architecture.md, "Nothing accepted is lost").
    const opening = (event.name === 'doorState' && event.payload.state === 'open') || (event.name === 'barrierState' && event.payload.state === 'raised');
    // The alarm lane: a press (and its cancel, so a backlog keeps their order) or an opening commits ahead of bulk
    // traffic, at once instead of after the group-commit delay.
    const urgent = opening || name === 'alarmPress' || name === 'alarmCancel';
    const write = writer.write({
      deviceId: device.id,
      eventId: decoded.eventId,
      channel: catalogue[name].channel,
      // A credential's value never reaches a row in clear: it is stored as its keyed look-up hash (db/event-scrub.ts).
      payload: event.name === 'accessRequest' ? storedAccessRequest(settings.credentialKey, event.payload) : payload.toString('utf8'),
      deviceTime: isoStored(deviceTime),
      receivedAt: isoStored(receivedAt),
      ...(opening ? { priority: 1 as const } : {}),
    }, urgent);
    const publish = (result: WriteResult) => {
      if (result.status === 'duplicate') {
        metrics.ingestDuplicates.inc();
        return;
      }
      metrics.ingestAccepted.inc({ channel: name });
      // Same id, other content: a new event (stored under a derived id), and, when the id is the device's own, a
      // device whose counter went back. (A presence's id is its timestamp: an online status and a Will composed in
      // the same second share it without anything being wrong.)
      if (result.status === 'reused' && decoded.ownId) {
        metrics.ingestReusedIds.inc();
        log.warn({ deviceId: device.id, eventId: decoded.eventId, storedAs: result.eventId }, 'device reused an event id with new content');
        persistHealth(`health:event_id_reused:${result.eventId}`, { type: 'event_id_reused', deviceId: device.id, eventId: decoded.eventId, at: receivedAt });
      }
      bus.emit('device-event', { ...event, outboxId: result.outboxId });
    };
    if (qos > 0 && name === 'alarmPress') {
      announceIfUnsaved(device.id, decoded.eventId, write, (state) => bus.emit('unsaved-alarm', { state, type: 'alarm_press', deviceId: device.id, eventId: decoded.eventId, at: receivedAt }));
    } else if (qos > 0 && opening) {
      // Whether it looks forced is door monitoring's call (access/ listens).
      announceIfUnsaved(device.id, decoded.eventId, write, (state) => bus.emit('unsaved-opening', { state, event, eventId: decoded.eventId }));
    }
    if (qos === 0) {
      // At most once: nothing to acknowledge, so don't hold the device's stream for the commit.
      write.then(publish, (err: unknown) => log.warn({ err, deviceId: device.id }, 'QoS 0 event not stored'));
      return { ok: true };
    }
    publish(await write);
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
