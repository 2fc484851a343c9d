import { z } from 'zod';
import { Role } from '../common';

export const LoginBody = z
  .object({
    username: z.string().min(1).max(64),
    password: z.string().min(1).max(256),
  })
  .strict();
export type LoginBody = z.infer<typeof LoginBody>;

/** Who is calling: resolved from the bearer token on every request. */
export const Principal = z.object({
  userId: z.string(),
  username: z.string(),
  role: Role,
  displayName: z.string(),
  /** Residents only: the household whose data they may see and change (object-level authorisation). */
  residentId: z.string().nullable(),
  householdId: z.string().nullable(),
  /** A one-time password (first start, a reset): only POST /api/v1/auth/password is allowed until it is changed. */
  mustChangePassword: z.boolean().default(false),
  /** Property managers: the one compound they manage; null for every other role. */
  communityId: z.string().nullable().default(null),
});
export type Principal = z.infer<typeof Principal>;

export const LoginReply = z.object({
  token: z.string(),
  expiresAt: z.iso.datetime(),
  user: Principal,
});
export type LoginReply = z.infer<typeof LoginReply>;

/** POST /auth/renew: the token's new expiry, and the latest it can ever reach (the shift's hard maximum). */
export const RenewReply = z.object({
  expiresAt: z.iso.datetime(),
  hardExpiresAt: z.iso.datetime(),
});
export type RenewReply = z.infer<typeof RenewReply>;

export const ErrorReply = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  details: z.unknown().optional(),
});
export type ErrorReply = z.infer<typeof ErrorReply>;
