import { HouseholdTag } from '../contracts';
import {
  Alert,
  AlertAction,
  type AlertHistoryEntry,
  type AlertListQuery,
  AlertPlace,
  AlertType,
  DeadlineKind,
  Detail,
} from '../contracts/api/alerts';
import { TYPES } from '../rules/types';
import { alertWrites } from './alert-writes';
import type { Alert as AlertRow, AlertHistory as HistoryRow, Prisma } from './generated/client';
import type { Store } from './pg-client';

/** An alert as the lifecycle service holds it: the contract plus the condition key. */
export interface AlertRecord {
  alert: Alert;
  dedupKey: string;
}

/** One change: the alert's state after it, and the history row that records it. */
export interface ChangeInput {
  action: AlertAction;
  actor: string;
  at: Date;
  note: string | null;
  detail?: Detail | null;
  source?: string | null;
}

/** A notification to send because of this change, written in the same transaction (an outbox: never lost). */
export interface OutboxRow {
  id: string;
  level: number;
  target: string;
  body: string;
}

export interface StoredChange {
  id: number;
  alertId: string;
  action: AlertAction;
  at: string;
  actor: string;
  note: string | null;
  alert: Alert;
}

const json = (s: string): unknown => JSON.parse(s);
const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A stored alert row as the contract's Alert; its escalation target named after `chain`. */
export function alertOfRow(r: AlertRow, chain: readonly string[]): Alert {
  return Alert.parse({
    id: r.id,
    type: r.type,
    severity: r.severity,
    category: TYPES[AlertType.parse(r.type)].category,
    status: r.status,
    latched: r.latched,
    priority: r.priority,
    deviceId: r.deviceId,
    householdId: r.householdId,
    place: AlertPlace.parse(json(r.place)),
    tags: HouseholdTag.array().parse(json(r.tags)),
    count: r.count,
    firstAt: r.firstAt.toISOString(),
    lastAt: r.lastAt.toISOString(),
    detail: Detail.parse(json(r.detail)),
    cancelRequestedAt: iso(r.cancelRequestedAt),
    ackedBy: r.ackedBy,
    ackedAt: iso(r.ackedAt),
    ackNote: r.ackNote,
    onSiteBy: r.onSiteBy,
    onSiteAt: iso(r.onSiteAt),
    clearedBy: r.clearedBy,
    clearedAt: iso(r.clearedAt),
    clearNote: r.clearNote,
    assignedTo: r.assignedTo,
    escalationLevel: r.escalationLevel,
    escalationTarget: chain[r.escalationLevel] ?? `level_${r.escalationLevel}`,
    nextDeadlineAt: iso(r.nextDeadlineAt),
    deadlineKind: r.deadlineKind === null ? null : DeadlineKind.parse(r.deadlineKind),
  });
}

const historyOf = (c: ChangeInput) => ({ at: c.at, action: c.action, actor: c.actor, note: c.note, detail: c.detail ? JSON.stringify(c.detail) : null, source: c.source ?? null });
const auditOf = (a: Alert, c: ChangeInput) => JSON.stringify({ type: a.type, status: a.status, level: a.escalationLevel, note: c.note, ...(c.detail ?? {}) });
const stored = (id: number, a: Alert, c: ChangeInput): StoredChange => ({ id, alertId: a.id, action: c.action, at: c.at.toISOString(), actor: c.actor, note: c.note, alert: a });

const toEntry = (h: HistoryRow): AlertHistoryEntry => ({
  id: h.id,
  alertId: h.alertId,
  at: h.at.toISOString(),
  action: AlertAction.parse(h.action),
  actor: h.actor,
  note: h.note,
  detail: h.detail === null ? null : Detail.parse(json(h.detail)),
});

/** Alerts on either store: reads through Prisma, the lifecycle's writes on the store's own path (db/alert-writes.ts). */
export function alertRepo(store: Store, chain: readonly string[]) {
  const { prisma } = store;
  const toAlert = (r: AlertRow): Alert => alertOfRow(r, chain);
  const writes = alertWrites(store);

  return {
    toAlert,

    /** Every alert that is not cleared, for the service's in-memory index. */
    async loadOpen(): Promise<AlertRecord[]> {
      const rows = await prisma.alert.findMany({ where: { status: { not: 'cleared' } } });
      return rows.map((r) => ({ alert: toAlert(r), dedupKey: r.dedupKey }));
    },

    async lastHistoryId(): Promise<number> {
      const r = await prisma.alertHistory.aggregate({ _max: { id: true } });
      return r._max.id ?? 0;
    },

    /** A new alert, its first history row, the audit entry and its outbox, in one transaction. */
    async insert(a: Alert, dedupKey: string, c: ChangeInput, outbox: readonly OutboxRow[] = [], done: readonly number[] = []): Promise<StoredChange> {
      const id = await writes.insert(a, dedupKey, historyOf(c), auditOf(a, c), outbox, done);
      return stored(id, a, c);
    },

    /**
     * Writes the alert's new state with its history row, only if the stored row still has `expect` (the state the
     * caller computed from). null: someone else changed it first; nothing was written.
     */
    async update(
      a: Alert,
      _dedupKey: string,
      c: ChangeInput,
      expect: { status: string; escalationLevel: number },
      outbox: readonly OutboxRow[] = [],
      done: readonly number[] = [],
    ): Promise<StoredChange | null> {
      const id = await writes.update(a, expect, historyOf(c), auditOf(a, c), outbox, done);
      return id === null ? null : stored(id, a, c);
    },

    /** Marks alert outbox entries judged that changed no alert. */
    async outboxDone(ids: readonly number[]): Promise<void> {
      if (ids.length > 0) await writes.done(ids);
    },

    /** Changes after `afterId`, oldest first, each with the alert as it was right after the change. */
    async changesSince(afterId: number, limit: number): Promise<StoredChange[]> {
      const rows = await prisma.alertHistory.findMany({ where: { id: { gt: afterId } }, orderBy: { id: 'asc' }, take: limit });
      return rows.map((h) => ({ id: h.id, alertId: h.alertId, action: AlertAction.parse(h.action), at: h.at.toISOString(), actor: h.actor, note: h.note, alert: Alert.parse(json(h.snapshot)) }));
    },

    async get(id: string): Promise<{ alert: Alert; history: AlertHistoryEntry[] } | null> {
      const r = await prisma.alert.findUnique({ where: { id }, include: { history: { orderBy: { id: 'asc' } } } });
      return r ? { alert: toAlert(r), history: r.history.map(toEntry) } : null;
    },

    async list(q: AlertListQuery): Promise<{ alerts: Alert[]; total: number }> {
      const where: Prisma.AlertWhereInput = {
        status: { in: q.status ?? ['open', 'acknowledged'] },
        ...(q.severity ? { severity: { in: q.severity } } : {}),
        ...(q.type ? { type: { in: q.type } } : {}),
        ...(q.deviceId ? { deviceId: q.deviceId } : {}),
        ...(q.householdId ? { householdId: q.householdId } : {}),
        ...(q.from || q.to ? { firstAt: { ...(q.from ? { gte: new Date(q.from) } : {}), ...(q.to ? { lt: new Date(q.to) } : {}) } } : {}),
      };
      const orderBy: Prisma.AlertOrderByWithRelationInput[] = q.sort === 'priority' ? [{ priority: 'desc' }, { lastAt: 'desc' }] : [{ firstAt: 'desc' }];
      const [rows, total] = await prisma.$transaction([prisma.alert.findMany({ where, orderBy, take: q.limit, skip: q.offset }), prisma.alert.count({ where })]);
      return { alerts: rows.map(toAlert), total };
    },

    async byId(id: string): Promise<AlertRecord | null> {
      const r = await prisma.alert.findUnique({ where: { id } });
      return r ? { alert: toAlert(r), dedupKey: r.dedupKey } : null;
    },

    /** For the response-time report. */
    async raisedBetween(from: Date, to: Date) {
      const rows = await prisma.alert.findMany({
        where: { firstAt: { gte: from, lt: to } },
        select: { type: true, firstAt: true, ackedAt: true, clearedAt: true, clearedBy: true },
      });
      return rows.map((r) => ({ ...r, type: AlertType.parse(r.type) }));
    },
  };
}

export type AlertRepo = ReturnType<typeof alertRepo>;
