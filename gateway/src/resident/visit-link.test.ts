import { describe, expect, it } from 'vitest';
import { openVisitLink, sealVisitLink, visitLinkKey } from './visit-link';

describe('visitor link tokens', () => {
  const key = visitLinkKey('credential-key-for-tests-0123456789');

  it('round-trips and shows no code in the token', () => {
    const token = sealVisitLink(key, 'pass-abc', '0123456789');
    expect(token).not.toContain('0123456789');
    expect(openVisitLink(key, token)).toEqual({ passId: 'pass-abc', code: '0123456789' });
  });

  it('refuses another key, a flipped bit and garbage', () => {
    const token = sealVisitLink(key, 'pass-abc', '0123456789');
    expect(openVisitLink(visitLinkKey('another-key-0123456789-abcdef'), token)).toBeNull();
    const raw = Buffer.from(token, 'base64url');
    raw[20] = (raw[20] ?? 0) ^ 1;
    expect(openVisitLink(key, raw.toString('base64url'))).toBeNull();
    expect(openVisitLink(key, 'AAAA')).toBeNull();
  });
});
