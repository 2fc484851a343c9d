import { LRUCache } from 'lru-cache';
import type { DeviceIdentity } from '../broker';
import type { DeviceHealth } from '../bus';
import { isoStored } from '../db/time';
import type { IngestDeps, IngestSettings } from './index';

/**
 * What ingest notices about a device rather than about one message — invalid payloads in a row, a drifting clock, a
 * reused event id — stored as a health event and put on the bus for the alert engine.
 */
export function createHealthWatch(settings: IngestSettings, deps: Pick<IngestDeps, 'writer' | 'bus' | 'log'>) {
  const { writer, bus, log } = deps;
  // Per-device state is bounded: one entry per device, 20,000 is twice the largest compound we size for (lru-cache
  // preallocates its slots, so a needlessly large bound costs memory up front).
  const badCounts = new LRUCache<string, { times: number[]; raisedAt: number }>({ max: 20_000 });
  const driftFlagged = new LRUCache<string, true>({ max: 20_000, ttl: 3_600_000 });

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

  /** `badPayloadAlertCount` refusals within the window raise one `invalid_payloads` observation per window. */
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

  /** A clock beyond the tolerance is reported once an hour per device. */
  function checkClock(device: DeviceIdentity, deviceTime: Date, receivedAt: Date) {
    const driftSec = (deviceTime.getTime() - receivedAt.getTime()) / 1000;
    if (Math.abs(driftSec) <= settings.clockDriftToleranceSec || driftFlagged.has(device.id)) return;
    driftFlagged.set(device.id, true);
    const health = { type: 'clock_drift', deviceId: device.id, driftSec, at: receivedAt } as const;
    log.warn(health, 'device clock drifts beyond tolerance');
    persistHealth(`health:clock_drift:${receivedAt.getTime()}`, health);
  }

  return { persistHealth, noteBadPayload, checkClock };
}
