import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Alert } from '../contracts/api/alerts';
import { LiveAlertChange, type LiveEventName, LiveHeartbeat, LiveHello, LiveSnapshot, LiveStatus, LiveUnsaved } from '../contracts/live';
import type { StoredChange } from '../db/alerts';
import type { Logger } from '../log';
import { traceAlarm } from '../metrics/alarm-trace';
import { boardAlert, boardChange } from './board-view';

export interface HubOptions {
  heartbeatMs: number;
  ackTimeoutMs: number;
  /** Bytes waiting in one client's socket buffer before that client is dropped. */
  maxBufferBytes: number;
}

export interface HubDeps {
  log: Logger;
  now: () => Date;
  /** Id of the newest change that was published. */
  lastId: () => number;
  /** The alerts not cleared, as of lastId() (both are updated in the same tick by the store). */
  openAlerts: () => Alert[];
  onDrop?: (reason: 'slow' | 'no_ack' | 'replaced') => void;
}

interface Client {
  id: string;
  user: string;
  res: ServerResponse;
  /** replaying: live frames wait in `held` until the catch-up is written; live: frames go straight out. */
  live: boolean;
  held: Array<{ id: number; frame: string }>;
  heldBytes: number;
  ackRequired: boolean;
  lastAckAt: number;
  /** A signed-out guard station's read-only board (live/board-view.ts): alarms without people's notes. */
  restricted: boolean;
}

/** One SSE frame. JSON has no raw newlines, so `data:` is a single line. */
export function frame(event: LiveEventName, data: unknown, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The guard station's clients. Each change is serialised once and written to every client without waiting for
 * any of them: a client whose unsent bytes pass the bound is dropped (it reconnects and resumes from its last id),
 * so one slow screen costs memory up to the bound and never delays the others.
 */
export class LiveHub {
  private readonly clients = new Map<string, Client>();
  private timer: NodeJS.Timeout | null = null;
  /** Alarms shown unsaved and not stored yet (a screen that connects meanwhile gets them after hello). */
  private readonly unsavedAlarms = new Map<string, string>();
  private statusFrame: string | null = null;

  constructor(
    private readonly opts: HubOptions,
    private readonly deps: HubDeps,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  start(): void {
    this.timer ??= setInterval(() => this.beat(), this.opts.heartbeatMs);
    this.timer.unref();
  }

  /**
   * Adds a client, in the same tick reading the newest change id and the open alerts: every change after that id
   * reaches this client through publish(), every earlier one is in the snapshot (or in the caller's replay).
   */
  attach(res: ServerResponse, opts: { user: string; ackRequired: boolean; resumed: boolean; restricted?: boolean }): { client: Client; upto: number; alerts: Alert[] } {
    const lastId = this.deps.lastId();
    const alerts = this.deps.openAlerts();
    const client: Client = {
      id: randomUUID(),
      user: opts.user,
      res,
      live: false,
      held: [],
      heldBytes: 0,
      ackRequired: opts.ackRequired,
      lastAckAt: this.deps.now().getTime(),
      restricted: opts.restricted ?? false,
    };
    this.clients.set(client.id, client);
    res.on('close', () => this.clients.delete(client.id));
    const hello = LiveHello.parse({
      connectionId: client.id,
      heartbeatSec: this.opts.heartbeatMs / 1000,
      ackWithinSec: opts.ackRequired ? this.opts.ackTimeoutMs / 1000 : null,
      resumed: opts.resumed,
      serverTime: this.deps.now().toISOString(),
    });
    // retry: how long EventSource waits before reconnecting after a drop.
    res.write(`retry: 2000\n${frame('hello', hello)}${this.statusFrame ?? ''}${[...this.unsavedAlarms.values()].join('')}`);
    return { client, upto: lastId, alerts };
  }

  snapshotFrame(lastId: number, alerts: Alert[], restricted = false): string {
    return frame('snapshot', LiveSnapshot.parse({ lastId, alerts: restricted ? alerts.map(boardAlert) : alerts }), lastId);
  }

  /** Ends the catch-up: held live frames newer than `sentUpTo` go out, then frames flow directly. */
  goLive(client: Client, sentUpTo: number): void {
    for (const h of client.held) if (h.id > sentUpTo) this.write(client, h.frame);
    client.held = [];
    client.heldBytes = 0;
    client.live = true;
  }

  publish(change: StoredChange): void {
    if (this.clients.size === 0) return;
    const data = LiveAlertChange.parse({ id: change.id, action: change.action, at: change.at, actor: change.actor, note: change.note, alert: change.alert });
    const full = frame('alert', data, change.id);
    // Serialised once per kind of screen, and the restricted one only when such a screen is connected.
    let board: string | null = null;
    for (const c of this.clients.values()) {
      const f = c.restricted ? (board ??= frame('alert', boardChange(data), change.id)) : full;
      if (c.live) {
        this.write(c, f);
        continue;
      }
      c.held.push({ id: change.id, frame: f });
      c.heldBytes += f.length;
      if (c.heldBytes + c.res.writableLength > this.opts.maxBufferBytes) this.drop(c, 'slow');
    }
    if (change.action === 'raised' && change.alert.type === 'alarm_press' && change.alert.deviceId !== null) traceAlarm('frame', change.alert.deviceId);
  }

  /** The database's write health (the guard station's banner): remembered for screens that connect later. */
  status(s: LiveStatus): void {
    this.statusFrame = frame('status', LiveStatus.parse(s));
    this.broadcast(this.statusFrame);
  }

  /** An alarm not stored yet (state unsaved), or stored since (saved). Outside the change log: no id. */
  unsaved(u: LiveUnsaved): void {
    const f = frame('unsaved', LiveUnsaved.parse(u));
    const key = `${u.deviceId}\0${u.eventId}`;
    if (u.state === 'unsaved') {
      // Bounded: the device's resends of one press share a key; a storm of distinct unsaved presses keeps the latest.
      if (this.unsavedAlarms.size >= 1_000 && !this.unsavedAlarms.has(key)) {
        const oldest = this.unsavedAlarms.keys().next();
        if (!oldest.done) this.unsavedAlarms.delete(oldest.value);
      }
      this.unsavedAlarms.set(key, f);
    } else this.unsavedAlarms.delete(key);
    this.broadcast(f);
  }

  private broadcast(f: string): void {
    for (const c of this.clients.values()) this.write(c, f);
  }

  /**
   * Ends `user`'s oldest streams until at most `keep` remain; returns how many were ended. Map order is insertion
   * order, so the first ones found are the oldest.
   */
  evictOldestOf(user: string, keep: number): number {
    const mine = [...this.clients.values()].filter((c) => c.user === user);
    const excess = mine.slice(0, Math.max(0, mine.length - Math.max(0, keep)));
    for (const c of excess) {
      this.clients.delete(c.id);
      this.deps.onDrop?.('replaced');
      c.res.end();
    }
    return excess.length;
  }

  /**
   * A supervised client (`?ack=1`) proves it is still reading. With `user`, only a connection of that user counts (a
   * station's board acknowledges its own streams, never another station's).
   */
  ack(connectionId: string, user?: string): boolean {
    const c = this.clients.get(connectionId);
    if (!c || (user !== undefined && c.user !== user)) return false;
    c.lastAckAt = this.deps.now().getTime();
    return true;
  }

  /** Writes and reports whether the socket took it without buffering (for the caller's replay to await drain). */
  write(c: Client, f: string): boolean {
    if (c.res.destroyed) {
      this.clients.delete(c.id);
      return true;
    }
    const flushed = c.res.write(f);
    if (c.res.writableLength > this.opts.maxBufferBytes) this.drop(c, 'slow');
    return flushed;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const c of this.clients.values()) c.res.end();
    this.clients.clear();
  }

  private beat(): void {
    const now = this.deps.now();
    const f = frame('heartbeat', LiveHeartbeat.parse({ at: now.toISOString(), lastId: this.deps.lastId() }));
    for (const c of this.clients.values()) {
      if (c.ackRequired && now.getTime() - c.lastAckAt > this.opts.ackTimeoutMs) {
        this.drop(c, 'no_ack');
        continue;
      }
      this.write(c, f);
    }
  }

  private drop(c: Client, reason: 'slow' | 'no_ack'): void {
    if (!this.clients.delete(c.id)) return;
    this.deps.log.warn({ connectionId: c.id, user: c.user, reason, buffered: c.res.writableLength + c.heldBytes }, 'live client dropped');
    this.deps.onDrop?.(reason);
    c.res.destroy();
  }
}
