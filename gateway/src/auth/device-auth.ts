import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { DeviceAuthResult } from '../broker';
import type { DeviceRepo } from '../db/devices';
import { verifySecret } from './hash';

/**
 * Device login: client id = username = device id, password = the device's secret, checked against its argon2id hash.
 * A successful verification is remembered (keyed by the stored hash and a SHA-256 of the presented secret), so a
 * reconnect storm after a gateway restart costs one database read per device instead of one KDF run; a changed
 * secret or a disabled device takes effect at once because the row is read on every login.
 */
export function createDeviceAuth(repo: DeviceRepo) {
  const verified = new LRUCache<string, true>({ max: 100_000, ttl: 24 * 3_600_000 });
  return async function authenticate(deviceId: string, secret: string): Promise<DeviceAuthResult> {
    const row = await repo.findForAuth(deviceId);
    if (!row) return { ok: false, reason: 'unknown_device' };
    if (!row.enabled) return { ok: false, reason: 'disabled' };
    const key = `${row.secretHash}\0${createHash('sha256').update(secret).digest('base64')}`;
    if (!verified.has(key)) {
      if (!(await verifySecret(row.secretHash, secret))) return { ok: false, reason: 'bad_secret' };
      verified.set(key, true);
    }
    return { ok: true, device: { id: row.id, kind: row.kind } };
  };
}
