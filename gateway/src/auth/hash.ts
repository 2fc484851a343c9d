import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { normaliseCard } from '../contracts/card';

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

const DEVICE_HASH_PREFIX = 'hmac-sha256$';
const DIGEST_BYTES = 32;

/**
 * Device secrets are not passwords: the gateway draws them (192 random bits, `newSecret`), so nobody can guess one and
 * a memory-hard KDF protects nothing a keyed hash does not (NIST SP 800-63B §5.1.1.2 asks for a KDF for *memorized*
 * secrets; high-entropy ones need only a keyed or salted hash). HMAC-SHA-256 under the credential key (a pepper
 * outside the database) and bound to the device id: a stolen database alone gives nothing to test guesses against,
 * and a login costs microseconds instead of ~20 ms of argon2id — 10,000 devices logging in after a restart at a
 * plain broker's pace. People's passwords stay argon2id.
 */
export function hashDeviceSecret(key: string, deviceId: string, secret: string): string {
  return DEVICE_HASH_PREFIX + deviceDigest(key, deviceId, secret).toString('base64url');
}

function deviceDigest(key: string, deviceId: string, secret: string): Buffer {
  return createHmac('sha256', key).update(`device\0${deviceId}\0${secret}`).digest();
}

/** A stored device hash in the keyed form (older rows hold argon2id and are upgraded at their next login). */
export function isKeyedDeviceHash(stored: string): boolean {
  return stored.startsWith(DEVICE_HASH_PREFIX);
}

/**
 * Constant time over the secret and the stored value alike: the stored digest is copied into a buffer of the
 * digest's length whatever its own length, so a short or corrupt row takes the same path as a wrong secret.
 */
export function verifyDeviceSecret(key: string, deviceId: string, stored: string, secret: string): boolean {
  const expected = deviceDigest(key, deviceId, secret);
  const decoded = Buffer.from(stored.slice(DEVICE_HASH_PREFIX.length), 'base64url');
  const actual = Buffer.alloc(DIGEST_BYTES);
  decoded.copy(actual, 0, 0, DIGEST_BYTES);
  const same = timingSafeEqual(actual, expected);
  return same && decoded.length === DIGEST_BYTES && isKeyedDeviceHash(stored);
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
  // Card numbers are hashed in their normal form (contracts/card.ts): every entry point and every lookup agree.
  return rawLookupHash(key, type, type === 'card' ? normaliseCard(value) : value);
}

/** The HMAC of the value exactly as given: what cards were stored as before their normal form (see access/resolve.ts). */
export function rawLookupHash(key: string, type: string, value: string): string {
  return createHmac('sha256', key).update(`${type}\0${value}`).digest('base64url');
}
