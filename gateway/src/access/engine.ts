import { Counter, Histogram, type Registry } from 'prom-client';
import type { ArrivingRequest, IngestedEvent } from '../bus';
import type { AccessWrite, AccessWriteResult } from '../db/access';
import type { DoorHistoryRepo } from '../db/door-history';
import type { EventWriter } from '../db/event-writer';
import type { GroupCommit } from '../db/group-commit';
import type { AccessContext } from './context';
import { createDoorWatch } from './door-watch';
import { createRequestHandling } from './requests';

/**
 * The door side of access control: access requests and plate reads in, replies out within milliseconds
 * (requests.ts), and door monitoring turning door and barrier reports into incidents (door-watch.ts). This file
 * routes device events to the two and owns their metrics.
 */
export function createEngine(
  ctx: AccessContext,
  deps: { events: EventWriter; decisions: GroupCommit<AccessWrite, AccessWriteResult>; history: DoorHistoryRepo; registry: Registry },
) {
  const r = [deps.registry];
  const decisions = new Counter({ name: 'linli_access_decisions_total', help: 'Door decisions by outcome and reason', labelNames: ['decision', 'reason', 'offline'], registers: r });
  const incidents = new Counter({ name: 'linli_access_incidents_total', help: 'Door monitoring incidents by type', labelNames: ['type'], registers: r });
  const decideSeconds = new Histogram({ name: 'linli_access_decide_seconds', help: 'Access request decided → reply published (from its arrival, or from its commit for a copy that may have been answered before)', buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05], registers: r });
  const doors = createDoorWatch(ctx, { events: deps.events, history: deps.history, incidents });
  const { arrive, reconcile, record } = createRequestHandling(ctx, { decisions: deps.decisions, doors, metrics: { decisions, decideSeconds } });

  return {
    /** An access request or plate read as it arrives (decided then, or after its commit: requests.ts). */
    onRequest({ event: e, fresh, behindOpening, committed }: ArrivingRequest): void {
      const q =
        e.name === 'accessRequest'
          ? { deviceId: e.deviceId, requestId: e.payload.requestId, type: e.payload.credential.type, value: e.payload.credential.value, direction: e.payload.direction, receivedAt: e.receivedAt }
          : { deviceId: e.deviceId, requestId: e.payload.requestId, type: 'plate' as const, value: e.payload.plate, direction: e.payload.lane, confidence: e.payload.confidence, receivedAt: e.receivedAt };
      arrive(q, fresh && !behindOpening, committed);
    },
    onDeviceEvent(e: IngestedEvent): void {
      switch (e.name) {
        // Taken as they arrive (onRequest), before their commit.
        case 'accessRequest':
        case 'plateRead':
          return;
        case 'doorState':
          return doors.doorReport(e, e.payload.state, e.payload.cause);
        case 'barrierState':
          return doors.doorReport(e, e.payload.state === 'raised' ? 'open' : 'closed', e.payload.cause);
        case 'offlineLog':
          return reconcile(e.deviceId, e.payload, e.receivedAt);
        // Tamper is stored and on the bus already (a device event the alert engine takes as it is); the rest is
        // not about doors.
        case 'tamper':
        case 'heartbeat':
        case 'presence':
        case 'commandAck':
        case 'lightState':
        case 'alarmPress':
        case 'alarmCancel':
        case 'lowBattery':
          return;
      }
    },
    judgeStored: doors.judgeStored,
    unsavedOpening: doors.unsavedOpening,
    /** A guard opened the door remotely: the opening that follows is covered. */
    remoteOpened(deviceId: string, at: Date): void {
      doors.monitor(deviceId, { type: 'remote', at: at.getTime() });
    },
    record,
    tick: doors.tick,
    openSince: doors.openSince,
  };
}

export type Engine = ReturnType<typeof createEngine>;
