import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../contracts';
import { ErrorReply, LoginBody, LoginReply, Principal } from '../contracts/api/auth';
import { type Sessions, tokenHash } from '../auth/sessions';
import { AppError } from '../errors';
import { fingerprint } from '../log';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The stored hash of the bearer token this request came with (its session), or null. */
export function sessionOf(req: FastifyRequest): string | null {
  const token = bearer(req);
  return token === null ? null : tokenHash(token);
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim() || null;
  return null;
}

/**
 * Resolves the caller on every request and exposes `requireRole` for routes. Only the Authorization header carries
 * a token: a token in a URL reaches access logs, proxies and browser history (the live stream uses single-use
 * tickets instead, live/tickets.ts).
 */
export interface LoginLimits {
  /** Attempts per address and user name per minute (one person mistyping). */
  perAddressAndName: number;
  /** Attempts per address per minute, whatever the names (spraying names, unknown ones included). */
  perAddress: number;
  /** Attempts per user name per minute, whatever the address (one account guessed from many addresses). */
  perName: number;
}

export async function registerAuth(app: FastifyInstance, sessions: Sessions, limits: LoginLimits) {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    const token = bearer(req);
    req.principal = token ? await sessions.resolve(token) : null;
  });

  await app.register(rateLimit, { global: false });
  const r = app.withTypeProvider<ZodTypeProvider>();
  const nameOf = (req: FastifyRequest) => {
    const parsed = LoginBody.safeParse(req.body);
    return parsed.success ? parsed.data.username.toLowerCase() : '';
  };
  // After body parsing, so the keys can include the user name. Each limiter has its own counters.
  const byName = [
    app.createRateLimit({ max: limits.perAddressAndName, timeWindow: 60_000, keyGenerator: (req) => `login|${req.ip}|${nameOf(req)}` }),
    app.createRateLimit({ max: limits.perName, timeWindow: 60_000, keyGenerator: (req) => `login-name|${nameOf(req)}` }),
  ];

  r.post('/api/v1/auth/login', {
    config: {
      // Per address before the body is even parsed: an address spraying names (known or not) pays no KDF beyond this.
      rateLimit: { hook: 'onRequest', max: limits.perAddress, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => `login-addr|${req.ip}` },
    },
    preHandler: async (req, reply) => {
      for (const limit of byName) {
        const verdict = await limit(req);
        // isAllowed means "on the allow list"; isExceeded is the verdict.
        if (!verdict.isAllowed && verdict.isExceeded) {
          req.log.warn({ address: req.ip, limit: verdict.max }, 'login throttled');
          void reply.header('retry-after', Math.ceil(verdict.ttl / 1000));
          throw new AppError('RATE_LIMITED', 'too many login attempts; wait a minute');
        }
      }
    },
    schema: {
      tags: ['auth'],
      summary: 'Log in (residents, guards, admins); returns a bearer token',
      body: LoginBody,
      response: { 200: LoginReply, 401: ErrorReply, 429: ErrorReply },
    },
  }, async (req, reply) => {
    // The reply carries a token: no cache anywhere may keep it, whatever the outcome.
    void reply.header('cache-control', 'no-store');
    const result = await sessions.login(req.body.username, req.body.password);
    if (!result.ok) {
      // An unknown name may be a password typed into the wrong field: log only a fingerprint of it.
      const username = result.knownUser ? req.body.username : fingerprint(req.body.username);
      req.log.warn({ username, reason: result.reason }, 'login refused');
      throw new AppError('UNAUTHENTICATED', 'wrong user name or password');
    }
    req.log.info({ userId: result.reply.user.userId, role: result.reply.user.role }, 'login');
    return result.reply;
  });

  r.post('/api/v1/auth/logout', {
    preHandler: requireRole(...Role.options),
    schema: { tags: ['auth'], summary: 'Revoke the current token', security: [{ bearer: [] }], response: { 204: z.null(), 401: ErrorReply } },
  }, async (req, reply) => {
    const token = bearer(req);
    if (token) await sessions.logout(token);
    return reply.code(204).send(null);
  });

  r.get('/api/v1/auth/me', {
    preHandler: requireRole(...Role.options),
    schema: { tags: ['auth'], summary: 'Who am I', security: [{ bearer: [] }], response: { 200: Principal, 401: ErrorReply } },
  }, async (req) => principalOf(req));
}

/** preHandler: 401 without a valid token, 403 with the wrong role. */
export function requireRole(...roles: Role[]) {
  return async (req: FastifyRequest, _reply: FastifyReply) => {
    if (!req.principal) throw new AppError('UNAUTHENTICATED', 'log in first (Authorization: Bearer <token>)');
    if (!roles.includes(req.principal.role)) throw new AppError('FORBIDDEN', `this needs one of: ${roles.join(', ')}`);
    // A one-time password: nothing but changing it (users/routes.ts), logging out and asking who one is.
    const path = req.routeOptions.url;
    if (req.principal.mustChangePassword && path !== '/api/v1/auth/logout' && path !== '/api/v1/auth/me' && path !== '/api/v1/auth/password') {
      throw new AppError('PASSWORD_CHANGE_REQUIRED', 'change your one-time password first (POST /api/v1/auth/password)');
    }
  };
}

/** The caller of a route guarded by requireRole. */
/** How a person appears in the audit log and the logs: `role:username`. */
export const actorOf = (p: Pick<Principal, 'role' | 'username'>) => `${p.role}:${p.username}`;

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new AppError('UNAUTHENTICATED', 'log in first');
  return req.principal;
}
