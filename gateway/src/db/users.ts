import { Role } from '../contracts';
import type { UserView } from '../contracts/api/users';
import { type AuditEntry, auditData } from './access';
import type { PrismaClient } from './client';

type UserRow = {
  id: string;
  username: string;
  displayName: string;
  role: string;
  residentId: string | null;
  communityId: string | null;
  disabled: boolean;
  mustChangePassword: boolean;
  createdAt: Date;
  passwordChangedAt: Date | null;
};

/** A user as the admin pages see it: never the password hash. */
export const userView = (u: UserRow): UserView => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  role: Role.parse(u.role),
  residentId: u.residentId,
  communityId: u.communityId,
  disabled: u.disabled,
  mustChangePassword: u.mustChangePassword,
  createdAt: u.createdAt.toISOString(),
  passwordChangedAt: u.passwordChangedAt?.toISOString() ?? null,
});

/** User accounts for administration (users/). Every change is written with its audit row in one transaction. */
export function userRepo(prisma: PrismaClient) {
  return {
    async list(role?: Role): Promise<UserView[]> {
      const rows = await prisma.user.findMany({ where: role ? { role } : {}, orderBy: [{ role: 'asc' }, { username: 'asc' }] });
      return rows.map(userView);
    },
    async get(id: string): Promise<(UserView & { passwordHash: string }) | null> {
      const u = await prisma.user.findUnique({ where: { id } });
      return u ? { ...userView(u), passwordHash: u.passwordHash } : null;
    },
    count: () => prisma.user.count(),
    countWhere: (where: { role?: string; disabled?: boolean }) => prisma.user.count({ where }),
    byName: (username: string) => prisma.user.findUnique({ where: { username }, select: { id: true } }),
    residentExists: async (id: string) => (await prisma.resident.count({ where: { id } })) > 0,
    residentTaken: async (id: string) => (await prisma.user.count({ where: { residentId: id } })) > 0,
    communityExists: async (id: string) => (await prisma.community.count({ where: { id } })) > 0,
    async create(
      data: { id: string; username: string; displayName: string; role: Role; residentId: string | null; communityId: string | null; passwordHash: string },
      audit: AuditEntry,
    ): Promise<UserView> {
      const [u] = await prisma.$transaction([
        prisma.user.create({ data: { ...data, mustChangePassword: true } }),
        prisma.auditLog.create({ data: auditData(audit) }),
      ]);
      return userView(u);
    },
    async update(
      id: string,
      data: { displayName?: string; disabled?: boolean; passwordHash?: string; mustChangePassword?: boolean; passwordChangedAt?: Date },
      audit: AuditEntry,
      revokeSessionsAt?: Date,
      /** A session that stays (the one that changed its own password). */
      keepSession?: string,
    ): Promise<UserView> {
      const [u] = await prisma.$transaction([
        prisma.user.update({ where: { id }, data }),
        prisma.auditLog.create({ data: auditData(audit) }),
        // Sessions end in the same transaction: a disabled user or a reset password never has a live token after.
        ...(revokeSessionsAt ? [prisma.session.updateMany({ where: { userId: id, revokedAt: null, ...(keepSession ? { tokenHash: { not: keepSession } } : {}) }, data: { revokedAt: revokeSessionsAt } })] : []),
      ]);
      return userView(u);
    },
  };
}

export type UserRepo = ReturnType<typeof userRepo>;
