import type { Principal } from '../contracts/api/auth';
import { Role } from '../contracts';
import type { UserRecord } from '../auth/ports';
import type { PrismaClient } from './client';

/** The sessions and users behind auth/sessions.ts (its SessionStore port), and an admin's revocation. */
export function sessionRepo(prisma: PrismaClient) {
  const toPrincipal = (u: {
    id: string;
    username: string;
    role: string;
    displayName: string;
    passwordHash: string;
    disabled: boolean;
    residentId: string | null;
    resident: { householdId: string } | null;
    mustChangePassword: boolean;
    communityId: string | null;
  }): UserRecord => ({
    userId: u.id,
    username: u.username,
    role: Role.parse(u.role),
    displayName: u.displayName,
    residentId: u.residentId,
    householdId: u.resident?.householdId ?? null,
    mustChangePassword: u.mustChangePassword,
    communityId: u.communityId,
    passwordHash: u.passwordHash,
    disabled: u.disabled,
  });
  const include = { resident: { select: { householdId: true } } } as const;

  return {
    async userByName(username: string): Promise<UserRecord | null> {
      const u = await prisma.user.findUnique({ where: { username }, include });
      return u ? toPrincipal(u) : null;
    },
    async create(tokenHash: string, userId: string, role: string, expiresAt: Date): Promise<void> {
      await prisma.session.create({ data: { tokenHash, userId, role, expiresAt } });
    },
    /** The session's user, if the session is live and the user still enabled. */
    async principal(tokenHash: string, now: Date): Promise<Principal | null> {
      const s = await prisma.session.findUnique({ where: { tokenHash } });
      if (!s || s.revokedAt || s.expiresAt <= now) return null;
      const u = await prisma.user.findUnique({ where: { id: s.userId }, include });
      if (!u || u.disabled) return null;
      const { passwordHash: _p, disabled: _d, ...principal } = toPrincipal(u);
      return principal;
    },
    /**
     * Slides a live staff session's expiry to `now + ttlMs`, never past `createdAt + maxMs`. Null when the session is
     * gone, revoked, expired, a resident's, or its user disabled.
     */
    async renew(tokenHash: string, now: Date, ttlMs: number, maxMs: number): Promise<{ expiresAt: Date; hardExpiresAt: Date } | null> {
      const s = await prisma.session.findUnique({ where: { tokenHash } });
      if (!s || s.revokedAt || s.expiresAt <= now) return null;
      const u = await prisma.user.findUnique({ where: { id: s.userId } });
      if (!u || u.disabled) return null;
      const hardExpiresAt = new Date(s.createdAt.getTime() + maxMs);
      const next = new Date(Math.min(now.getTime() + ttlMs, hardExpiresAt.getTime()));
      if (next <= s.expiresAt) return { expiresAt: s.expiresAt, hardExpiresAt };
      // Conditional: a logout racing this renewal wins.
      const n = await prisma.session.updateMany({ where: { tokenHash, revokedAt: null }, data: { expiresAt: next } });
      return n.count === 1 ? { expiresAt: next, hardExpiresAt } : null;
    },
    async revoke(tokenHash: string, at: Date): Promise<void> {
      await prisma.session.updateMany({ where: { tokenHash, revokedAt: null }, data: { revokedAt: at } });
    },
    async revokeAllOf(userId: string, at: Date): Promise<number> {
      return (await prisma.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: at } })).count;
    },
  };
}

export type SessionRepo = ReturnType<typeof sessionRepo>;
