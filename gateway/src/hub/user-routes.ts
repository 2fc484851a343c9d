// The hub's account routes (docs/scale-out.md "Managing hub users"): every signed-in user changes their own password;
// a user allowed to manage users lists, creates, resets and disables the accounts inside their scope. Outside the
// scope reads like an account that does not exist (404).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorReply } from '../contracts/api/auth';
import type { HubUser } from '../contracts/api/hub';
import { HubOneTimePassword, HubPasswordChangeBody, HubUserCreateBody, HubUserList, HubUsername } from '../contracts/api/hub-users';
import { AppError } from '../errors';
import { type AccountOutcome, type HubUserAdmin } from './user-admin';

const Secured = { security: [{ bearer: [] }] };
const UserParams = z.object({ username: HubUsername });

function refused(reason: Exclude<AccountOutcome<unknown>, { ok: true }>['reason'], what: string): AppError {
  switch (reason) {
    case 'not_found':
      return new AppError('NOT_FOUND', `no user ${what}`);
    case 'self':
      return new AppError('CONFLICT', 'not your own account: change your own password with POST /api/hub/auth/password');
    case 'exists':
      return new AppError('CONFLICT', `user name ${what} is taken`);
    case 'outside_scope':
      return new AppError('FORBIDDEN', 'that scope is outside yours: you can only make accounts inside your own scope');
    case 'unregistered':
      return new AppError('VALIDATION', 'no such street or compound is registered', { issues: [{ path: '/scope/id', message: 'not registered' }] });
    case 'wrong_password':
      return new AppError('FORBIDDEN', 'the current password is wrong');
  }
}

function value<T>(o: AccountOutcome<T>, what: string): T {
  if (!o.ok) throw refused(o.reason, what);
  return o.value;
}

export function registerHubUserRoutes(app: FastifyInstance, admin: HubUserAdmin, userOf: (req: FastifyRequest) => HubUser, tokenOf: (req: FastifyRequest) => string | null) {
  const manager = (req: FastifyRequest) => {
    const u = userOf(req);
    if (!u.managesUsers) throw new AppError('FORBIDDEN', 'you may not manage hub users');
    return u;
  };
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post('/api/hub/auth/password', {
    schema: { ...Secured, body: HubPasswordChangeBody, response: { 204: z.null(), 400: ErrorReply, 401: ErrorReply, 403: ErrorReply } },
  }, async (req, reply) => {
    const u = userOf(req);
    value(await admin.changeOwn(u, tokenOf(req) ?? '', req.body.currentPassword, req.body.newPassword), u.username);
    req.log.info({ userId: u.userId }, 'hub: password changed');
    return reply.code(204).send(null);
  });
  r.get('/api/hub/users', { schema: { ...Secured, response: { 200: HubUserList, 401: ErrorReply, 403: ErrorReply } } }, async (req) => admin.list(manager(req)));
  r.post('/api/hub/users', {
    schema: { ...Secured, body: HubUserCreateBody, response: { 201: HubOneTimePassword, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 409: ErrorReply } },
  }, async (req, reply) => {
    const u = manager(req);
    const password = value(await admin.create(u, req.body), req.body.username);
    req.log.info({ userId: u.userId, created: req.body.username, scope: req.body.scope }, 'hub: user created');
    return reply.code(201).send({ username: req.body.username.toLowerCase(), password });
  });
  r.post('/api/hub/users/:username/reset-password', {
    schema: { ...Secured, params: UserParams, response: { 200: HubOneTimePassword, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply } },
  }, async (req) => {
    const u = manager(req);
    const password = value(await admin.resetPassword(u, req.params.username), req.params.username);
    req.log.info({ userId: u.userId, target: req.params.username }, 'hub: password reset');
    return { username: req.params.username.toLowerCase(), password };
  });
  for (const [path, disabled] of [['disable', true], ['enable', false]] as const) {
    r.post(`/api/hub/users/:username/${path}`, {
      schema: { ...Secured, params: UserParams, response: { 204: z.null(), 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply } },
    }, async (req, reply) => {
      const u = manager(req);
      value(await admin.setDisabled(u, req.params.username, disabled), req.params.username);
      req.log.info({ userId: u.userId, target: req.params.username }, disabled ? 'hub: user disabled' : 'hub: user enabled');
      return reply.code(204).send(null);
    });
  }
}
