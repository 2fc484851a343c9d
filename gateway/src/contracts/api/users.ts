import { z } from 'zod';
import { Role } from '../common';
import { NewPassword } from '../password-policy';

/** User names: what staff type at the login box; lower-case letters, digits, `.`, `_`, `-`. */
export const Username = z.string().regex(/^[a-z0-9][a-z0-9._-]{2,31}$/, 'user name: 3-32 characters of a-z, 0-9, ".", "_", "-"');

export const UserCreateBody = z
  .object({
    username: Username,
    displayName: z.string().trim().min(1).max(64),
    role: Role,
    /** Residents: the resident this account belongs to (its household is then the one they see). */
    residentId: z.string().min(1).max(64).optional(),
    /** Property managers: the compound they manage. */
    communityId: z.string().min(1).max(64).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.role === 'resident' && b.residentId === undefined) ctx.addIssue({ code: 'custom', path: ['residentId'], message: 'a resident account needs residentId' });
    if (b.role !== 'resident' && b.residentId !== undefined) ctx.addIssue({ code: 'custom', path: ['residentId'], message: 'only resident accounts have a residentId' });
    if (b.role === 'property_manager' && b.communityId === undefined) ctx.addIssue({ code: 'custom', path: ['communityId'], message: 'a property manager needs the compound (communityId) they manage' });
    if (b.role !== 'property_manager' && b.communityId !== undefined) ctx.addIssue({ code: 'custom', path: ['communityId'], message: 'only property managers are scoped to a compound' });
  });
export type UserCreateBody = z.infer<typeof UserCreateBody>;

export const UserView = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: Role,
  residentId: z.string().nullable(),
  communityId: z.string().nullable(),
  disabled: z.boolean(),
  mustChangePassword: z.boolean(),
  createdAt: z.iso.datetime(),
  passwordChangedAt: z.iso.datetime().nullable(),
});
export type UserView = z.infer<typeof UserView>;

export const UserList = z.object({ users: z.array(UserView) });
export type UserList = z.infer<typeof UserList>;

export const UserListQuery = z.object({ role: Role.optional() }).strict();

/** Created or reset: the one-time password, shown once; it must be changed at the first login. */
export const UserWithPassword = z.object({ user: UserView, oneTimePassword: z.string() });
export type UserWithPassword = z.infer<typeof UserWithPassword>;

export const UserPatchBody = z
  .object({ displayName: z.string().trim().min(1).max(64).optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((b) => b.displayName !== undefined || b.disabled !== undefined, 'nothing to change');
export type UserPatchBody = z.infer<typeof UserPatchBody>;

/** Every user changes their own password; a one-time password must be changed before anything else works. */
export const PasswordChangeBody = z
  .object({ currentPassword: z.string().min(1).max(256), newPassword: NewPassword })
  .strict()
  .refine((b) => b.currentPassword !== b.newPassword, { path: ['newPassword'], message: 'the new password must differ from the current one' });
export type PasswordChangeBody = z.infer<typeof PasswordChangeBody>;
