import { EventEmitter } from 'node:events';
import type { DeviceKind, PayloadOf, UpChannel } from '../contracts';
import type { StoredHealth, StoredIncident } from '../contracts/stored';
import type { ResidentWalkIn } from '../contracts/api/walk-ins';

/** The alert outbox row written with the event (db/event-writer.ts); the alert engine marks it done. */
interface Judged {
  outboxId?: number | null;
}

/** A device message that has been validated and committed. */
export type IngestedEvent = {
  [N in UpChannel]: {
    seq?: number;
    deviceId: string;
    kind: DeviceKind;
    name: N;
    payload: PayloadOf<N>;
    deviceTime: Date;
    receivedAt: Date;
  } & Judged;
}[UpChannel];

/**
 * An access request or plate read as it arrives (ingest/): validated, its commit under way. access/ decides and
 * answers a fresh one at once instead of after the commit (docs/access.md, "Answered before the commit").
 */
export type ArrivingRequest = {
  event: Extract<IngestedEvent, { name: 'accessRequest' | 'plateRead' }>;
  /**
   * Certainly the first copy: no MQTT DUP flag, and its event id neither committed nor still on its way to the
   * database. A copy that is not fresh may be one the gateway answered before (a lost PUBACK, a restart).
   */
  fresh: boolean;
  /**
   * A door or barrier opening this device reported before is still on its way to the database: door monitoring must
   * judge that opening before a grant made now could cover it, so the request waits for its own commit.
   */
  behindOpening: boolean;
  /** Settles with the request's commit: true when it was new, false for a copy already stored; rejects when the request was not accepted. */
  committed: Promise<boolean>;
};

/** Device health observations the alert engine turns into alerts (invalid payloads, clock drift, reused ids). */
export type DeviceHealth = StoredHealth & Judged;

export type Presence = { deviceId: string; kind: DeviceKind; online: boolean; cause: string; at: Date };

/** Every door decision (access/), stored as an AccessEvent; alerts/ uses residents' grants for welfare checks. */
export type AccessDecision = {
  accessEventId: string;
  deviceId: string;
  decision: 'grant' | 'deny';
  reason: string;
  credentialType: string;
  residentId: string | null;
  householdId: string | null;
  passId: string | null;
  offline: boolean;
  at: Date;
};

/** Alert-worthy observations of door monitoring (access/); alerts/ turns them into alerts. Stored before emitted. */
export type AccessIncident = StoredIncident & Judged;

/**
 * An alarm received while the database cannot commit, then once it is stored: a one-key alarm (from ingest/) or a
 * door opening that door monitoring would call forced (from access/).
 */
export type UnsavedAlarm = { state: 'unsaved' | 'saved'; type: 'alarm_press' | 'forced_entry'; deviceId: string; eventId: string; at: Date };

/** A door or barrier opening received while the database cannot commit (ingest/), then once it is stored. */
export type UnsavedOpening = { state: 'unsaved' | 'saved'; event: IngestedEvent; eventId: string };

/**
 * Door monitoring's verdict on a stored opening (access/): the forced entry it was, or null. `outboxId` is the
 * opening's own alert outbox entry, marked done with the alert it causes (crash-safe: until then the outbox sweep
 * judges the opening again from what is stored).
 */
export type DoorJudged = { outboxId: number; incident: AccessIncident | null };

/** The database's write health changed (the heartbeat write, db/heartbeat.ts). */
export type DbHealth = { ok: boolean; reason: string | null; at: Date };

/** A device provisioned or re-configured by an admin (devices/): supervision follows its window and state. */
export type DeviceConfig = { deviceId: string; kind: DeviceKind; enabled: boolean; supervisionSec: number | null; at: Date };
/** An alert changed (stored and published to the guard station): the resident stream tells the household. */
export type AlertChanged = { alertId: string; type: string; householdId: string | null; action: string; at: Date };
/** A walk-in request the guard sent to a household was made, answered or ran out (access/): the household's phones hear of it. */
export type WalkInChanged = { householdId: string; request: ResidentWalkIn };

interface BusEvents {
  'device-config': [DeviceConfig];
  'unsaved-alarm': [UnsavedAlarm];
  'unsaved-opening': [UnsavedOpening];
  'door-judged': [DoorJudged];
  'db-health': [DbHealth];
  'device-event': [IngestedEvent];
  'device-request': [ArrivingRequest];
  'device-health': [DeviceHealth];
  presence: [Presence];
  'access-decision': [AccessDecision];
  'access-incident': [AccessIncident];
  'alert-change': [AlertChanged];
  'walk-in-change': [WalkInChanged];
}

/**
 * The in-process event bus: ingest publishes, rules/alerts/live subscribe. Features talk only through it (the
 * zigbee2mqtt controller model), so each can be read and tested alone.
 */
export class Bus extends EventEmitter<BusEvents> {
  private readonly owned = new Map<string, Array<() => void>>();

  constructor() {
    super({ captureRejections: true });
    this.setMaxListeners(50);
  }

  /**
   * Listeners added on behalf of `owner` (a feature): `release(owner)` removes every one of them, so a feature's
   * stop cannot forget one, and `owners()` shows who still listens.
   */
  subscriber(owner: string): BusSubscriber {
    const offs = this.owned.get(owner) ?? [];
    this.owned.set(owner, offs);
    const subscriber: BusSubscriber = {
      on: (event, listener) => {
        this.on(event, listener);
        offs.push(() => this.off(event, listener));
        return subscriber;
      },
    };
    return subscriber;
  }

  /** Removes every listener `owner` added through its subscriber. */
  release(owner: string): void {
    for (const off of this.owned.get(owner) ?? []) off();
    this.owned.delete(owner);
  }

  /** Owners that hold listeners, with how many. */
  owners(): Map<string, number> {
    return new Map([...this.owned].filter(([, offs]) => offs.length > 0).map(([owner, offs]) => [owner, offs.length]));
  }
}

/** A listener of bus event K, in the form node:events' typed EventEmitter takes it. */
export type BusListener<K> = K extends keyof BusEvents ? (BusEvents[K] extends unknown[] ? (...args: BusEvents[K]) => void : never) : never;

/** Adds listeners to the bus on behalf of one owner (Bus.subscriber). */
export interface BusSubscriber {
  on<K extends keyof BusEvents>(event: K, listener: BusListener<K>): BusSubscriber;
}
