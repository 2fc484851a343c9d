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
export function createDeviceAuth(repo: DeviceLoginStore, key: string) {
  return async function authenticate(deviceId: string, secret: string): Promise<DeviceLogin> {
    const row = await repo.findForAuth(deviceId);
    if (!row) return { ok: false, reason: 'unknown_device' };
    if (!row.enabled) return { ok: false, reason: 'disabled' };
    if (isKeyedDeviceHash(row.secretHash)) {
      if (!verifyDeviceSecret(key, row.id, row.secretHash, secret)) return { ok: false, reason: 'bad_secret' };
    } else {
      if (!(await verifySecret(row.secretHash, secret))) return { ok: false, reason: 'bad_secret' };
      // The upgrade only saves the next login a KDF run: the login does not wait for it, and a database that cannot
      // be written (locked, disk full) must not keep a device with the right secret from connecting and raising alarms.
      void repo.upgradeSecretHash(row.id, row.secretHash, hashDeviceSecret(key, row.id, secret)).catch(() => undefined);
    }
    return { ok: true, device: { id: row.id, kind: row.kind } };
  };
}
