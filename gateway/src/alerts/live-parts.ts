import type { Config } from '../config';
import type { Alert } from '../contracts/api/alerts';
import { LiveHub } from '../live/hub';
import { type StationHolder, StreamTickets } from '../live/tickets';
import type { Logger } from '../log';
import type { AlertMetrics } from './metrics';

/**
 * The guard station's live stream as the alerts feature holds it: the hub every change is published to, the
 * stream tickets of signed-in staff, and those of registered guard stations' read-only boards.
 */
export function alertsLive(
  config: Config,
  deps: { log: Logger; now: () => Date; lastId: () => number; openAlerts: () => Alert[]; metrics: Pick<AlertMetrics, 'liveDropped'> },
) {
  const hub = new LiveHub(
    { heartbeatMs: config.LIVE_HEARTBEAT_SEC * 1000, ackTimeoutMs: config.LIVE_ACK_TIMEOUT_SEC * 1000, maxBufferBytes: config.LIVE_CLIENT_MAX_BUFFER_KB * 1024 },
    { log: deps.log, now: deps.now, lastId: deps.lastId, openAlerts: deps.openAlerts, onDrop: (reason) => deps.metrics.liveDropped.inc({ reason }) },
  );
  const tickets = new StreamTickets({ ttlMs: config.LIVE_TICKET_TTL_SEC * 1000, max: 10_000 });
  const boardTickets = new StreamTickets<StationHolder>({ ttlMs: config.LIVE_TICKET_TTL_SEC * 1000, max: 1_000 });
  /** A registered guard station's read-only board (station/routes.ts): a single-use stream ticket, and ending its streams. */
  const board = {
    ticket: (stationId: string) => boardTickets.issue({ stationId }),
    end: (stationId: string) => hub.evictOldestOf(`station:${stationId}`, 0),
    ack: (stationId: string, connectionId: string) => hub.ack(connectionId, `station:${stationId}`),
  };
  return { hub, tickets, boardTickets, board };
}
