import { createHmac, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/**
 * Device secrets and user passwords: argon2id (memory-hard, OWASP's first choice), via @node-rs/argon2 — a
 * prebuilt native binding shipped inside the npm package, so nothing is compiled or downloaded at install.
 * 19 MiB, t=2, p=1 is OWASP's minimum profile: about 20 ms a hash on this machine; device logins are cached so a
 * reconnect storm does not pay it per connection (see auth/device-auth.ts).
 */
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashSecret(secret: string): Promise<string> {
  return hash(secret, ARGON2);
}

export async function verifySecret(storedHash: string, secret: string): Promise<boolean> {
  try {
    return await verify(storedHash, secret);
  } catch {
    // A malformed stored hash is a data problem, never a successful login.
    return false;
  }
}

/** A random secret for a device or an initial password: 24 bytes, URL-safe. */
export function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Credential values (card numbers, PINs, pass codes) must be found by value at the door, so they are stored as a
 * keyed HMAC, not a salted KDF: without the key a stolen database reveals nothing.
 */
export function lookupHash(key: string, type: string, value: string): string {
  return createHmac('sha256', key).update(`${type}\0${value}`).digest('base64url');
}
