import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A resident's personal QR credential. The payload is `LINLIR1:<token>:<signature>`: a 128-bit random token and an
 * HMAC signature under the same derived QR signing key as visitor passes (auth/pass-code.ts) but another prefix, so
 * a resident's code and a pass code can never be taken for one another. The gateway stores only
 * lookupHash(key, 'qr', token), like a card or a PIN; the payload itself is shown once and kept on the phone.
 */
const PREFIX = 'LINLIR1';
const TOKEN_CHARS = 22; // 16 bytes, base64url
const SIG_CHARS = 22; // 132 bits of base64url

export function newResidentQrToken(): string {
  return randomBytes(16).toString('base64url');
}

function sign(signingKey: Buffer, token: string): string {
  return createHmac('sha256', signingKey).update(`${PREFIX}:${token}`).digest('base64url').slice(0, SIG_CHARS);
}

export function residentQrPayload(signingKey: Buffer, token: string): string {
  return `${PREFIX}:${token}:${sign(signingKey, token)}`;
}

/** Cheap test before any look-up: does the payload claim to be a resident's QR at all? */
export function isResidentQr(payload: string): boolean {
  return payload.startsWith(`${PREFIX}:`);
}

/** The token inside a resident QR payload, or null when it is not one of ours or its signature is wrong. */
export function tokenFromResidentQr(signingKey: Buffer, payload: string): string | null {
  const parts = payload.split(':');
  if (parts.length !== 3 || parts[0] !== PREFIX) return null;
  const [, token, sig] = parts as [string, string, string];
  if (token.length !== TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(token) || sig.length !== SIG_CHARS) return null;
  const expected = Buffer.from(sign(signingKey, token));
  const given = Buffer.from(sig);
  return given.length === expected.length && timingSafeEqual(given, expected) ? token : null;
}
