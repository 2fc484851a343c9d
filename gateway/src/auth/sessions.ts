import { createHash, randomBytes } from 'node:crypto';
import type { LoginReply, Principal, RenewReply } from '../contracts/api/auth';
import type { SessionStore } from './ports';
import { hashSecret, verifySecret } from './hash';

/** `knownUser`: whether the name exists (only then may it be logged: an unknown name may be a mistyped password). */
export type LoginResult = { ok: true; reply: LoginReply } | { ok: false; reason: 'bad_credentials' | 'disabled'; knownUser: boolean };

export const tokenHash = (token: string) => createHash('sha256').update(token).digest('base64url');

// Verifying against this keeps a login for an unknown user as slow as one with a wrong password (no user probing).
let dummyHash: Promise<string> | null = null;
export const dummy = () => (dummyHash ??= hashSecret(randomBytes(16).toString('hex')));

/**
 * Opaque bearer tokens: 32 random bytes, stored as SHA-256 only, so a database leak yields no usable token.
 * They expire (SESSION_TTL_HOURS, a guard's shift by default) and are revoked by logout or by an admin.
 */
export function createSessions(repo: SessionStore, ttlMs: number, now: () => Date = () => new Date(), maxMs = ttlMs) {
  /** A new session for a user whose credential was checked (a password, or a PIN on a guard station). */
  async function start(user: Principal): Promise<LoginReply> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now().getTime() + Math.min(ttlMs, maxMs));
    await repo.create(tokenHash(token), user.userId, user.role, expiresAt);
    const principal: Principal = {
      userId: user.userId,
      username: user.username,
      role: user.role,
      displayName: user.displayName,
      residentId: user.residentId,
      householdId: user.householdId,
      mustChangePassword: user.mustChangePassword,
      communityId: user.communityId,
    };
    return { token, expiresAt: expiresAt.toISOString(), user: principal };
  }
  return {
    async login(username: string, password: string): Promise<LoginResult> {
      const user = await repo.userByName(username);
      const ok = await verifySecret(user?.passwordHash ?? (await dummy()), password);
      if (!user || !ok) return { ok: false, reason: 'bad_credentials', knownUser: user !== null };
      if (user.disabled) return { ok: false, reason: 'disabled', knownUser: true };
      return { ok: true, reply: await start(user) };
    },
    start,
    resolve(token: string): Promise<Principal | null> {
      return repo.principal(tokenHash(token), now());
    },
    /** A staff screen in use: slide the expiry (docs/admin-ui.md, "Sessions"). Null: sign in again. */
    async renew(token: string): Promise<RenewReply | null> {
      const r = await repo.renew(tokenHash(token), now(), ttlMs, maxMs);
      return r ? { expiresAt: r.expiresAt.toISOString(), hardExpiresAt: r.hardExpiresAt.toISOString() } : null;
    },
    logout(token: string): Promise<void> {
      return repo.revoke(tokenHash(token), now());
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
