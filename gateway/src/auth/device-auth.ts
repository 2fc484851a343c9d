import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DeviceAuthResult } from '../broker';
import type { DeviceRepo } from '../db/devices';
import { verifySecret } from './hash';

/**
 * Device login: client id = username = device id, password = the device's secret, checked against its argon2id hash.
 *
 * A successful argon2id check is remembered as `authMemo` = HMAC(credential key, secretHash + secret) on the
 * device's row, so a reconnect storm — every device of the compound at once after a gateway restart — costs one
 * database read and one HMAC per device instead of ~20 ms of KDF each (10,000 devices: minutes of CPU on two cores).
 * The memo is useless without the key, and device secrets are 192-bit random values, so it gives an attacker holding
 * the database nothing to brute-force. A new secret (new hash) or a disabled device takes effect at once: the row is
 * read on every login.
 */
export function createDeviceAuth(repo: DeviceRepo, memoKey: string, now: () => Date = () => new Date()) {
  const memoOf = (secretHash: string, secret: string) => createHmac('sha256', memoKey).update(`${secretHash}\0${secret}`).digest();
  return async function authenticate(deviceId: string, secret: string): Promise<DeviceAuthResult> {
    const row = await repo.findForAuth(deviceId);
    if (!row) return { ok: false, reason: 'unknown_device' };
    if (!row.enabled) return { ok: false, reason: 'disabled' };
    const memo = memoOf(row.secretHash, secret);
    const stored = row.authMemo ? Buffer.from(row.authMemo, 'base64url') : null;
    if (!stored || stored.length !== memo.length || !timingSafeEqual(stored, memo)) {
      if (!(await verifySecret(row.secretHash, secret))) {
        // A secret rotated with a grace period: the old one works until then, and is never memoised (it would
        // outlive the grace period in the memo).
        const inGrace = row.prevSecretHash !== null && row.prevSecretUntil !== null && row.prevSecretUntil > now();
        if (inGrace && row.prevSecretHash !== null && (await verifySecret(row.prevSecretHash, secret))) return { ok: true, device: { id: row.id, kind: row.kind } };
        return { ok: false, reason: 'bad_secret' };
      }
      // The memo only saves the next login a KDF run: the login does not wait for it, and a database that cannot be
      // written (locked, disk full) must not keep a device with the right secret from connecting and raising alarms.
      void repo.setAuthMemo(row.id, row.secretHash, memo.toString('base64url')).catch(() => undefined);
    }
    return { ok: true, device: { id: row.id, kind: row.kind } };
  };
}
