// The hub's HTTP server (docs/scale-out.md "The hub's API and UI"): sign-in for hub users, the district overview API
// filtered by each caller's scope, notes on alerts, /metrics, and the hub page of the admin-ui build (/hub/). Built on
// the cell's HTTP kit where it fits (the one error handler, the security headers, zod schemas on every route); the
// cell's session and role guard are not used: hub users live in PostgreSQL and have scopes, not cell roles.
import { statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { type ZodTypeProvider, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { registerErrorHandler } from '../api/errors';
import { registerSecurityHeaders } from '../api/headers';
import { limitAuthenticatedRoutes } from '../api/limits';
import { ErrorReply } from '../contracts/api/auth';
import { CompoundId } from '../contracts/replication';
import {
  HubAlertList,
  HubAlertQuery,
  HubCompoundHistory,
  HubCompoundList,
  HubLoginBody,
  HubLoginReply,
  HubNote,
  HubNoteBody,
  HubStatsQuery,
  HubStatsReply,
  HubUser,
} from '../contracts/api/hub';
import { AppError } from '../errors';
import { type Logger, fingerprint } from '../log';
import type { CellState } from './cells';
import { registerEscalationRoutes } from './escalation-routes';
import { type DownlinkHttpDeps, registerDownlinkRoutes } from './downlink-http';
import { registerCommandRoutes } from './command-routes';
import type { Commander } from './commands';
import { hubQueries } from './queries';
import { hubUserAdmin } from './user-admin';
import { registerHubUserRoutes } from './user-routes';
import { type HubUsers, compoundsOf, hubUsers } from './users';

declare module 'fastify' {
  interface FastifyRequest {
    hubUser: HubUser | null;
  }
}

export interface HubHttpDeps {
  pool: Pool;
  log: Logger;
  /** The cell watch's latest judgement of every cell (hub/cells.ts); empty before the first renewal is seen. */
  cells: () => CellState[];
  registry: Registry;
  sessionTtlMs: number;
  /** admin-ui/dist (the hub page is hub/index.html in it); '' or a folder without it: the API only. */
  uiDir: string;
  /** Sign-in attempts per address per minute. */
  loginPerMinute: number;
  /** Requests per signed-in hub user per minute on every other API route. */
  apiPerMinute: number;
  /** The downlink's store and outbox (hub/downlink.ts): its routes are served when given. */
  downlink?: Pick<DownlinkHttpDeps, 'store' | 'outbox'>;
  /** Commands to cells (hub/commands.ts) and their timeout; absent: no command routes. */
  commands?: { commander: Commander; timeoutMs: number };
}

const Secured = { security: [{ bearer: [] }] };
const ONE_TIME_ROUTES = new Set(['/api/hub/auth/password', '/api/hub/auth/logout', '/api/hub/auth/me']);

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() || null : null;
}

function userOf(req: FastifyRequest): HubUser {
  if (req.hubUser === null) throw new AppError('UNAUTHENTICATED', 'log in first (Authorization: Bearer <token>)');
  return req.hubUser;
}

async function registerHubAuth(app: FastifyInstance, users: HubUsers, loginPerMinute: number) {
  app.decorateRequest('hubUser', null);
  app.addHook('onRequest', async (req) => {
    const token = bearer(req);
    req.hubUser = token === null ? null : await users.resolve(token);
  });
  // Signed in with a password someone else set: nothing but changing it (or leaving) until then.
  app.addHook('preHandler', async (req) => {
    if (req.hubUser?.mustChangePassword === true && !ONE_TIME_ROUTES.has(req.routeOptions.url ?? '')) {
      throw new AppError('PASSWORD_CHANGE_REQUIRED', 'change the one-time password first (POST /api/hub/auth/password)');
    }
  });
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post('/api/hub/auth/login', {
    config: { rateLimit: { max: loginPerMinute, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => `hub-login|${req.ip}` } },
    schema: { body: HubLoginBody, response: { 200: HubLoginReply, 401: ErrorReply, 429: ErrorReply } },
  }, async (req) => {
    const result = await users.login(req.body.username, req.body.password);
    if (!result.ok) {
      // An unknown name may be a password typed into the wrong field: only a fingerprint of it reaches the log.
      req.log.warn({ username: result.knownUser ? req.body.username : fingerprint(req.body.username) }, 'hub: login refused');
      throw new AppError('UNAUTHENTICATED', 'wrong user name or password');
    }
    req.log.info({ userId: result.reply.user.userId, scope: result.reply.user.scope }, 'hub: login');
    return result.reply;
  });
  r.post('/api/hub/auth/logout', { schema: { ...Secured, response: { 204: z.null(), 401: ErrorReply } } }, async (req, reply) => {
    userOf(req);
    const token = bearer(req);
    if (token !== null) await users.logout(token);
    return reply.code(204).send(null);
  });
  r.get('/api/hub/auth/me', { schema: { ...Secured, response: { 200: HubUser, 401: ErrorReply } } }, async (req) => userOf(req));
}

function registerHubRoutes(app: FastifyInstance, deps: HubHttpDeps) {
  const q = hubQueries(deps.pool, deps.cells);
  const scopeOf = (req: FastifyRequest) => compoundsOf(deps.pool, userOf(req).scope);
  const r = app.withTypeProvider<ZodTypeProvider>();
  const CompoundParams = z.object({ id: CompoundId });

  r.get('/api/hub/compounds', { schema: { ...Secured, response: { 200: HubCompoundList, 401: ErrorReply } } }, async (req) => ({
    compounds: await q.compounds(await scopeOf(req)),
  }));
  r.get('/api/hub/alerts', { schema: { ...Secured, querystring: HubAlertQuery, response: { 200: HubAlertList, 400: ErrorReply, 401: ErrorReply } } }, async (req) => ({
    alerts: await q.openAlerts(await scopeOf(req), req.query),
  }));
  r.get('/api/hub/stats', { schema: { ...Secured, querystring: HubStatsQuery, response: { 200: HubStatsReply, 401: ErrorReply } } }, async (req) => {
    const since = new Date(Date.now() - req.query.days * 86_400_000);
    return { days: req.query.days, since: since.toISOString(), compounds: await q.stats(await scopeOf(req), since) };
  });
  r.get('/api/hub/compounds/:id/alerts', {
    schema: { ...Secured, params: CompoundParams, response: { 200: HubCompoundHistory, 401: ErrorReply, 404: ErrorReply } },
  }, async (req) => {
    const h = await q.history(await scopeOf(req), req.params.id);
    // Outside the caller's scope reads exactly like a compound that does not exist.
    if (h === null) throw new AppError('NOT_FOUND', `no compound ${req.params.id}`);
    return h;
  });
  r.post('/api/hub/compounds/:id/alerts/:alertId/notes', {
    schema: {
      ...Secured,
      params: CompoundParams.extend({ alertId: z.string().min(1).max(200) }),
      body: HubNoteBody,
      response: { 201: HubNote, 400: ErrorReply, 401: ErrorReply, 404: ErrorReply },
    },
  }, async (req, reply) => {
    const user = userOf(req);
    const note = await q.addNote(await scopeOf(req), { compound: req.params.id, alertId: req.params.alertId, author: user.username, body: req.body.body });
    if (note === null) throw new AppError('NOT_FOUND', `no alert ${req.params.alertId} in compound ${req.params.id}`);
    req.log.info({ userId: user.userId, compound: req.params.id, alertId: req.params.alertId }, 'hub: alert annotated');
    return reply.code(201).send(note);
  });
  registerEscalationRoutes(app, deps.pool, scopeOf, userOf);
  if (deps.commands) {
    const inScope = async (req: FastifyRequest, compound: string) => {
      const scope = await scopeOf(req);
      return scope === null || scope.includes(compound);
    };
    registerCommandRoutes(app, { ...deps.commands, userOf, inScope });
  }
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => reply.header('content-type', deps.registry.contentType).send(await deps.registry.metrics()));
}

const isFile = (abs: string) => statSync(abs, { throwIfNoEntry: false })?.isFile() === true;

/** The hub page (admin-ui/dist/hub/index.html) at /hub/, its hashed assets at /assets/, and / sends you there. */
async function registerHubUi(app: FastifyInstance, uiDir: string, log: Logger) {
  const root = uiDir === '' ? '' : resolve(uiDir);
  if (root === '' || !isFile(join(root, 'hub', 'index.html'))) {
    log.info({ root }, 'hub: no built hub page here: serving the API only (npm run build:ui)');
    return;
  }
  await app.register(fastifyStatic, { root, serve: false });
  const page = { 'cache-control': 'no-cache' };
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/hub/'));
  app.get('/hub', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/hub/'));
  app.get('/hub/*', { schema: { hide: true } }, async (_req, reply) => reply.headers(page).sendFile('hub/index.html', { cacheControl: false }));
  app.get('/assets/*', { schema: { hide: true } }, async (req, reply) => {
    const rel = (req.url.split('?')[0] ?? '').replace(/^\/+/, '');
    const abs = resolve(root, rel);
    // Only a file inside assets/ (no .., no NUL): anything else is a 404.
    if (rel.includes('\0') || rel.includes('%') || !abs.startsWith(join(root, 'assets') + sep) || !isFile(abs)) throw new AppError('NOT_FOUND', 'no such file');
    return reply.header('cache-control', 'public, max-age=31536000, immutable').sendFile(rel, { cacheControl: false, dotfiles: 'deny' });
  });
  log.info({ root }, 'hub: serving the hub page at /hub/');
}

/** The hub's Fastify app (not listening). */
export async function buildHubHttp(deps: HubHttpDeps): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.log.child({ module: 'hub-http' });
  const app = Fastify({ loggerInstance, bodyLimit: 64 * 1024 });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);
  await registerSecurityHeaders(app, { tls: false });
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/api/')) void reply.header('cache-control', 'no-store');
  });
  // Every signed-in route is counted per hub user (after the token is resolved, hence preHandler), so one desk's
  // script cannot flood the hub's PostgreSQL while another street's desk works on.
  limitAuthenticatedRoutes(app, deps.apiPerMinute, (req) => req.hubUser?.userId ?? null, 'preHandler');
  await app.register(rateLimit, { global: false });
  await registerHubAuth(app, hubUsers(deps.pool, deps.sessionTtlMs), deps.loginPerMinute);
  registerHubRoutes(app, deps);
  registerHubUserRoutes(app, hubUserAdmin(deps.pool), userOf, bearer);
  if (deps.downlink) registerDownlinkRoutes(app, { ...deps.downlink, pool: deps.pool, userOf });
  await registerHubUi(app, deps.uiDir, deps.log);
  return app;
}

/** Walks up from `from` to the first folder holding admin-ui/dist (the repo root, from src/ or from dist/). */
export function findUiDist(from: string): string {
  for (let dir = from; ; dir = resolve(dir, '..')) {
    const candidate = join(dir, 'admin-ui', 'dist');
    if (statSync(candidate, { throwIfNoEntry: false })?.isDirectory() === true) return candidate;
    if (resolve(dir, '..') === dir) return '';
  }
}
