import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireRole } from '../api/auth';
import { perUser } from '../api/limits';
import { hashSecret, verifySecret } from '../auth/hash';
import { ErrorReply } from '../contracts/api/auth';
import { PasswordChangeBody } from '../contracts/api/resident';
import type { ResidentRepo } from '../db/resident';
import { AppError } from '../errors';

/**
 * POST /api/v1/auth/password, minimal, for the resident app (issue 16). Another branch (issue 15b) adds a password
 * change for staff: when both meet, keep one route and drop this file and its line in resident/index.ts.
 * Any signed-in user changes their own password with the current one; every other sign-in of theirs ends.
 */
export function passwordRoute(repo: ResidentRepo, now: () => Date) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post('/api/v1/auth/password', {
      preHandler: requireRole('resident', 'guard', 'admin'),
      config: perUser(5, 60_000),
      schema: {
        tags: ['auth'],
        summary: 'Change your own password (needs the current one); your other sign-ins end',
        security: [{ bearer: [] }],
        body: PasswordChangeBody,
        response: { 204: z.null(), 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 429: ErrorReply },
      },
    }, async (req, reply) => {
      const p = principalOf(req);
      const user = await repo.passwordHashOf(p.userId);
      if (!user || !(await verifySecret(user.passwordHash, req.body.currentPassword))) {
        throw new AppError('VALIDATION', 'currentPassword: wrong password', { details: { issues: [{ path: '/currentPassword', message: 'wrong password' }] } });
      }
      // The session that asked stays; sessions are stored by the SHA-256 of their token (auth/sessions.ts).
      const current = createHash('sha256').update((req.headers.authorization ?? '').slice(7).trim()).digest('base64url');
      await repo.setPassword(p.userId, await hashSecret(req.body.newPassword), current, now());
      req.log.info({ userId: p.userId }, 'password changed');
      return reply.code(204).send(null);
    });
  };
}
