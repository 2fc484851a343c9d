import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireRole, sessionOf } from '../api/auth';
import { perUser } from '../api/limits';
import { Role } from '../contracts';
import { ErrorReply } from '../contracts/api/auth';
import { IdParam } from '../contracts/api/passes';
import { PasswordChangeBody, UserCreateBody, UserList, UserListQuery, UserPatchBody, UserView, UserWithPassword } from '../contracts/api/users';
import type { UserService } from './service';

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 429: ErrorReply };
const security = [{ bearer: [] }];

/** Users and roles (admins), and every user's own password. */
export function registerUserRoutes(app: FastifyInstance, users: UserService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const admin = requireRole('admin');

  r.get('/api/v1/users', {
    preHandler: admin,
    schema: { tags: ['users'], summary: 'User accounts (admins)', security, querystring: UserListQuery, response: { 200: UserList, ...errors } },
  }, async (req) => ({ users: await users.list(req.query.role) }));

  r.post('/api/v1/users', {
    preHandler: admin,
    schema: {
      tags: ['users'],
      summary: 'Create an account; its one-time password is in this reply only and must be changed at the first login',
      security,
      body: UserCreateBody,
      response: { 201: UserWithPassword, ...errors },
    },
  }, async (req, reply) => reply.code(201).send(await users.create(principalOf(req), req.body)));

  r.patch('/api/v1/users/:id', {
    preHandler: admin,
    schema: { tags: ['users'], summary: 'Rename, disable (every session ends at once) or enable an account', security, params: IdParam, body: UserPatchBody, response: { 200: UserView, ...errors } },
  }, async (req) => users.patch(principalOf(req), req.params.id, req.body));

  r.post('/api/v1/users/:id/reset-password', {
    preHandler: admin,
    schema: {
      tags: ['users'],
      summary: 'A new one-time password (shown once; to be changed at the next login); the account\'s sessions end',
      security,
      params: IdParam,
      response: { 200: UserWithPassword, ...errors },
    },
  }, async (req) => users.resetPassword(principalOf(req), req.params.id));

  r.post('/api/v1/auth/password', {
    preHandler: requireRole(...Role.options),
    // The current password is checked here: no faster guessing than at the login box.
    config: perUser(10, 60_000, 'preHandler'),
    schema: {
      tags: ['auth'],
      summary: 'Change your own password (the only route open while a one-time password is in use)',
      security,
      body: PasswordChangeBody,
      response: { 204: z.null(), ...errors },
    },
  }, async (req, reply) => {
    await users.changeOwn(principalOf(req), req.body, sessionOf(req));
    return reply.code(204).send(null);
  });
}
