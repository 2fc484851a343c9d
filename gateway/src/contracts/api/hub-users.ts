// Hub users managed from the duty desk page (gateway/src/hub/user-routes.ts, docs/scale-out.md "Managing hub users"):
// a user allowed to manage users sees and changes the accounts inside its own scope, never wider.
import { z } from 'zod';
import { HubScope } from './hub';

const Iso = z.iso.datetime({ offset: true });

export const HubUsername = z.string().regex(/^[A-Za-z0-9_.-]{2,64}$/, 'must be 2–64 letters, digits, _, . or -');

export const HubUserView = z.object({
  username: z.string(),
  displayName: z.string(),
  scope: HubScope,
  scopeName: z.string().nullable(),
  managesUsers: z.boolean(),
  disabled: z.boolean(),
  /** Signed in last with a password someone else set (a new account or a reset), not yet changed. */
  mustChangePassword: z.boolean(),
  createdAt: Iso,
  /** The hub user who made the account; null for one made with the hub CLI. */
  createdBy: z.string().nullable(),
});
export type HubUserView = z.infer<typeof HubUserView>;

export const HubAccountAction = z.enum(['created', 'password_reset', 'disabled', 'enabled', 'password_changed']);
export const HubAccountChange = z.object({ at: Iso, actor: z.string(), action: HubAccountAction, target: z.string() });
export type HubAccountChange = z.infer<typeof HubAccountChange>;

export const HubUserList = z.object({
  users: z.array(HubUserView),
  /** The latest changes to these accounts, newest first. */
  changes: z.array(HubAccountChange),
});
export type HubUserList = z.infer<typeof HubUserList>;

export const HubUserCreateBody = z.object({
  username: HubUsername,
  displayName: z.string().trim().min(1).max(100),
  scope: HubScope,
  managesUsers: z.boolean().default(false),
});
export type HubUserCreateBody = z.input<typeof HubUserCreateBody>;

/** A password the hub drew, shown once to the person who asked; its owner must change it at the next sign-in. */
export const HubOneTimePassword = z.object({ username: z.string(), password: z.string() });
export type HubOneTimePassword = z.infer<typeof HubOneTimePassword>;

export const HubPasswordChangeBody = z.object({
  currentPassword: z.string().min(1).max(256),
  newPassword: z.string().min(10, 'at least 10 characters').max(256),
});
export type HubPasswordChangeBody = z.infer<typeof HubPasswordChangeBody>;
