import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireRole } from '../api/auth';
import { hashSecret, verifySecret } from '../auth/hash';
import { isGuessablePin } from '../auth/pin';
import { type Sessions, dummy } from '../auth/sessions';
import { ErrorReply, LoginReply } from '../contracts/api/auth';
import {
  PinLoginBody,
  RegisterStationBody,
  SetOwnPinBody,
  SetPinBody,
  StationList,
  StationParams,
  StationView,
  ThisStation,
  UsernameParams,
} from '../contracts/api/station';
import { LiveAckBody, LiveTicketReply } from '../contracts/live';
import type { SessionRepo } from '../db/sessions';
import type { StationRepo } from '../db/stations';
import { AppError } from '../errors';

/** The station token's cookie: httpOnly (no script reads it), SameSite=Strict (no other site's page sends it). */
export const STATION_COOKIE = 'linli_station';
const COOKIE_PATH = '/api/v1';

export interface StationRouteDeps {
  stations: StationRepo;
  users: Pick<SessionRepo, 'userByName'>;
  sessions: Sessions;
  /** The alerts feature's read-only board: a single-use stream ticket for a station, and ending its streams. */
  board: {
    ticket(stationId: string): { ticket: string; expiresAt: Date };
    end(stationId: string): number;
    /** A heartbeat acknowledged by the station's own board stream; false if no such stream of this station. */
    ack(stationId: string, connectionId: string): boolean;
  };
  ttlDays: number;
  pinMaxFailures: number;
  pinLockMinutes: number;
  now?: () => Date;
}

const tokenHash = (token: string) => createHash('sha256').update(token).digest('base64url');
const admin = requireRole('admin');
const security = [{ bearer: [] }];
const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply };

function stationToken(req: FastifyRequest): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  const value = parseCookies(header)[STATION_COOKIE];
  return value && /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : null;
}

/** What the station routes share: their dependencies and the clock. */
interface StationCtx {
  deps: StationRouteDeps;
  stations: StationRepo;
  now: () => Date;
}

async function currentStation(ctx: StationCtx, req: FastifyRequest): Promise<StationView | null> {
  const token = stationToken(req);
  return token ? ctx.stations.byToken(tokenHash(token), ctx.now()) : null;
}

async function requireStation(ctx: StationCtx, req: FastifyRequest): Promise<StationView> {
  const station = await currentStation(ctx, req);
  if (!station) throw new AppError('FORBIDDEN', 'only on a registered guard station');
  return station;
}

function setCookie(req: FastifyRequest, reply: FastifyReply, value: string, maxAgeSec: number) {
  void reply.header(
    'set-cookie',
    serializeCookie(STATION_COOKIE, value, { httpOnly: true, sameSite: 'strict', secure: req.protocol === 'https', path: COOKIE_PATH, maxAge: maxAgeSec }),
  );
}

/**
 * Guard stations (docs/security.md, "Guard stations"). An admin, signed in on the guard-room browser, registers it:
 * the browser receives the station token as an httpOnly cookie. On a registered station a guard signs in with a
 * personal PIN (elsewhere only the password works), and while nobody is signed in the board keeps receiving alarms,
 * read-only, through single-use board tickets. Admins list and revoke stations; revoking ends the board at once.
 */
export function stationRoutes(deps: StationRouteDeps) {
  const ctx: StationCtx = { deps, stations: deps.stations, now: deps.now ?? (() => new Date()) };
  return async (app: FastifyInstance) => {
    stationAdminRoutes(app, ctx);
    boardRoutes(app, ctx);
    pinRoutes(app, ctx);
  };
}

/** Registering this browser as a station, listing and revoking stations (admins), and whether this one is. */
function stationAdminRoutes(app: FastifyInstance, ctx: StationCtx): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { deps, stations, now } = ctx;

  r.post('/api/v1/stations', {
    preHandler: admin,
    schema: {
      tags: ['station'],
      summary: 'Register this browser as a guard station (sets the station cookie; admins)',
      security,
      body: RegisterStationBody,
      response: { 201: StationView, ...errors },
    },
  }, async (req, reply) => {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now().getTime() + deps.ttlDays * 86_400_000);
    const station = await stations.register({ id: randomUUID(), name: req.body.name, tokenHash: tokenHash(token), createdBy: principalOf(req).username, expiresAt });
    req.log.info({ stationId: station.id, name: station.name, actor: station.createdBy }, 'guard station registered');
    setCookie(req, reply, token, deps.ttlDays * 86_400);
    void reply.header('cache-control', 'no-store');
    return reply.code(201).send(station);
  });

  r.get('/api/v1/stations', {
    preHandler: admin,
    schema: { tags: ['station'], summary: 'Registered guard stations (admins)', security, response: { 200: StationList, ...errors } },
  }, async () => ({ stations: await stations.list() }));

  r.post('/api/v1/stations/:id/revoke', {
    preHandler: admin,
    schema: { tags: ['station'], summary: "Revoke a guard station: PIN sign-in and its read-only board end at once (admins)", security, params: StationParams, response: { 200: StationView, ...errors } },
  }, async (req) => {
    const station = await stations.revoke(req.params.id, principalOf(req).username, now());
    if (!station) throw new AppError('NOT_FOUND', 'no such guard station');
    const ended = deps.board.end(station.id);
    req.log.info({ stationId: station.id, actor: principalOf(req).username, endedStreams: ended }, 'guard station revoked');
    return station;
  });

  r.get('/api/v1/station', {
    schema: { tags: ['station'], summary: 'Whether this browser is a registered guard station (its cookie cannot be read by scripts)', response: { 200: ThisStation } },
  }, async (req, reply) => {
    void reply.header('cache-control', 'no-store');
    const station = await currentStation(ctx, req);
    // A revoked or expired station forgets its cookie.
    if (!station && stationToken(req) !== null) setCookie(req, reply, '', 0);
    return { registered: station !== null, id: station?.id ?? null, name: station?.name ?? null, expiresAt: station?.expiresAt ?? null };
  });
}

/** The read-only board of a registered station: its single-use stream tickets and its heartbeat acks. */
function boardRoutes(app: FastifyInstance, ctx: StationCtx): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { deps, stations, now } = ctx;

  r.post('/api/v1/live/board-ticket', {
    config: { rateLimit: { max: 60, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => `board-ticket|${req.ip}` } },
    schema: {
      tags: ['live'],
      summary: "A single-use ticket for a registered guard station's read-only board (alarms only, no sign-in needed)",
      description: 'Authenticated by the station cookie. Open GET /api/v1/live/alerts?ticket=… with it: alert frames without notes or rule parameters.',
      response: { 200: LiveTicketReply, 403: ErrorReply, 429: ErrorReply },
    },
  }, async (req, reply) => {
    const station = await requireStation(ctx, req);
    await stations.seen(station.id, now());
    const { ticket, expiresAt } = deps.board.ticket(station.id);
    void reply.header('cache-control', 'no-store');
    return { ticket, expiresAt: expiresAt.toISOString() };
  });

  r.post('/api/v1/live/board-ack', {
    config: { rateLimit: { max: 120, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => `board-ack|${req.ip}` } },
    schema: {
      tags: ['live'],
      summary: "A registered guard station's read-only board (opened with ?ack=1) says it is still reading",
      description: 'Authenticated by the station cookie, like POST /api/v1/live/ack for a signed-in screen. 404: no such stream of this station (reconnect).',
      body: LiveAckBody,
      response: { 204: z.null(), 403: ErrorReply, 404: ErrorReply, 429: ErrorReply },
    },
  }, async (req, reply) => {
    const station = await requireStation(ctx, req);
    if (!deps.board.ack(station.id, req.body.connectionId)) throw new AppError('NOT_FOUND', 'no such live connection of this station (reconnect)');
    return reply.code(204).send(null);
  });
}

/** PIN sign-in on a registered station, and setting a guard's PIN (an admin, or the guard with their password). */
function pinRoutes(app: FastifyInstance, ctx: StationCtx): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { deps, stations, now } = ctx;

  r.post('/api/v1/auth/pin-login', {
    // Per address, on top of the per-guard lock: one station spraying PINs across all guards' names is throttled too.
    config: { rateLimit: { max: 30, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => `pin-login|${req.ip}` } },
    schema: {
      tags: ['auth'],
      summary: 'A guard signs in with user name and PIN, on a registered guard station only',
      body: PinLoginBody,
      response: { 200: LoginReply, 401: ErrorReply, 403: ErrorReply, 429: ErrorReply },
    },
  }, async (req, reply) => {
    void reply.header('cache-control', 'no-store');
    const station = await requireStation(ctx, req);
    const at = now();
    const pin = await stations.pinOf(req.body.username);
    const user = pin && pin.role === 'guard' && !pin.disabled && pin.pinHash !== null ? pin : null;
    if (user?.pinLockedUntil && user.pinLockedUntil > at) {
      void reply.header('retry-after', Math.ceil((user.pinLockedUntil.getTime() - at.getTime()) / 1000));
      req.log.warn({ userId: user.userId, stationId: station.id }, 'PIN sign-in refused: locked');
      throw new AppError('RATE_LIMITED', 'this PIN is locked after too many wrong attempts; sign in with the password or wait', { details: { lockedUntil: user.pinLockedUntil.toISOString() } });
    }
    // An unknown name, or one without a PIN, costs the same time as a wrong PIN (no probing which guards exist).
    const ok = await verifySecret(user?.pinHash ?? (await dummy()), req.body.pin);
    if (!user || !ok) {
      if (user) {
        const until = new Date(at.getTime() + deps.pinLockMinutes * 60_000);
        const locked = await stations.pinFailed(user.userId, deps.pinMaxFailures, until, station.id);
        req.log.warn({ userId: user.userId, stationId: station.id, locked }, 'PIN sign-in refused');
        if (locked) {
          void reply.header('retry-after', Math.ceil((until.getTime() - at.getTime()) / 1000));
          throw new AppError('RATE_LIMITED', 'this PIN is locked after too many wrong attempts; sign in with the password or wait', { details: { lockedUntil: until.toISOString() } });
        }
      } else req.log.warn({ stationId: station.id }, 'PIN sign-in refused');
      throw new AppError('UNAUTHENTICATED', 'wrong user name or PIN');
    }
    const record = await deps.users.userByName(req.body.username);
    if (!record || record.disabled) throw new AppError('UNAUTHENTICATED', 'wrong user name or PIN');
    await stations.pinOk(user.userId);
    req.log.info({ userId: user.userId, stationId: station.id }, 'login with PIN');
    return deps.sessions.start(record);
  });

  r.put('/api/v1/users/:username/pin', {
    preHandler: admin,
    schema: { tags: ['station'], summary: "Set a guard's PIN (admins); clears a lock", security, params: UsernameParams, body: SetPinBody, response: { 204: z.null(), ...errors } },
  }, async (req, reply) => {
    const target = await stations.pinOf(req.params.username);
    if (!target) throw new AppError('NOT_FOUND', 'no such user');
    if (target.role !== 'guard') throw new AppError('VALIDATION', 'only guards sign in with a PIN');
    if (isGuessablePin(req.body.pin)) throw new AppError('VALIDATION', 'this PIN is too easy to guess');
    await stations.setPin(target.userId, await hashSecret(req.body.pin), principalOf(req).username, 'admin');
    req.log.info({ userId: target.userId, actor: principalOf(req).username }, 'PIN set');
    return reply.code(204).send(null);
  });

  r.put('/api/v1/auth/pin', {
    preHandler: requireRole('guard'),
    schema: { tags: ['auth'], summary: 'A guard sets their own PIN, confirming the password', security, body: SetOwnPinBody, response: { 204: z.null(), ...errors } },
  }, async (req, reply) => {
    const me = principalOf(req);
    const record = await deps.users.userByName(me.username);
    if (!record || !(await verifySecret(record.passwordHash, req.body.password))) throw new AppError('FORBIDDEN', 'the password is not right');
    if (isGuessablePin(req.body.pin)) throw new AppError('VALIDATION', 'this PIN is too easy to guess');
    await stations.setPin(me.userId, await hashSecret(req.body.pin), me.username, 'self');
    req.log.info({ userId: me.userId }, 'PIN set by its guard');
    return reply.code(204).send(null);
  });
}
