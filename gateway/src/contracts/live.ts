import { z } from 'zod';
import { Alert, AlertAction, AlertPlace } from './api/alerts';
import { HouseholdTag } from './common';

/**
 * The guard station's live stream: Server-Sent Events at GET /api/v1/live/alerts. Every frame's `data:` is one of
 * these, named by the SSE `event:` field. Change frames carry `id:` = the AlertHistory row id, an ordered change
 * log, so a client that reconnects with `Last-Event-ID` gets exactly the changes it missed.
 */
export const LIVE_EVENTS = ['hello', 'snapshot', 'alert', 'heartbeat', 'unsaved', 'status'] as const;
export type LiveEventName = (typeof LIVE_EVENTS)[number];

/** First frame of every connection. */
export const LiveHello = z.object({
  connectionId: z.string(),
  /** A heartbeat frame comes at least this often; a client that hears nothing for twice as long reconnects. */
  heartbeatSec: z.number().positive(),
  /** When the client asked to be supervised (`?ack=1`): POST /api/v1/live/ack at least this often or be dropped. */
  ackWithinSec: z.number().positive().nullable(),
  /** true: changes since Last-Event-ID follow; false: a snapshot follows and replaces whatever the client held. */
  resumed: z.boolean(),
  serverTime: z.iso.datetime({ offset: true }),
});
export type LiveHello = z.infer<typeof LiveHello>;

/** Every alert that is not cleared, as of change `lastId`; replaces the client's state. SSE `id:` = lastId. */
export const LiveSnapshot = z.object({
  lastId: z.number().int().nonnegative(),
  alerts: z.array(Alert),
});
export type LiveSnapshot = z.infer<typeof LiveSnapshot>;

/** One change to one alert; `alert` is its state right after the change (a cleared alert leaves the screen). */
export const LiveAlertChange = z.object({
  id: z.number().int().positive(),
  action: AlertAction,
  at: z.iso.datetime({ offset: true }),
  actor: z.string(),
  note: z.string().nullable(),
  alert: Alert,
});
export type LiveAlertChange = z.infer<typeof LiveAlertChange>;

/**
 * An alarm the gateway received but could not store yet (the database is locked or full): shown at once, marked
 * 未保存, and not acknowledged to the device, which keeps resending it. `saved` follows when it is stored; the alert
 * frames that follow are the confirmed record. No `id:` (these frames are not part of the change log).
 */
export const LiveUnsaved = z.object({
  state: z.enum(['unsaved', 'saved']),
  deviceId: z.string(),
  eventId: z.string(),
  /** A one-key alarm, or a door opening that door monitoring calls forced. */
  type: z.enum(['alarm_press', 'forced_entry']),
  place: AlertPlace,
  tags: z.array(HouseholdTag),
  at: z.iso.datetime({ offset: true }),
});
export type LiveUnsaved = z.infer<typeof LiveUnsaved>;

/** Whether the gateway can store anything: sent after hello and on every change (the guard station's banner). */
export const LiveStatus = z.object({
  database: z.enum(['ok', 'degraded']),
  /** locked, disk_full, readonly, io_error or SQLite's error code; null when ok. */
  reason: z.string().nullable(),
  at: z.iso.datetime({ offset: true }),
});
export type LiveStatus = z.infer<typeof LiveStatus>;

export const LiveHeartbeat = z.object({
  at: z.iso.datetime({ offset: true }),
  /** Id of the newest change; a client whose last id is lower knows frames are still coming. */
  lastId: z.number().int().nonnegative(),
});
export type LiveHeartbeat = z.infer<typeof LiveHeartbeat>;

export const LiveAckBody = z.object({ connectionId: z.string().min(1).max(64) }).strict();
export type LiveAckBody = z.infer<typeof LiveAckBody>;

/** POST /api/v1/live/ticket: opens one stream, within seconds, once. */
export const LiveTicketReply = z.object({
  ticket: z.string(),
  expiresAt: z.iso.datetime(),
});
export type LiveTicketReply = z.infer<typeof LiveTicketReply>;

export const LiveQuery = z.object({
  /**
   * For EventSource, which cannot set headers: a single-use ticket from POST /api/v1/live/ticket. A bearer token is
   * never accepted in a URL (URLs reach logs and proxies).
   */
  ticket: z.string().min(1).max(128).optional(),
  /** `1`: the server drops this client unless it acknowledges heartbeats (the guard UI does). */
  ack: z.enum(['0', '1']).optional(),
  /** Alternative to the Last-Event-ID header (for clients that cannot set it). */
  lastEventId: z.coerce.number().int().nonnegative().optional(),
});
export type LiveQuery = z.infer<typeof LiveQuery>;
