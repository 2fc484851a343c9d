import { hashDeviceSecret, isKeyedDeviceHash, verifyDeviceSecret, verifySecret } from './hash';
import type { DeviceLogin, DeviceLoginStore } from './ports';

/**
 * Device login: client id = username = device id, password = the device's secret, checked against its keyed hash
 * (HMAC-SHA-256 under the credential key, auth/hash.ts): one database read and one HMAC per login, so a reconnect
 * storm — every device of the compound at once after a restart — costs what it costs a plain broker.
 *
 * Rows from before keyed hashes hold argon2id: checked once that way, then upgraded in place (conditional on the old
 * hash, so a secret rotated meanwhile is never overwritten). A disabled device or a new secret takes effect at once:
 * the row is read on every login.
 */
export function createDeviceAuth(repo: DeviceLoginStore, key: string, now: () => Date = () => new Date()) {
  const matches = async (id: string, stored: string, secret: string) => (isKeyedDeviceHash(stored) ? verifyDeviceSecret(key, id, stored, secret) : verifySecret(stored, secret));
  return async function authenticate(deviceId: string, secret: string): Promise<DeviceLogin> {
    const row = await repo.findForAuth(deviceId);
    if (!row) return { ok: false, reason: 'unknown_device' };
    if (!row.enabled) return { ok: false, reason: 'disabled' };
    if (!(await matches(row.id, row.secretHash, secret))) {
      // A secret rotated with a grace period: the old one works until then (devices/: rotation).
      const inGrace = row.prevSecretHash !== null && row.prevSecretUntil !== null && row.prevSecretUntil > now();
      if (inGrace && row.prevSecretHash !== null && (await matches(row.id, row.prevSecretHash, secret))) return { ok: true, device: { id: row.id, kind: row.kind } };
      return { ok: false, reason: 'bad_secret' };
    }
    if (!isKeyedDeviceHash(row.secretHash)) {
      // The upgrade only saves the next login a KDF run: the login does not wait for it, and a database that cannot
      // be written (locked, disk full) must not keep a device with the right secret from connecting and raising alarms.
      void repo.upgradeSecretHash(row.id, row.secretHash, hashDeviceSecret(key, row.id, secret)).catch(() => undefined);
    }
    return { ok: true, device: { id: row.id, kind: row.kind } };
  };
}
