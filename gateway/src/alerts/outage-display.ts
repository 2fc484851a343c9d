import type { BusListener, BusSubscriber } from '../bus';
import type { WriteHealth } from '../db/heartbeat';
import type { LiveHub } from '../live/hub';
import type { Logger } from '../log';
import type { Places } from './places';

/**
 * While the database cannot commit: the guard station sees alarms at once, marked unsaved, and a banner. Only
 * places come from the database here, and they are cached (warmed for every alarm button) or read (WAL reads do
 * not wait for a writer's lock). Cut out of createAlertsFeature (index.ts): it only needs the hub and the places.
 */
export function showOutage(
  subscriber: BusSubscriber,
  deps: { hub: LiveHub; places: Pick<Places, 'device'>; log: Logger; now: () => Date; dbHealth?: () => WriteHealth },
): void {
  const { hub, places, log, now } = deps;
  const initial = deps.dbHealth?.();
  if (initial) hub.status({ database: initial.ok ? 'ok' : 'degraded', reason: initial.reason, at: now().toISOString() });
  const onHealth: BusListener<'db-health'> = (h) => hub.status({ database: h.ok ? 'ok' : 'degraded', reason: h.reason, at: h.at.toISOString() });
  // One after another, so a press's "saved" never overtakes its "unsaved" while its place is looked up.
  let shown: Promise<unknown> = Promise.resolve();
  const onUnsaved: BusListener<'unsaved-alarm'> = (u) => {
    shown = shown
      .then(() => places.device(u.deviceId))
      .catch(() => null)
      .then((info) => {
        const place = info?.place ?? { label: u.deviceId, kind: null, buildingId: null, unitId: null, householdId: null, x: null, y: null };
        hub.unsaved({ state: u.state, deviceId: u.deviceId, eventId: u.eventId, type: u.type, place, tags: info?.tags ?? [], at: u.at.toISOString() });
      })
      .catch((err: unknown) => log.error({ err, deviceId: u.deviceId }, 'could not show an unsaved alarm'));
  };
  subscriber.on('db-health', onHealth).on('unsaved-alarm', onUnsaved);
}
