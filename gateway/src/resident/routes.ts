import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { maskName } from '../contracts/mask';
import { qrPayload } from '../auth/pass-code';
import { principalOf, requireRole } from '../api/auth';
import { perUser } from '../api/limits';
import { lookupHash } from '../auth/hash';
import { AlertPlace } from '../contracts/api/alerts';
import { ErrorReply, type Principal } from '../contracts/api/auth';
import { IdParam } from '../contracts/api/passes';
import {
  ResidentAlarmList,
  ResidentHome,
  ResidentTicketReply,
  type Responder,
  VisitBody,
  VisitLinkBody,
  VisitLinkReply,
  VisitView,
} from '../contracts/api/resident';
import type { ResidentRepo } from '../db/resident';
import { AppError } from '../errors';
import type { StreamTickets } from '../live/tickets';
import { type ResidentLive, doorPlace } from './live';
import { openVisitLink, sealVisitLink } from './visit-link';

export interface ResidentRouteDeps {
  repo: ResidentRepo;
  credentialKey: string;
  qrSigningKey: Buffer;
  linkKey: Buffer;
  tickets: StreamTickets;
  live: ResidentLive;
  now: () => Date;
}

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 429: ErrorReply };
const security = [{ bearer: [] }];
const notFound = (what: string) => new AppError('NOT_FOUND', `no such ${what}`);

/** The caller's household; every resident route reads only through it (object-level authorisation). */
function householdOf(p: Principal): string {
  if (p.role !== 'resident' || p.householdId === null || p.residentId === null) throw new AppError('FORBIDDEN', 'only residents have a home here');
  return p.householdId;
}

function passState(p: { status: string; validFrom: Date; validUntil: Date; entriesUsed: number; maxEntries: number }, nowMs: number) {
  if (p.status === 'revoked') return 'revoked' as const;
  if (nowMs >= p.validUntil.getTime()) return 'expired' as const;
  if (p.entriesUsed >= p.maxEntries) return 'used_up' as const;
  return nowMs < p.validFrom.getTime() ? ('upcoming' as const) : ('active' as const);
}

/**
 * The resident phone app's own routes (docs/resident-app.md): their home, their alarms, the visitor link, and their live
 * stream. Everything a resident reads goes through their own household id; another
 * household's pass answers 404 like a missing one.
 */
export function residentRoutes(deps: ResidentRouteDeps) {
  const { repo } = deps;
  const minute = perUser(60, 60_000);

  async function doorNames(ids: string[]): Promise<Map<string, string>> {
    const names = await repo.deviceNames(ids);
    return new Map([...names].map(([id, name]) => [id, doorPlace(name)]));
  }

  /** User names in history become a role and a display name: what a resident may know of who answered. */
  async function responder(actor: string | null): Promise<Responder | null> {
    if (actor === null) return null;
    if (actor === 'system' || actor.startsWith('device:')) return { role: 'system', name: '' };
    const u = await repo.userByName(actor);
    if (!u) return { role: 'staff', name: '' };
    return { role: u.role === 'guard' || u.role === 'admin' ? u.role : 'staff', name: u.displayName };
  }

  return async (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get('/api/v1/resident/home', {
      preHandler: requireRole('resident'),
      config: minute,
      schema: { tags: ['resident'], summary: "The resident's home: compound, household, default doors (for the invitation card)", security, response: { 200: ResidentHome, ...errors } },
    }, async (req) => {
      const p = principalOf(req);
      const householdId = householdOf(p);
      const found = await repo.home(householdId, p.residentId ?? '');
      if (!found) throw notFound('household');
      const { household: h, me, doors } = found;
      const door = (d: { id: string; name: string }) => ({ id: d.id, name: doorPlace(d.name) });
      return {
        community: { name: h.unit.building.community.name, timezone: h.unit.building.community.timezone },
        household: { id: h.id, label: h.label, building: h.unit.building.name, unit: h.unit.number, room: h.room },
        resident: { id: me.id, maskedName: maskName(me.name), faceConsent: me.faceConsent, faceConsentAt: me.faceConsentAt?.toISOString() ?? null },
        // The same order as the gateway's default route: main gate, then the unit door.
        defaultDoors: [...doors.filter((d) => d.placeKind === 'main_gate'), ...doors.filter((d) => d.placeKind === 'unit_door')].map(door),
        vehicleDoors: doors.filter((d) => d.placeKind === 'vehicle_gate').map(door),
      };
    });

    r.get('/api/v1/resident/alarms', {
      preHandler: requireRole('resident'),
      config: minute,
      schema: { tags: ['resident'], summary: "The household's one-key alarms: who answered (role and name), when, and the outcome", security, response: { 200: ResidentAlarmList, ...errors } },
    }, async (req) => {
      const householdId = householdOf(principalOf(req));
      const rows = await repo.alarmsOf(householdId, 20);
      const alarms = await Promise.all(
        rows.map(async (a) => {
          const ackBy = await responder(a.ackedBy);
          const clearBy = await responder(a.clearedBy);
          const place = AlertPlace.safeParse(JSON.parse(a.place));
          return {
            id: a.id,
            at: a.firstAt.toISOString(),
            place: place.success ? place.data.label : '',
            status: z.enum(['open', 'acknowledged', 'cleared']).parse(a.status),
            cancelRequestedAt: a.cancelRequestedAt?.toISOString() ?? null,
            acknowledged: a.ackedAt && ackBy ? { at: a.ackedAt.toISOString(), by: ackBy, note: a.ackNote } : null,
            cleared: a.clearedAt && clearBy ? { at: a.clearedAt.toISOString(), by: clearBy, note: a.clearNote } : null,
          };
        }),
      );
      return { alarms };
    });

    r.post('/api/v1/resident/passes/:id/link', {
      preHandler: requireRole('resident'),
      config: minute,
      schema: {
        tags: ['resident'],
        summary: 'A link the visitor opens to show the QR at the gate (the token goes after # in the link)',
        description: 'Needs the pass\'s code, which only the creator holds. Another household\'s pass answers 404.',
        security,
        params: IdParam,
        body: VisitLinkBody,
        response: { 200: VisitLinkReply, ...errors },
      },
    }, async (req) => {
      const householdId = householdOf(principalOf(req));
      const pass = await repo.pass(req.params.id);
      if (!pass || pass.householdId !== householdId) throw notFound('pass');
      if (lookupHash(deps.credentialKey, 'pass', req.body.code) !== pass.codeHash) throw new AppError('VALIDATION', 'code: not this pass\'s code', { details: { issues: [{ path: '/code', message: 'not this pass\'s code' }] } });
      return { token: sealVisitLink(deps.linkKey, pass.id, req.body.code) };
    });

    // Public: the visitor has no account. The token is the capability; answers are the same for a bad token and a
    // pass that no longer exists, and the QR is only returned while the pass can open a door.
    r.post('/api/v1/visit', {
      config: perUser(30, 60_000),
      schema: { tags: ['resident'], summary: "A visitor's page: the pass's QR, code and window while it is usable", body: VisitBody, response: { 200: VisitView, 400: ErrorReply, 404: ErrorReply, 429: ErrorReply } },
    }, async (req) => {
      const opened = openVisitLink(deps.linkKey, req.body.token);
      if (!opened) throw notFound('visitor link');
      const pass = await repo.passForVisit(opened.passId);
      if (!pass || lookupHash(deps.credentialKey, 'pass', opened.code) !== pass.codeHash) throw notFound('visitor link');
      const state = passState(pass, deps.now().getTime());
      const doorIds = z.array(z.string()).parse(JSON.parse(pass.allowedDoors));
      const names = await doorNames(doorIds);
      const usable = state === 'active' || state === 'upcoming';
      const h = pass.household;
      const host = h.residents[0]?.name;
      return {
        community: h.unit.building.community.name,
        visitorName: pass.visitorName,
        host: host === undefined ? '' : maskName(host),
        place: `${h.unit.building.name}${h.unit.number}单元`,
        timezone: h.unit.building.community.timezone,
        validFrom: pass.validFrom.toISOString(),
        validUntil: pass.validUntil.toISOString(),
        state,
        entriesLeft: Math.max(0, pass.maxEntries - pass.entriesUsed),
        doors: doorIds.map((id) => names.get(id) ?? id),
        code: usable ? opened.code : null,
        qrPayload: usable ? qrPayload(deps.qrSigningKey, opened.code) : null,
      };
    });

    r.post('/api/v1/resident/live/ticket', {
      preHandler: requireRole('resident'),
      config: perUser(60, 60_000),
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
  };
}
