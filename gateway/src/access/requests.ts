import { randomUUID } from 'node:crypto';
import type { Counter, Histogram } from 'prom-client';
import type { CredentialType, OfflineLog } from '../contracts';
import type { AccessWrite, AccessWriteResult } from '../db/access';
import type { GroupCommit } from '../db/group-commit';
import { isoStored } from '../db/time';
import type { PassRecord } from '../db/records/access';
import type { AccessContext } from './context';
import { type Decision, PERIMETER, decide } from './decide';
import type { DoorWatchService } from './door-watch';
import { resolve } from './resolve';
import { KeypadLockout, PassbackMemory } from './state';

export interface Request {
  deviceId: string;
  requestId: string;
  type: CredentialType;
  value: string;
  direction: 'in' | 'out';
  confidence?: number;
  receivedAt: Date;
}

export interface RequestMetrics {
  decisions: Counter;
  decideSeconds: Histogram;
}

/**
 * Access requests and plate reads in, replies out within milliseconds (the decision uses only memory: the directory,
 * the keypad lockout, anti-passback; a fresh request is answered before its own commit), every decision stored
 * through group commit once its request is committed, and then put on the bus.
 */
export function createRequestHandling(
  ctx: AccessContext,
  deps: { decisions: GroupCommit<AccessWrite, AccessWriteResult>; doors: DoorWatchService; metrics: RequestMetrics },
) {
  const { log } = ctx;
  const { doors } = deps;
  const { decisions, decideSeconds } = deps.metrics;
  const decideNow = memoryDecider(ctx, doors);

  const record = (w: AccessWrite, at: Date, credentialType: string, counted?: PassRecord) => storeDecision(ctx, deps.decisions, w, at, credentialType, counted);

  /** Decides, answers the door and applies the decision's effects; what is left is storing it (`store`). */
  function decideAndAnswer(q: Request) {
    const started = process.hrtime.bigint();
    const now = ctx.now();
    const { d, found } = decideNow(q, now);
    sendReply(ctx, q, d, now);
    decideSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    decisions.inc({ decision: d.decision, reason: d.reason, offline: 'false' });
    if (d.reason === 'blacklisted') doors.raise(q.deviceId, { type: 'blacklisted_credential', detail: { credentialType: q.type, direction: q.direction } }, now);
    const pass = d.countsEntry && found.subject.kind === 'pass' ? found.subject.pass : undefined;
    if (pass && d.passId !== null) ctx.changed(pass.allowedDoors);
    const write = { row: decisionRow(q, d, now), countEntry: d.countsEntry };
    return {
      store: () => record(write, now, q.type, pass),
      /** The request was not accepted (it will come again): its decision is not stored and its entry not used. */
      drop: () => {
        if (pass && d.countsEntry) pass.entriesUsed--;
      },
    };
  }

  const waiting = waitingDoors();

  /**
   * A request as it arrives, its commit under way. One that may be answered now (`now`: certainly the first copy,
   * and no opening of its door still on its way to the database) is decided and answered at once, and its decision
   * stored once the request itself is committed: the door does not wait for the disk. Any other (a copy answered
   * before a lost PUBACK or a restart, say) is decided only if its commit finds it new, and so are the same
   * device's later requests until then: each door's requests are decided in the order they came.
   */
  function arrive(q: Request, now: boolean, committed: Promise<boolean>): void {
    const id = q.deviceId;
    if (now && !waiting.has(id)) {
      const decided = decideAndAnswer(q);
      committed.then(decided.store, (err: unknown) => {
        decided.drop();
        log.warn({ err, deviceId: id, requestId: q.requestId }, 'access request answered but not accepted; its decision is not stored');
      });
      return;
    }
    const done = waiting.add(id);
    committed.then(
      (isNew) => {
        done();
        if (isNew) decideAndAnswer(q).store();
      },
      () => done(),
    );
  }

  return {
    arrive,
    reconcile: (deviceId: string, upload: OfflineLog, receivedAt: Date) => reconcileOfflineLog(ctx, deps.decisions, decisions, deviceId, upload, receivedAt),
    record,
  };
}

/**
 * The decision from memory alone, and its effects on that memory (keypad lockout, anti-passback, a pass's entry
 * counted, door monitoring told) before the next request is decided.
 */
function memoryDecider(ctx: AccessContext, doors: DoorWatchService) {
  const { dir, settings, log } = ctx;
  const lockout = new KeypadLockout(settings.keypad);
  const passback = new PassbackMemory(settings.passbackResetMs);
  return function decideNow(q: Request, now: Date) {
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
      doors.monitor(q.deviceId, { type: 'grant', at: nowMs });
    } else if (d.reason !== 'low_confidence') {
      doors.monitor(q.deviceId, { type: 'deny', at: nowMs });
    }
    return { d, found };
  };
}

/**
 * Stores a decision and then puts it on the bus. `counted`: the visitor pass whose entry the decision counted in
 * memory; if the row turns out to be there already (the same request decided before), the count is given back, as
 * only a stored grant uses an entry.
 */
function storeDecision(
  ctx: AccessContext,
  writes: GroupCommit<AccessWrite, AccessWriteResult>,
  w: AccessWrite,
  at: Date,
  credentialType: string,
  counted?: PassRecord,
): void {
  writes.write(w).then(
    (result) => {
      if (result !== 'stored') {
        if (counted && w.countEntry) counted.entriesUsed--;
        return;
      }
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
    (err: unknown) => ctx.log.error({ err, deviceId: w.row.deviceId, requestId: w.row.requestId }, 'could not store an access event'),
  );
}

/**
 * Devices with requests waiting for their commit before they are decided, and how many: `add` counts one in and
 * returns the call that counts it out.
 */
function waitingDoors() {
  const waiting = new Map<string, number>();
  return {
    has: (id: string) => waiting.has(id),
    add(id: string): () => void {
      waiting.set(id, (waiting.get(id) ?? 0) + 1);
      return () => {
        const n = (waiting.get(id) ?? 1) - 1;
        if (n > 0) waiting.set(id, n);
        else waiting.delete(id);
      };
    },
  };
}

/** The reply goes out before the request and its decision are stored: the door must not wait for the disk. */
function sendReply(ctx: AccessContext, q: Request, d: Decision, now: Date): void {
  ctx.broker
    .publishTo(q.deviceId, 'accessReply', {
      requestId: q.requestId,
      decision: d.decision,
      reason: d.reason,
      ...(d.displayName !== undefined ? { displayName: d.displayName } : {}),
      ts: now.toISOString(),
    })
    .catch((err: unknown) => ctx.log.warn({ err, deviceId: q.deviceId }, 'could not send an access reply'));
}

/** The AccessEvent row of a decision the gateway made. */
export function decisionRow(q: Request, d: Decision, now: Date): AccessWrite['row'] {
  return { id: randomUUID(), deviceId: q.deviceId, requestId: q.requestId, at: isoStored(now), receivedAt: isoStored(q.receivedAt), direction: q.direction, credentialType: q.type, decision: d.decision, reason: d.reason, residentId: d.residentId, passId: d.passId, householdId: d.householdId, offline: false };
}

/** Decisions a terminal made alone: stored with their own times; a visitor's granted entries still count. */
function reconcileOfflineLog(
  ctx: AccessContext,
  writes: GroupCommit<AccessWrite, AccessWriteResult>,
  decisions: Counter,
  deviceId: string,
  upload: OfflineLog,
  receivedAt: Date,
): void {
  const { dir, log } = ctx;
  for (const e of upload.entries) {
    const pass = e.passId !== undefined ? dir.passes.get(e.passId) : undefined;
    const resident = e.residentId !== undefined ? dir.residents.get(e.residentId) : undefined;
    const countEntry = e.decision === 'grant' && e.direction === 'in' && pass !== undefined;
    const at = new Date(e.ts);
    const row = { id: randomUUID(), deviceId, requestId: e.requestId, at: isoStored(at), receivedAt: isoStored(receivedAt), direction: e.direction, credentialType: e.credentialType, decision: e.decision, reason: e.reason, residentId: resident?.id ?? null, passId: pass?.id ?? e.passId ?? null, householdId: pass?.householdId ?? resident?.householdId ?? null, offline: true };
    writes.write({ row, countEntry }).then(
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
