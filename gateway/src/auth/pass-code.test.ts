import { describe, expect, it } from 'vitest';
import { codeFromQr, newPassCode, qrPayload, qrSigningKey } from './pass-code';

const key = qrSigningKey('k'.repeat(48));

describe('visitor pass codes', () => {
  it('draws 10-digit codes', () => {
    const codes = new Set(Array.from({ length: 200 }, () => newPassCode()));
    for (const c of codes) expect(c).toMatch(/^\d{10}$/);
    expect(codes.size).toBeGreaterThan(195);
  });
  it('reads back the code of a QR payload it signed', () => {
    expect(codeFromQr(key, qrPayload(key, '0123456789'))).toBe('0123456789');
  });
  it('refuses a changed code, a changed signature, another key and foreign text', () => {
    const payload = qrPayload(key, '0123456789');
    expect(codeFromQr(key, payload.replace('0123456789', '0123456788'))).toBeNull();
    expect(codeFromQr(key, `${payload.slice(0, -1)}${payload.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(codeFromQr(qrSigningKey('x'.repeat(48)), payload)).toBeNull();
    expect(codeFromQr(key, 'https://example.com/pass/0123456789')).toBeNull();
  });
});
