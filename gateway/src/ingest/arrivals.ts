import type { ArrivingRequest, Bus } from '../bus';
import type { EventWriter, WriteResult } from '../db/event-writer';
import type { Logger } from '../log';

/**
 * The early access-request hand-off: what ingest knows about messages still on their way to the database, so that
 * access/ can answer a fresh request before its commit (docs/access.md, "Answered before the commit") and never
 * before an opening of the same door that is still being committed.
 */
export function createArrivals(deps: { writer: Pick<EventWriter, 'isStored'>; bus: Bus; log: Logger }) {
  const { writer, bus, log } = deps;
  /** Access requests and plate reads on their way to the database, by device and event id. */
  const requestsInFlight = new Set<string>();
  /** Door and barrier openings on their way to the database, by device: door monitoring must see them before a later grant. */
  const openingsInFlight = new Map<string, number>();
  /** The last request still waiting for its asynchronous look-up (PostgreSQL) before it goes on the bus. */
  let announced: Promise<void> | null = null;

  /**
   * An access request or plate read goes on the bus as it arrives, with its commit to follow (access/ answers a fresh
   * one before the commit). Fresh: no DUP flag, and its event id neither in flight nor committed (a point look-up;
   * if the look-up fails, the request is not taken as fresh and access/ waits for the commit, as before).
   * On SQLite the look-up answers at once and the request goes on the bus in the same tick; on PostgreSQL it answers
   * with a Promise, and the request goes on the bus when it has (in arrival order: `announced` chains them).
   */
  function announceArrival(event: ArrivingRequest['event'], eventId: string, write: Promise<WriteResult>, dup: boolean): void {
    const key = `${event.deviceId}\n${eventId}`;
    const behindOpening = openingsInFlight.has(event.deviceId);
    const unseen = !dup && !requestsInFlight.has(key);
    requestsInFlight.add(key);
    const committed = write.then((r) => r.status !== 'duplicate');
    // The listener handles a rejection; without one (a broker without access control) nobody needs to.
    void committed.catch(() => undefined).finally(() => requestsInFlight.delete(key));
    const emit = (fresh: boolean): void => void bus.emit('device-request', { event, fresh, behindOpening, committed });
    const notFresh = (err: unknown) => {
      log.warn({ err, deviceId: event.deviceId }, 'could not look up an access request; it is decided after its commit');
      return false;
    };
    let stored: boolean | Promise<boolean> = true;
    if (unseen) {
      try {
        stored = writer.isStored(event.deviceId, eventId);
      } catch (err) {
        stored = !notFresh(err);
      }
    }
    if (typeof stored === 'boolean' && announced === null) return emit(!stored);
    const fresh = Promise.resolve(stored).then((s) => !s, notFresh);
    const turn: Promise<void> = (announced ?? Promise.resolve())
      .then(() => fresh)
      .then(emit)
      .catch((err: unknown) => log.error({ err, deviceId: event.deviceId }, 'could not hand an access request on'));
    announced = turn;
    void turn.then(() => {
      if (announced === turn) announced = null;
    });
  }

  /** An opening counts as in flight from its arrival until its write settles. */
  function trackOpening(deviceId: string, write: Promise<WriteResult>): void {
    openingsInFlight.set(deviceId, (openingsInFlight.get(deviceId) ?? 0) + 1);
    const done = () => {
      const n = (openingsInFlight.get(deviceId) ?? 1) - 1;
      if (n > 0) openingsInFlight.set(deviceId, n);
      else openingsInFlight.delete(deviceId);
    };
    write.then(done, done);
  }

  return { announceArrival, trackOpening };
}
