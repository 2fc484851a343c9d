import type { Alert } from '../contracts/api/alerts';
import type { AlertRepo, ChangeInput, OutboxRow, StoredChange } from '../db/alerts';
import type { Logger } from '../log';

/** What the store needs from the database (db/alerts.ts; an in-memory fake in unit tests). */
export type StoreRepo = Pick<AlertRepo, 'loadOpen' | 'lastHistoryId' | 'insert' | 'update' | 'byId' | 'outboxDone'>;

/**
 * The alerts that are not cleared, held in memory and written through to the database, with every change made one
 * at a time (a serial queue). One writer means: the dedup index is always right, history ids come out in the order
 * the live stream sends them, and a snapshot taken inside the queue sits exactly between two changes.
 */
export class AlertStore {
  /** dedupKey → alert, for every alert not cleared. */
  private readonly open = new Map<string, Alert>();
  private readonly keyById = new Map<string, string>();
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private last = 0;

  constructor(
    private readonly repo: StoreRepo,
    private readonly log: Logger,
    private readonly emit: (change: StoredChange, outbox: readonly OutboxRow[]) => void,
  ) {}

  async load(): Promise<void> {
    for (const r of await this.repo.loadOpen()) {
      this.open.set(r.dedupKey, r.alert);
      this.keyById.set(r.alert.id, r.dedupKey);
    }
    this.last = await this.repo.lastHistoryId();
  }

  /** Runs `task` after every change queued before it; tasks never overlap. */
  run<T>(task: () => Promise<T>): Promise<T> {
    this.pending++;
    const p = this.tail.then(task).finally(() => this.pending--);
    this.tail = p.catch(() => undefined);
    return p;
  }

  /** Resolves when every queued change has been written. */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.tail;
  }

  get queued(): number {
    return this.pending;
  }

  get lastId(): number {
    return this.last;
  }

  byKey(key: string): Alert | undefined {
    return this.open.get(key);
  }

  byId(id: string): { alert: Alert; key: string } | undefined {
    const key = this.keyById.get(id);
    const alert = key === undefined ? undefined : this.open.get(key);
    return key !== undefined && alert ? { alert, key } : undefined;
  }

  all(): Alert[] {
    return [...this.open.values()];
  }

  /** Writes a new alert (inside run()); `done`: the alert outbox entries it judges, marked in the same transaction. */
  async insert(alert: Alert, key: string, change: ChangeInput, outbox: readonly OutboxRow[] = [], done: readonly number[] = []): Promise<StoredChange> {
    const stored = await this.repo.insert(alert, key, change, outbox, done);
    this.commit(stored, key, outbox);
    return stored;
  }

  /**
   * Writes a changed alert (inside run()), conditional on the stored row still being `before`: escalation after a
   * restart is idempotent because the level it starts from is part of the condition. null when the row moved on.
   */
  async update(before: Alert, after: Alert, key: string, change: ChangeInput, outbox: readonly OutboxRow[] = [], done: readonly number[] = []): Promise<StoredChange | null> {
    const stored = await this.repo.update(after, key, change, { status: before.status, escalationLevel: before.escalationLevel }, outbox, done);
    if (!stored) {
      this.log.warn({ alertId: before.id, action: change.action }, 'alert changed underneath; reloading it');
      const fresh = await this.repo.byId(before.id);
      if (fresh && fresh.alert.status !== 'cleared') this.open.set(key, fresh.alert);
      else this.forget(before.id, key);
      return null;
    }
    this.commit(stored, key, outbox);
    return stored;
  }

  /** Marks alert outbox entries judged that changed no alert (inside run()). */
  async markDone(ids: readonly number[]): Promise<void> {
    if (ids.length > 0) await this.repo.outboxDone(ids);
  }

  private commit(stored: StoredChange, key: string, outbox: readonly OutboxRow[]) {
    this.last = Math.max(this.last, stored.id);
    if (stored.alert.status === 'cleared') this.forget(stored.alert.id, key);
    else {
      this.open.set(key, stored.alert);
      this.keyById.set(stored.alert.id, key);
    }
    this.emit(stored, outbox);
  }

  private forget(id: string, key: string) {
    if (this.open.get(key)?.id === id) this.open.delete(key);
    this.keyById.delete(id);
  }
}
