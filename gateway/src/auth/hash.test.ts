import { describe, expect, it } from 'vitest';
import { hashDeviceSecret, isKeyedDeviceHash, verifyDeviceSecret } from './hash';

const KEY = 'k'.repeat(43);

describe('device secret hash', () => {
  const stored = hashDeviceSecret(KEY, 'door-1', 'secret-of-door-1');

  it('verifies the secret under the key and bound to the device id', () => {
    expect(isKeyedDeviceHash(stored)).toBe(true);
    expect(verifyDeviceSecret(KEY, 'door-1', stored, 'secret-of-door-1')).toBe(true);
    expect(verifyDeviceSecret(KEY, 'door-2', stored, 'secret-of-door-1')).toBe(false);
    expect(verifyDeviceSecret('x'.repeat(43), 'door-1', stored, 'secret-of-door-1')).toBe(false);
  });

  it('refuses wrong secrets of every length, and short or corrupt stored values, by the same comparison', () => {
    for (const wrong of ['', 's', 'secret-of-door-', 'secret-of-door-1 ', 'x'.repeat(10_000)]) {
      expect(verifyDeviceSecret(KEY, 'door-1', stored, wrong)).toBe(false);
    }
    // A truncated digest, an empty one, a digest with trailing bytes, and an argon2id value: never a login, never a throw.
    for (const bad of [stored.slice(0, -4), 'hmac-sha256$', `${stored}AAAA`, '$argon2id$v=19$m=19456,t=2,p=1$abc$def']) {
      expect(verifyDeviceSecret(KEY, 'door-1', bad, 'secret-of-door-1')).toBe(false);
    }
  });
});
