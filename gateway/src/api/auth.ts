import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../contracts';
import { ErrorReply, LoginBody, LoginReply, Principal } from '../contracts/api/auth';
import type { Sessions } from '../auth/sessions';
import { AppError } from '../errors';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim() || null;
  return null;
}

/**
 * Resolves the caller on every request and exposes `requireRole` for routes. Routes that a browser's EventSource
 * must reach (it cannot set headers) may opt in to a `?token=` query parameter with `allowQueryToken`.
 */
export async function registerAuth(app: FastifyInstance, sessions: Sessions, opts: { loginPerMinute: number }) {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    const q = req.routeOptions.config.allowQueryToken ? z.object({ token: z.string() }).safeParse(req.query) : null;
    const token = bearer(req) ?? (q?.success ? q.data.token : null);
    req.principal = token ? await sessions.resolve(token) : null;
  });

  await app.register(rateLimit, { global: false });
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/auth/login', {
    config: {
      // Per address and user name: guessing one account's password is slowed without locking out a whole guard room.
      rateLimit: {
        // After body parsing, so the key can include the user name.
        hook: 'preHandler',
        max: opts.loginPerMinute,
        timeWindow: 60_000,
        keyGenerator: (req: FastifyRequest) => {
          const parsed = LoginBody.safeParse(req.body);
          return `${req.ip}|${parsed.success ? parsed.data.username : ''}`;
        },
      },
    },
    schema: {
      tags: ['auth'],
      summary: 'Log in (residents, guards, admins); returns a bearer token',
      body: LoginBody,
      response: { 200: LoginReply, 401: ErrorReply, 429: ErrorReply },
    },
  }, async (req) => {
    const result = await sessions.login(req.body.username, req.body.password);
    if (!result.ok) {
      req.log.warn({ username: req.body.username, reason: result.reason }, 'login refused');
      throw new AppError('UNAUTHENTICATED', 'wrong user name or password');
    }
    req.log.info({ userId: result.reply.user.userId, role: result.reply.user.role }, 'login');
    return result.reply;
  });

  r.post('/api/v1/auth/logout', {
    preHandler: requireRole('resident', 'guard', 'admin'),
    schema: { tags: ['auth'], summary: 'Revoke the current token', security: [{ bearer: [] }], response: { 204: z.null(), 401: ErrorReply } },
  }, async (req, reply) => {
    const token = bearer(req);
    if (token) await sessions.logout(token);
    return reply.code(204).send(null);
  });

  r.get('/api/v1/auth/me', {
    preHandler: requireRole('resident', 'guard', 'admin'),
    schema: { tags: ['auth'], summary: 'Who am I', security: [{ bearer: [] }], response: { 200: Principal, 401: ErrorReply } },
  }, async (req) => principalOf(req));
}

/** preHandler: 401 without a valid token, 403 with the wrong role. */
export function requireRole(...roles: Role[]) {
  return async (req: FastifyRequest, _reply: FastifyReply) => {
    if (!req.principal) throw new AppError('UNAUTHENTICATED', 'log in first (Authorization: Bearer <token>)');
    if (!roles.includes(req.principal.role)) throw new AppError('FORBIDDEN', `this needs one of: ${roles.join(', ')}`);
  };
}

/** The caller of a route guarded by requireRole. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new AppError('UNAUTHENTICATED', 'log in first');
  return req.principal;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    allowQueryToken?: boolean;
  }
}
