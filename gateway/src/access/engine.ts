import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { AccessIncident, IngestedEvent, UnsavedOpening } from '../bus';
import { BarrierState, type CredentialType, DoorState, type OfflineLog } from '../contracts';
import type { AccessWrite, AccessWriteResult } from '../db/access';
import type { DoorHistoryRepo, StoredDoorReport } from '../db/door-history';
import type { EventWriter } from '../db/event-writer';
import type { GroupCommit } from '../db/group-commit';
import { isoStored } from '../db/time';
import type { AccessContext } from './context';
import { type Decision, PERIMETER, decide } from './decide';
import { type DoorReport, type DoorWatch, type IncidentDraft, type MonitorInput, type OpenCause, closedDoor, judgeStoredOpening, step } from './monitor';
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

/** A door or barrier event as door monitoring reads it; null for any other channel. */
function doorReportOf(e: IngestedEvent): Omit<DoorReport, 'at'> | null {
  const late = e.receivedAt.getTime() - e.deviceTime.getTime() > LATE_MS;
  if (e.name === 'doorState') return { state: e.payload.state, cause: e.payload.cause, late };
  if (e.name === 'barrierState') return { state: e.payload.state === 'raised' ? 'open' : 'closed', cause: e.payload.cause, late };
  return null;
}

/** A stored door or barrier report (DeviceEvent row), at the time the gateway received it; null if unreadable. */
function storedReport(r: StoredDoorReport): DoorReport | null {
  let json: unknown;
  try {
    json = JSON.parse(r.payload);
  } catch {
    return null;
  }
  const door = r.channel === 'door/state' ? DoorState.safeParse(json) : BarrierState.safeParse(json);
  if (!door.success) return null;
  const receivedAt = Date.parse(r.receivedAt);
  const state = door.data.state === 'open' || door.data.state === 'raised' ? 'open' : 'closed';
  return { state, cause: door.data.cause, at: receivedAt, late: receivedAt - Date.parse(door.data.ts) > LATE_MS };
}

/**
 * The door side of access control: access requests and plate reads in, replies out within milliseconds (the
 * decision uses only memory), every decision stored through group commit, and door monitoring turning door and
 * barrier reports into incidents. Incidents are stored (as gateway events) before they go on the bus.
 */
export function createEngine(
  ctx: AccessContext,
  deps: { events: EventWriter; decisions: GroupCommit<AccessWrite, AccessWriteResult>; history: DoorHistoryRepo; registry: Registry },
) {
  const { dir, settings, log } = ctx;
  const lockout = new KeypadLockout(settings.keypad);
  const passback = new PassbackMemory(settings.passbackResetMs);
  const watches = new Map<string, DoorWatch>();
  const r = [deps.registry];
  const decisions = new Counter({ name: 'linli_access_decisions_total', help: 'Door decisions by outcome and reason', labelNames: ['decision', 'reason', 'offline'], registers: r });
  const incidents = new Counter({ name: 'linli_access_incidents_total', help: 'Door monitoring incidents by type', labelNames: ['type'], registers: r });
  const decideSeconds = new Histogram({ name: 'linli_access_decide_seconds', help: 'Access request committed → reply published', buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05], registers: r });
  let seq = 0;
  /**
   * The live verdict on each recent opening, by its alert outbox entry: if the alert write fails and the outbox
   * sweep judges the opening again, it gets the same answer the live path gave (the replay from stored rows is for
   * openings nobody judged before a crash). Openings shown unsaved as forced, until they are stored.
   */
  const verdicts = new LRUCache<number, { incident: AccessIncident | null }>({ max: 10_000 });
  const unsavedForced = new LRUCache<string, true>({ max: 1_000 });

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

  /**
   * A stored door report. An opening carries its alert outbox entry (written with the event, before the PUBACK):
   * the verdict goes on the bus with it, so the alert engine marks the entry done with the forced-entry alert in one
   * transaction; a crash before that leaves the entry for the outbox sweep, which asks `judgeStored`.
   */
  function doorReport(e: IngestedEvent, state: 'open' | 'closed', cause: OpenCause): void {
    const late = e.receivedAt.getTime() - e.deviceTime.getTime() > LATE_MS;
    const input: MonitorInput = { type: 'door', state, cause, at: ctx.now().getTime(), late };
    const outboxId = e.outboxId ?? null;
    if (outboxId === null) return monitor(e.deviceId, input);
    const result = step(watches.get(e.deviceId) ?? closedDoor(), input, settings);
    watches.set(e.deviceId, result.watch);
    const forced = result.incidents.find((i) => i.type === 'forced_entry');
    for (const draft of result.incidents) if (draft !== forced) raise(e.deviceId, draft, new Date(input.at));
    const incident: AccessIncident | null = forced ? { ...forced, deviceId: e.deviceId, at: new Date(input.at) } : null;
    if (incident) {
      incidents.inc({ type: incident.type });
      log.warn({ deviceId: e.deviceId, type: incident.type, detail: incident.detail }, 'access incident');
    }
    verdicts.set(outboxId, { incident });
    ctx.bus.emit('door-judged', { outboxId, incident });
  }

  /** An opening from the alert outbox nobody finished judging: the live verdict if there was one, else a replay. */
  function judgeStored(e: IngestedEvent, eventSeq: number, outboxId: number): AccessIncident | null {
    const known = verdicts.get(outboxId);
    if (known) return known.incident;
    const report = doorReportOf(e);
    if (!report || report.state !== 'open') return null;
    const at = e.receivedAt.getTime();
    const h = deps.history.around(e.deviceId, eventSeq, e.receivedAt, settings.grantWindowMs);
    const reports = h.reports.map(storedReport).filter((r) => r !== null);
    const before = h.before ? storedReport(h.before) : null;
    const draft = judgeStoredOpening({ before, reports, grants: h.grants.map((g) => Date.parse(g)) }, { ...report, at }, settings);
    if (!draft) return null;
    incidents.inc({ type: draft.type });
    log.warn({ deviceId: e.deviceId, type: draft.type, detail: draft.detail }, 'access incident judged from the stored opening (after a restart)');
    return { ...draft, deviceId: e.deviceId, at: e.receivedAt };
  }

  /**
   * An opening the database could not store yet: if door monitoring would call it forced, the guard station shows
   * it at once, marked unsaved (the state is not changed: the stored event is judged again when it commits).
   */
  function unsavedOpening(u: UnsavedOpening): void {
    const key = `${u.event.deviceId}:${u.eventId}`;
    const base = { deviceId: u.event.deviceId, eventId: u.eventId, at: u.event.receivedAt, type: 'forced_entry' } as const;
    if (u.state === 'saved') {
      if (unsavedForced.delete(key)) ctx.bus.emit('unsaved-alarm', { ...base, state: 'saved' });
      return;
    }
    const report = doorReportOf(u.event);
    if (!report || report.state !== 'open') return;
    const peek = step(watches.get(u.event.deviceId) ?? closedDoor(), { type: 'door', ...report, at: ctx.now().getTime() }, settings);
    if (!peek.incidents.some((i) => i.type === 'forced_entry')) return;
    unsavedForced.set(key, true);
    log.warn({ deviceId: u.event.deviceId, eventId: u.eventId }, 'door opening not stored yet looks forced; shown to the guard station as unsaved');
    ctx.bus.emit('unsaved-alarm', { ...base, state: 'unsaved' });
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
    judgeStored,
    unsavedOpening,
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
