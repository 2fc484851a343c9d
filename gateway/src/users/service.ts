import { randomBytes, randomInt } from 'node:crypto';
import { hashSecret, verifySecret } from '../auth/hash';
import type { Role } from '../contracts';
import type { Principal } from '../contracts/api/auth';
import type { PasswordChangeBody, UserCreateBody, UserPatchBody, UserView, UserWithPassword } from '../contracts/api/users';
import { passwordMessage, passwordProblem } from '../contracts/password-policy';
import type { UserRepo } from '../db/users';
import { AppError } from '../errors';
import type { Logger } from '../log';

/** How a person appears in the audit log. */
import { actorOf } from '../api/auth';

// No 0/o, 1/l/i: a one-time password is read off a screen or a slip of paper and typed once.
const OTP_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const OTP_LENGTH = 14;

/** A one-time password: 14 characters of 31 (about 69 bits), easy to read aloud and type. */
export function oneTimePassword(): string {
  let s = '';
  for (let i = 0; i < OTP_LENGTH; i++) s += OTP_ALPHABET[randomInt(OTP_ALPHABET.length)];
  return s;
}

const newUserId = () => `usr-${randomBytes(9).toString('base64url')}`;

/** The audited picture of a user: what changed, never a password or its hash. */
const audited = (u: UserView) => ({ username: u.username, displayName: u.displayName, role: u.role, residentId: u.residentId, communityId: u.communityId, disabled: u.disabled, mustChangePassword: u.mustChangePassword });

/**
 * Users and roles: admins create accounts (each with a one-time password, changed at the first login), disable them
 * (their sessions end in the same transaction), reset passwords; everyone changes their own.
 */
export function createUserService(deps: { repo: UserRepo; log: Logger; now?: () => Date }) {
  const { repo, log } = deps;
  const now = deps.now ?? (() => new Date());

  async function mustGet(id: string) {
    const u = await repo.get(id);
    if (!u) throw new AppError('NOT_FOUND', 'no such user');
    return u;
  }

  async function enabledAdminsBesides(id: string): Promise<number> {
    return (await repo.countWhere({ role: 'admin', disabled: false })) - ((await repo.get(id))?.role === 'admin' ? 1 : 0);
  }

  return {
    list: (role?: Role) => repo.list(role),

    async create(by: Principal, body: UserCreateBody): Promise<UserWithPassword> {
      if (await repo.byName(body.username)) throw new AppError('CONFLICT', `the user name ${body.username} is taken`);
      if (body.residentId !== undefined) {
        if (!(await repo.residentExists(body.residentId))) throw new AppError('VALIDATION', 'no such resident', { details: { path: 'residentId' } });
        if (await repo.residentTaken(body.residentId)) throw new AppError('CONFLICT', 'that resident already has an account');
      }
      if (body.communityId !== undefined && !(await repo.communityExists(body.communityId))) {
        throw new AppError('VALIDATION', 'no such compound', { details: { path: 'communityId' } });
      }
      const password = oneTimePassword();
      const id = newUserId();
      const after = { username: body.username, displayName: body.displayName, role: body.role, residentId: body.residentId ?? null, communityId: body.communityId ?? null };
      const user = await repo.create(
        { id, ...after, passwordHash: await hashSecret(password) },
        { actor: actorOf(by), action: 'user.create', entity: 'User', entityId: id, detail: { before: null, after: { ...after, disabled: false, mustChangePassword: true } } },
      );
      log.info({ userId: id, role: body.role, by: by.username }, 'user created');
      return { user, oneTimePassword: password };
    },

    async patch(by: Principal, id: string, body: UserPatchBody): Promise<UserView> {
      const before = await mustGet(id);
      if (body.disabled === true && !before.disabled) {
        if (id === by.userId) throw new AppError('CONFLICT', 'you cannot disable your own account');
        if (before.role === 'admin' && (await enabledAdminsBesides(id)) < 1) throw new AppError('CONFLICT', 'the last enabled admin cannot be disabled');
      }
      const disabling = body.disabled === true && !before.disabled;
      const user = await repo.update(
        id,
        { ...(body.displayName !== undefined ? { displayName: body.displayName } : {}), ...(body.disabled !== undefined ? { disabled: body.disabled } : {}) },
        { actor: actorOf(by), action: disabling ? 'user.disable' : body.disabled === false && before.disabled ? 'user.enable' : 'user.update', entity: 'User', entityId: id, detail: { before: audited(before), after: audited({ ...before, ...body }) } },
        disabling ? now() : undefined,
      );
      log.info({ userId: id, disabled: user.disabled, by: by.username }, disabling ? 'user disabled; sessions revoked' : 'user updated');
      return user;
    },

    async resetPassword(by: Principal, id: string): Promise<UserWithPassword> {
      const before = await mustGet(id);
      const password = oneTimePassword();
      const user = await repo.update(
        id,
        { passwordHash: await hashSecret(password), mustChangePassword: true },
        { actor: actorOf(by), action: 'user.reset_password', entity: 'User', entityId: id, detail: { before: audited(before), after: audited({ ...before, mustChangePassword: true }) } },
        now(),
      );
      log.info({ userId: id, by: by.username }, 'password reset; sessions revoked');
      return { user, oneTimePassword: password };
    },

    /** Any user, their own password; the one way out of a one-time password. */
    /** Changes the caller's own password; every other sign-in of theirs ends (`session` stays: the one asking). */
    async changeOwn(p: Principal, body: PasswordChangeBody, session: string | null): Promise<UserView> {
      const before = await mustGet(p.userId);
      if (!(await verifySecret(before.passwordHash, body.currentPassword))) throw new AppError('VALIDATION', 'the current password is wrong', { details: { path: 'currentPassword' } });
      const problem = passwordProblem(body.newPassword, before.username);
      if (problem !== null) throw new AppError('VALIDATION', passwordMessage(problem), { details: { path: 'newPassword', reason: problem } });
      const user = await repo.update(
        p.userId,
        { passwordHash: await hashSecret(body.newPassword), mustChangePassword: false, passwordChangedAt: now() },
        { actor: actorOf(p), action: 'user.change_password', entity: 'User', entityId: p.userId, detail: { before: audited(before), after: audited({ ...before, mustChangePassword: false }) } },
        now(),
        session ?? undefined,
      );
      log.info({ userId: p.userId }, 'password changed');
      return user;
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
