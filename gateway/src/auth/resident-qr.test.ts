import { describe, expect, it } from 'vitest';
import { codeFromQr, qrSigningKey } from './pass-code';
import { isResidentQr, newResidentQrToken, residentQrPayload, tokenFromResidentQr } from './resident-qr';

describe('resident QR payload', () => {
  const key = qrSigningKey('credential-key-for-a-test-000000');

  it('round-trips the token under the signing key', () => {
    const token = newResidentQrToken();
    const payload = residentQrPayload(key, token);
    expect(payload).toMatch(/^LINLIR1:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]{22}$/);
    expect(isResidentQr(payload)).toBe(true);
    expect(tokenFromResidentQr(key, payload)).toBe(token);
  });

  it('refuses another key, a flipped character and a visitor pass payload', () => {
    const payload = residentQrPayload(key, newResidentQrToken());
    expect(tokenFromResidentQr(qrSigningKey('another-credential-key-000000000'), payload)).toBeNull();
    const last = payload.at(-1) === 'A' ? 'B' : 'A';
    expect(tokenFromResidentQr(key, payload.slice(0, -1) + last)).toBeNull();
    expect(tokenFromResidentQr(key, 'LINLI1:0123456789:abcdefghijklmnopqrstuv')).toBeNull();
    // …and the pass decoder does not take a resident's payload either.
    expect(codeFromQr(key, payload)).toBeNull();
  });
});
