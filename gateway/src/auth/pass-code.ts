import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * Visitor pass codes. The keypad code is 10 random digits: with a few hundred live passes and the keypad lockout
 * (ACCESS_PIN_LOCKOUT_*), guessing one takes years of trying at every door. It is stored only as
 * lookupHash(key, 'pass', code). The QR payload carries the same code plus an HMAC signature under a key derived from
 * the credential key, so a forged or mistyped QR is refused before any look-up and QR payloads cannot be enumerated.
 */
export const PASS_CODE_DIGITS = 10;
const QR_PREFIX = 'LINLI1';
const SIG_CHARS = 22; // 132 bits of base64url

export function newPassCode(): string {
  let code = '';
  for (let i = 0; i < PASS_CODE_DIGITS; i++) code += String(randomInt(0, 10));
  return code;
}

/** The QR signing key: derived, so the credential key itself never signs anything a visitor holds. */
export function qrSigningKey(credentialKey: string): Buffer {
  return createHmac('sha256', credentialKey).update('linli:qr-signing:v1').digest();
}

function sign(signingKey: Buffer, code: string): string {
  return createHmac('sha256', signingKey).update(`${QR_PREFIX}:${code}`).digest('base64url').slice(0, SIG_CHARS);
}

export function qrPayload(signingKey: Buffer, code: string): string {
  return `${QR_PREFIX}:${code}:${sign(signingKey, code)}`;
}

/** The pass code inside a QR payload, or null when the payload is not one of ours or its signature is wrong. */
export function codeFromQr(signingKey: Buffer, payload: string): string | null {
  const parts = payload.split(':');
  if (parts.length !== 3 || parts[0] !== QR_PREFIX) return null;
  const [, code, sig] = parts as [string, string, string];
  if (!/^\d{10}$/.test(code) || sig.length !== SIG_CHARS) return null;
  const expected = Buffer.from(sign(signingKey, code));
  const given = Buffer.from(sig);
  return given.length === expected.length && timingSafeEqual(given, expected) ? code : null;
}
