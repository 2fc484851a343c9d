import type { FastifyRequest } from 'fastify';
import type { Principal } from '../contracts/api/auth';
import { AppError } from '../errors';

/**
 * Who may administer master data. `admin` everywhere; `property_manager` (物业 staff, the user accounts issue adds
 * the role) only inside one compound. The role is read as a string and the scope from the principal's optional
 * `communityId`, so this needs nothing from the accounts code: an admin whose principal carries a communityId is
 * scoped the same way. Guards and residents get 403.
 */
const ADMIN_ROLES: ReadonlySet<string> = new Set(['admin', 'property_manager']);

export function communityIdOf(p: Principal): string | null {
  return 'communityId' in p && typeof p.communityId === 'string' && p.communityId !== '' ? p.communityId : null;
}

/** The caller's scope: null (the whole installation) or the one compound they may touch. */
export function scopeOf(p: Principal): string | null {
  return communityIdOf(p);
}

/** preHandler: 401 without a token; 403 for any role but admin and a property manager with a compound. */
export async function requireAdmin(req: FastifyRequest): Promise<void> {
  const p = req.principal;
  if (!p) throw new AppError('UNAUTHENTICATED', 'log in first (Authorization: Bearer <token>)');
  const role: string = p.role;
  if (!ADMIN_ROLES.has(role)) throw new AppError('FORBIDDEN', 'this needs the admin or property_manager role');
  if (role === 'property_manager' && communityIdOf(p) === null) throw new AppError('FORBIDDEN', 'a property manager must be assigned to a compound');
}

/** preHandler for what only an administrator of the whole installation may do (the audit log). */
export async function requireInstallationAdmin(req: FastifyRequest): Promise<void> {
  await requireAdmin(req);
  if (req.principal && (req.principal.role !== 'admin' || communityIdOf(req.principal) !== null)) {
    throw new AppError('FORBIDDEN', 'this needs an administrator of the whole installation');
  }
}

/** How the caller appears in the audit log (same form as access/: role:username). */
export { actorOf } from '../api/auth';
