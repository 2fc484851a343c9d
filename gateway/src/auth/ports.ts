import type { DeviceKind } from '../contracts';
import type { Principal } from '../contracts/api/auth';

/**
 * What auth/ needs from storage. auth/ never imports db/: db/sessions.ts and db/devices.ts implement these ports and
 * app.ts wires them (as broker/ports.ts does for the broker), so sessions and device login can be read and tested
 * on their own.
 */

/** A user as a login sees it: the principal plus what only the login may read. */
export interface UserRecord extends Principal {
  passwordHash: string;
  disabled: boolean;
}

export interface SessionStore {
  userByName(username: string): Promise<UserRecord | null>;
  create(tokenHash: string, userId: string, role: string, expiresAt: Date): Promise<void>;
  /** The session's user, if the session is live and the user still enabled. */
  principal(tokenHash: string, now: Date): Promise<Principal | null>;
  /** Slides a live staff session's expiry; null when it can no longer be renewed. */
  renew(tokenHash: string, now: Date, ttlMs: number, maxMs: number): Promise<{ expiresAt: Date; hardExpiresAt: Date } | null>;
  revoke(tokenHash: string, at: Date): Promise<void>;
}

/** A device's row as its login reads it. */
export interface DeviceAuthRecord {
  id: string;
  kind: DeviceKind;
  enabled: boolean;
  secretHash: string;
  /** A rotated secret still accepted until `prevSecretUntil` (devices/: rotation with a grace period). */
  prevSecretHash: string | null;
  prevSecretUntil: Date | null;
}

export interface DeviceLoginStore {
  findForAuth(id: string): Promise<DeviceAuthRecord | null>;
  /** Replaces an argon2id hash by the keyed one after a successful check, only if the hash is still `from`. */
  upgradeSecretHash(id: string, from: string, to: string): Promise<void>;
}

/** A device login's outcome (the broker's DeviceAuthResult, broker/ports.ts, has this shape). */
export type DeviceLogin =
  | { ok: true; device: { id: string; kind: DeviceKind } }
  | { ok: false; reason: 'unknown_device' | 'disabled' | 'bad_secret' };
