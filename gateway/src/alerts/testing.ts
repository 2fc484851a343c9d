import type { Alert } from '../contracts/api/alerts';
import type { ChangeInput, OutboxRow, StoredChange } from '../db/alerts';
import type { Logger } from '../log';
import type { StoreRepo } from './store';

/** The database as the store sees it, in memory, for unit tests of the lifecycle. */
export class MemoryRepo implements StoreRepo {
  readonly rows = new Map<string, { alert: Alert; dedupKey: string }>();
  readonly history: StoredChange[] = [];
  readonly outbox: OutboxRow[] = [];
  /** Alert outbox entries marked done, in order. */
  readonly done: number[] = [];
  /** Set to make the next conditional update find the row changed (another process got there first). */
  interfere = false;

  async loadOpen() {
    return [...this.rows.values()].filter((r) => r.alert.status !== 'cleared');
  }
  async lastHistoryId() {
    return this.history.at(-1)?.id ?? 0;
  }
  async byId(id: string) {
    return this.rows.get(id) ?? null;
  }
  async insert(a: Alert, dedupKey: string, c: ChangeInput, outbox: readonly OutboxRow[] = [], done: readonly number[] = []) {
    this.rows.set(a.id, { alert: a, dedupKey });
    this.outbox.push(...outbox);
    this.done.push(...done);
    return this.record(a, c);
  }
  async update(a: Alert, dedupKey: string, c: ChangeInput, expect: { status: string; escalationLevel: number }, outbox: readonly OutboxRow[] = [], done: readonly number[] = []) {
    const row = this.rows.get(a.id);
    if (this.interfere) {
      this.interfere = false;
      if (row) row.alert = { ...row.alert, escalationLevel: row.alert.escalationLevel + 1 };
      return null;
    }
    if (!row || row.alert.status !== expect.status || row.alert.escalationLevel !== expect.escalationLevel) return null;
    this.rows.set(a.id, { alert: a, dedupKey });
    this.outbox.push(...outbox);
    this.done.push(...done);
    return this.record(a, c);
  }
  async outboxDone(ids: readonly number[]) {
    this.done.push(...ids);
  }
  actions(alertId?: string) {
    return this.history.filter((h) => alertId === undefined || h.alertId === alertId).map((h) => h.action);
  }
  private record(a: Alert, c: ChangeInput): StoredChange {
    const s: StoredChange = { id: this.history.length + 1, alertId: a.id, action: c.action, at: c.at.toISOString(), actor: c.actor, note: c.note, alert: a };
    this.history.push(s);
    return s;
  }
}

const noop = () => undefined;
/** A logger that drops everything. */
export const silentLog = { info: noop, warn: noop, error: noop, debug: noop, child: () => silentLog } as unknown as Logger;
