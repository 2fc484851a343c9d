import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireRole } from '../api/auth';
import { ErrorReply } from '../contracts/api/auth';
import { ResidentTicketReply } from '../contracts/api/resident';
import { type ResidentRouteDeps, errors, householdOf, perMinute, security } from './route-context';

/**
 * The household's live stream (live.ts): a single-use ticket, then the stream itself (an EventSource cannot send a
 * bearer header). The streams end when the server closes.
 */
export function registerLiveRoutes(app: FastifyInstance, deps: ResidentRouteDeps) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/resident/live/ticket', {
    preHandler: requireRole('resident'),
    config: perMinute(),
    schema: { tags: ['resident'], summary: 'A single-use ticket for the resident live stream', security, response: { 200: ResidentTicketReply, ...errors } },
  }, async (req) => {
    householdOf(principalOf(req));
    const { ticket, expiresAt } = deps.tickets.issue(principalOf(req));
    return { ticket, expiresAt: expiresAt.toISOString() };
  });

  r.get('/api/v1/resident/live', {
    preHandler: [
      async (req) => {
        if (req.principal === null && req.query.ticket !== undefined) req.principal = deps.tickets.redeem(req.query.ticket);
      },
      requireRole('resident'),
    ],
    schema: {
      tags: ['resident'],
      summary: "The household's live stream (text/event-stream): hello, arrival, alarm, heartbeat",
      description: 'Frames are ResidentLiveHello, ResidentArrival and ResidentAlarmChanged. Only the caller\'s household.',
      querystring: z.object({ ticket: z.string().max(100).optional() }).strict(),
      response: { 401: ErrorReply, 403: ErrorReply, 503: ErrorReply },
    },
  }, async (req, reply) => {
    const householdId = householdOf(principalOf(req));
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    if (!deps.live.attach(householdId, res)) {
      res.end('event: full\ndata: {}\n\n');
      return;
    }
    req.log.info({ householdId }, 'resident live stream connected');
  });

  app.addHook('preClose', async () => deps.live.close());
}
