import { randomUUID } from 'node:crypto';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { AccessIncident, IngestedEvent } from '../bus';
import type { CredentialType, OfflineLog } from '../contracts';
import type { AccessWrite, AccessWriteResult } from '../db/access';
import type { EventWriter } from '../db/event-writer';
import type { GroupCommit } from '../db/group-commit';
import { isoStored } from '../db/time';
import type { AccessContext } from './context';
import { type Decision, PERIMETER, decide } from './decide';
import { type DoorWatch, type IncidentDraft, type MonitorInput, type OpenCause, closedDoor, step } from './monitor';
import { resolve } from './resolve';
import { KeypadLockout, PassbackMemory } from './state';

/** A door report that reaches us this long after the device's own time was held back by an outage. */
const LATE_MS = 30_000;

interface Request {
  deviceId: string;
  requestId: string;
  type: CredentialType;
  value: string;
  direction: 'in' | 'out';
  confidence?: number;
  receivedAt: Date;
}

/**
 * The door side of access control: access requests and plate reads in, replies out within milliseconds (the
 * decision uses only memory), every decision stored through group commit, and door monitoring turning door and
 * barrier reports into incidents. Incidents are stored (as gateway events) before they go on the bus.
 */
export function createEngine(ctx: AccessContext, deps: { events: EventWriter; decisions: GroupCommit<AccessWrite, AccessWriteResult>; registry: Registry }) {
  const { dir, settings, log } = ctx;
  const lockout = new KeypadLockout(settings.keypad);
  const passback = new PassbackMemory(settings.passbackResetMs);
  const watches = new Map<string, DoorWatch>();
  const r = [deps.registry];
  const decisions = new Counter({ name: 'linli_access_decisions_total', help: 'Door decisions by outcome and reason', labelNames: ['decision', 'reason', 'offline'], registers: r });
  const incidents = new Counter({ name: 'linli_access_incidents_total', help: 'Door monitoring incidents by type', labelNames: ['type'], registers: r });
  const decideSeconds = new Histogram({ name: 'linli_access_decide_seconds', help: 'Access request committed → reply published', buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05], registers: r });
  let seq = 0;

  function monitor(deviceId: string, input: MonitorInput): void {
    const result = step(watches.get(deviceId) ?? closedDoor(), input, settings);
    watches.set(deviceId, result.watch);
    for (const draft of result.incidents) raise(deviceId, draft, new Date(input.at));
  }

  /** Stored first (a gateway event row, like device health), then on the bus: nothing alert-worthy is lost. */
  function raise(deviceId: string, draft: IncidentDraft, at: Date): void {
    const incident: AccessIncident = { ...draft, deviceId, at };
    incidents.inc({ type: draft.type });
    log.warn({ deviceId, type: draft.type, detail: draft.detail }, 'access incident');
    const ts = isoStored(at);
    deps.events
      .write({ deviceId, eventId: `incident:${draft.type}:${at.getTime()}:${++seq}`, channel: 'gateway/access-incident', payload: JSON.stringify(incident), deviceTime: ts, receivedAt: ts })
      .then(
        (r) => {
          if (r.status !== 'duplicate') ctx.bus.emit('access-incident', { ...incident, outboxId: r.outboxId });
        },
        (err: unknown) => log.error({ err, deviceId, type: draft.type }, 'could not store an access incident'),
      );
  }

  function record(w: AccessWrite, at: Date, credentialType: string): void {
    deps.decisions.write(w).then(
      (result) => {
        if (result !== 'stored') return;
        const { row } = w;
        ctx.bus.emit('access-decision', {
          accessEventId: row.id,
          deviceId: row.deviceId,
          decision: row.decision,
          reason: row.reason,
          credentialType,
          residentId: row.residentId,
          householdId: row.householdId,
          passId: row.passId,
          offline: row.offline,
          at,
        });
      },
      (err: unknown) => log.error({ err, deviceId: w.row.deviceId, requestId: w.row.requestId }, 'could not store an access event'),
    );
  }

  function handleRequest(q: Request): void {
    const started = process.hrtime.bigint();
    const now = ctx.now();
    const nowMs = now.getTime();
    const door = dir.doors.get(q.deviceId);
    const found = resolve(dir, ctx.keys, q.type, q.value, q.deviceId, nowMs);
    const d: Decision = decide(
      {
        door,
        credentialType: q.type,
        direction: q.direction,
        subject: found.subject,
        blacklisted: found.blacklisted,
        ...(q.confidence !== undefined ? { confidence: q.confidence } : {}),
        keypadLocked: lockout.isLocked(q.deviceId, nowMs),
        lastPerimeterDirection: passback.lastDirection(found.holderKey, nowMs),
      },
      now,
      settings,
    );
    // Effects first, so the next request (maybe already queued behind this one) sees them.
    if (d.wrongCode && lockout.fail(q.deviceId, nowMs)) log.warn({ deviceId: q.deviceId }, 'keypad locked after repeated wrong codes');
    if (d.decision === 'grant') {
      if (door && PERIMETER.has(door.placeKind)) passback.passed(found.holderKey, q.direction, nowMs);
      if (d.countsEntry && found.subject.kind === 'pass') found.subject.pass.entriesUsed++;
      monitor(q.deviceId, { type: 'grant', at: nowMs });
    } else if (d.reason !== 'low_confidence') {
      monitor(q.deviceId, { type: 'deny', at: nowMs });
    }
    ctx.broker
      .publishTo(q.deviceId, 'accessReply', {
        requestId: q.requestId,
        decision: d.decision,
        reason: d.reason,
        ...(d.displayName !== undefined ? { displayName: d.displayName } : {}),
        ts: now.toISOString(),
      })
      .catch((err: unknown) => log.warn({ err, deviceId: q.deviceId }, 'could not send an access reply'));
    decideSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    decisions.inc({ decision: d.decision, reason: d.reason, offline: 'false' });
    if (d.reason === 'blacklisted') raise(q.deviceId, { type: 'blacklisted_credential', detail: { credentialType: q.type, direction: q.direction } }, now);
    const row = { id: randomUUID(), deviceId: q.deviceId, requestId: q.requestId, at: isoStored(now), receivedAt: isoStored(q.receivedAt), direction: q.direction, credentialType: q.type, decision: d.decision, reason: d.reason, residentId: d.residentId, passId: d.passId, householdId: d.householdId, offline: false };
    record({ row, countEntry: d.countsEntry }, now, q.type);
    if (d.countsEntry && d.passId !== null && found.subject.kind === 'pass') ctx.changed(found.subject.pass.allowedDoors);
  }

  /** Decisions a terminal made alone: stored with their own times; a visitor's granted entries still count. */
  function reconcile(deviceId: string, upload: OfflineLog, receivedAt: Date): void {
    for (const e of upload.entries) {
      const pass = e.passId !== undefined ? dir.passes.get(e.passId) : undefined;
      const resident = e.residentId !== undefined ? dir.residents.get(e.residentId) : undefined;
      const countEntry = e.decision === 'grant' && e.direction === 'in' && pass !== undefined;
      const at = new Date(e.ts);
      const row = { id: randomUUID(), deviceId, requestId: e.requestId, at: isoStored(at), receivedAt: isoStored(receivedAt), direction: e.direction, credentialType: e.credentialType, decision: e.decision, reason: e.reason, residentId: resident?.id ?? null, passId: pass?.id ?? e.passId ?? null, householdId: pass?.householdId ?? resident?.householdId ?? null, offline: true };
      deps.decisions.write({ row, countEntry }).then(
        (result) => {
          if (result !== 'stored') return;
          decisions.inc({ decision: e.decision, reason: e.reason, offline: 'true' });
          if (countEntry) {
            pass.entriesUsed++;
            ctx.changed(pass.allowedDoors);
          }
          const { id, decision, reason, residentId, householdId, passId } = row;
          ctx.bus.emit('access-decision', { accessEventId: id, deviceId, decision, reason, credentialType: e.credentialType, residentId, householdId, passId, offline: true, at });
        },
        (err: unknown) => log.error({ err, deviceId, requestId: e.requestId }, 'could not store an offline access event'),
      );
    }
    log.info({ deviceId, decisions: upload.entries.length }, 'offline decisions uploaded');
  }

  function doorReport(e: IngestedEvent, state: 'open' | 'closed', cause: OpenCause): void {
    const late = e.receivedAt.getTime() - e.deviceTime.getTime() > LATE_MS;
    monitor(e.deviceId, { type: 'door', state, cause, at: ctx.now().getTime(), late });
  }

  return {
    onDeviceEvent(e: IngestedEvent): void {
      switch (e.name) {
        case 'accessRequest':
          return handleRequest({ deviceId: e.deviceId, requestId: e.payload.requestId, type: e.payload.credential.type, value: e.payload.credential.value, direction: e.payload.direction, receivedAt: e.receivedAt });
        case 'plateRead':
          return handleRequest({ deviceId: e.deviceId, requestId: e.payload.requestId, type: 'plate', value: e.payload.plate, direction: e.payload.lane, confidence: e.payload.confidence, receivedAt: e.receivedAt });
        case 'doorState':
          return doorReport(e, e.payload.state, e.payload.cause);
        case 'barrierState':
          return doorReport(e, e.payload.state === 'raised' ? 'open' : 'closed', e.payload.cause);
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
    /** A guard opened the door remotely: the opening that follows is covered. */
    remoteOpened(deviceId: string, at: Date): void {
      monitor(deviceId, { type: 'remote', at: at.getTime() });
    },
    record,
    tick(): void {
      const at = ctx.now().getTime();
      for (const [deviceId, w] of watches) if (w.open) monitor(deviceId, { type: 'tick', at });
    },
    openSince(deviceId: string): Date | null {
      const w = watches.get(deviceId);
      return w?.open && w.openedAt !== null ? new Date(w.openedAt) : null;
    },
  };
}

export type Engine = ReturnType<typeof createEngine>;
