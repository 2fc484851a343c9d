import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorReply } from '../contracts/api/auth';
import { LiveAckBody, LiveAlertChange, LiveQuery, LiveTicketReply } from '../contracts/live';
import type { StoredChange } from '../db/alerts';
import { AppError } from '../errors';
import { principalOf, requireRole } from '../api/auth';
import { perUser } from '../api/limits';
import type { FeatureRoutes } from '../api/routes';
import { type LiveHub, frame } from './hub';
import { boardChange } from './board-view';
import type { StationHolder, StreamTickets } from './tickets';

export interface LiveRouteDeps {
  hub: LiveHub;
  lastId: () => number;
  changesSince: (afterId: number, limit: number) => Promise<StoredChange[]>;
  replayMax: number;
  maxClients: number;
  /** Streams one user may hold; their newest replaces their oldest (a guard reopening a screen is never refused). */
  maxPerUser: number;
  tickets: StreamTickets;
  /** Tickets for a signed-out registered guard station's read-only board (station/routes.ts issues them). */
  boardTickets?: StreamTickets<StationHolder>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on the live stream only, by a board ticket: a registered station's read-only board, no person. */
    liveStation?: StationHolder | undefined;
  }
}

const staffOnly = requireRole('guard', 'admin');

const PAGE = 500;

function lastEventId(header: string | string[] | undefined, query: number | undefined): number | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (h !== undefined && /^\d{1,15}$/.test(h.trim())) return Number(h.trim());
  return query;
}

/**
 * GET /api/v1/live/alerts: Server-Sent Events for the guard station. A snapshot of the open alerts, then every
 * change; with Last-Event-ID (the header EventSource sends on reconnect) exactly the changes missed, from the
 * database, then live again with no gap and no duplicate.
 */
export function liveRoutes(deps: LiveRouteDeps): FeatureRoutes {
  return async (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const { hub } = deps;

    r.post('/api/v1/live/ticket', {
      preHandler: requireRole('guard', 'admin'),
      // Tickets are held in a bounded table: one user minting them in a loop must not push out other guards' tickets.
      config: perUser(120, 60_000),
      schema: {
        tags: ['live'],
        summary: 'A single-use ticket for one live stream (EventSource cannot send the Authorization header)',
        description: 'Open GET /api/v1/live/alerts?ticket=… within the ticket\'s lifetime; it works once.',
        security: [{ bearer: [] }],
        response: { 200: LiveTicketReply, 401: ErrorReply, 403: ErrorReply },
      },
    }, async (req, reply) => {
      const { ticket, expiresAt } = deps.tickets.issue(principalOf(req));
      void reply.header('cache-control', 'no-store');
      return { ticket, expiresAt: expiresAt.toISOString() };
    });

    streamRoute(app, deps);

    r.post('/api/v1/live/ack', {
      preHandler: requireRole('guard', 'admin'),
      schema: {
        tags: ['live'],
        summary: 'A supervised live client (?ack=1) says it is still reading',
        security: [{ bearer: [] }],
        body: LiveAckBody,
        response: { 204: z.null(), 401: ErrorReply, 403: ErrorReply, 404: ErrorReply },
      },
    }, async (req, reply) => {
      if (!hub.ack(req.body.connectionId)) throw new AppError('NOT_FOUND', 'no such live connection (reconnect)');
      return reply.code(204).send(null);
    });

    // The stream never ends by itself: end it before the server waits for open requests to finish.
    app.addHook('preClose', async () => hub.close());
  };
}

/** The stream itself: on a staff ticket or bearer token, or on a station's board ticket (alarms only, read-only). */
function streamRoute(app: FastifyInstance, deps: LiveRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { hub } = deps;
  r.get('/api/v1/live/alerts', {
    preHandler: [
      async (req, reply) => {
        // A ticket stands in for the bearer token on this route only, and is used up by this request.
        if (req.principal === null && req.query.ticket !== undefined) {
          req.principal = deps.tickets.redeem(req.query.ticket);
          // Not a staff ticket: perhaps a station's board ticket (alarms only, read-only, no person).
          if (req.principal === null) req.liveStation = deps.boardTickets?.redeem(req.query.ticket) ?? undefined;
        }
        if (req.liveStation === undefined) await staffOnly(req, reply);
      },
    ],
    schema: {
      tags: ['live'],
      summary: 'Live alert stream (text/event-stream): hello, snapshot, alert changes, heartbeats',
      description: 'Frames are the LiveHello, LiveSnapshot, LiveAlertChange and LiveHeartbeat contracts. Resume with Last-Event-ID. ' +
        'Authenticate with the Authorization header, or with ?ticket= from POST /api/v1/live/ticket.',
      security: [{ bearer: [] }],
      querystring: LiveQuery,
      response: { 401: ErrorReply, 403: ErrorReply, 503: ErrorReply },
    },
  }, async (req, reply) => {
    const station = req.liveStation;
    // A station's board counts as one user of its own (its streams replace each other like a guard's do).
    const user = station ? `station:${station.stationId}` : principalOf(req).username;
    // The user's own oldest streams make room first; only then does the total cap refuse anybody.
    const replaced = hub.evictOldestOf(user, deps.maxPerUser - 1);
    if (replaced > 0) req.log.info({ user, replaced }, 'live stream replaced by the same user\'s newer one');
    if (hub.size >= deps.maxClients) throw new AppError('NOT_READY', `at most ${deps.maxClients} live clients`);
    const last = lastEventId(req.headers['last-event-id'], req.query.lastEventId);
    const newest = deps.lastId();
    // Too far behind, or from another database: start over from a snapshot rather than replay without bound.
    const resume = last !== undefined && last <= newest && newest - last <= deps.replayMax;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    req.raw.socket.setNoDelay(true);
    // A board acknowledges heartbeats like a guard's screen, on its station cookie (POST /live/board-ack).
    const restricted = station !== undefined;
    const { client, upto, alerts } = hub.attach(res, { user, ackRequired: req.query.ack === '1', resumed: resume, restricted });
    req.log.info({ connectionId: client.id, user, resume, last, upto }, 'live client connected');
    if (!resume) {
      hub.write(client, hub.snapshotFrame(upto, alerts, restricted));
      hub.goLive(client, upto);
      return;
    }
    try {
      await replay(deps, client, res, { after: last, upto, restricted });
    } catch (err) {
      req.log.error({ err, connectionId: client.id }, 'live replay failed; closing so the client retries');
      res.destroy();
      return;
    }
    hub.goLive(client, upto);
  });
}

/** The changes after `after` up to `upto`, from the database, in pages (a board's without notes or rule parameters). */
async function replay(
  deps: LiveRouteDeps,
  client: Parameters<LiveHub['write']>[0],
  res: NodeJS.WritableStream & { destroyed: boolean },
  range: { after: number; upto: number; restricted: boolean },
): Promise<void> {
  const { hub } = deps;
  let after = range.after;
  while (after < range.upto && !res.destroyed) {
    const page = await deps.changesSince(after, PAGE);
    if (page.length === 0) break;
    for (const c of page) {
      if (c.id > range.upto) break;
      const full = LiveAlertChange.parse({ id: c.id, action: c.action, at: c.at, actor: c.actor, note: c.note, alert: c.alert });
      const data = range.restricted ? boardChange(full) : full;
      // Replay respects the socket: a long catch-up never piles up in memory.
      if (!hub.write(client, frame('alert', data, c.id))) await drained(res);
      after = c.id;
    }
    if (page.length < PAGE) break;
  }
}

function drained(res: NodeJS.WritableStream & { destroyed: boolean }): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
