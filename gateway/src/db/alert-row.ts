import type { Alert } from '../contracts/api/alerts';

/** The Alert row's columns the write path sets (besides id and dedupKey), the same on SQLite and PostgreSQL. */
export const COLUMNS = [
  'type', 'severity', 'status', 'latched', 'priority', 'deviceId', 'householdId', 'place', 'tags', 'detail', 'count', 'firstAt', 'lastAt',
  'cancelRequestedAt', 'ackedBy', 'ackedAt', 'ackNote', 'onSiteBy', 'onSiteAt', 'clearedBy', 'clearedAt', 'clearNote', 'assignedTo',
  'escalationLevel', 'nextDeadlineAt', 'deadlineKind',
] as const;

/** The AlertHistory row of one change (its snapshot is the alert itself). */
export interface HistoryRow {
  at: Date;
  action: string;
  actor: string;
  note: string | null;
  detail: string | null;
  source: string | null;
}

/** A notification delivery written with the change (NotificationDelivery, status pending). */
export interface DeliveryRow {
  id: string;
  level: number;
  target: string;
  body: string;
}

/** What the alert lifecycle writes (db/alerts.ts), on either store; every change is one transaction. */
export interface AlertWrites {
  /** Returns the history row id. */
  insert(a: Alert, dedupKey: string, h: HistoryRow, audit: string, outbox: readonly DeliveryRow[], done: readonly number[]): Promise<number>;
  /** Returns the history row id, or null when the stored row no longer matches `expect` (nothing written). */
  update(a: Alert, expect: { status: string; escalationLevel: number }, h: HistoryRow, audit: string, outbox: readonly DeliveryRow[], done: readonly number[]): Promise<number | null>;
  /** Alert outbox entries judged without changing any alert (a repeat of a state already open, a stray cancel). */
  done(ids: readonly number[]): Promise<void>;
}

