import { describe, expect, it } from 'vitest';
import { AddressList, addressMatcher, forwardedClient } from './addresses';

describe('trusted proxy addresses', () => {
  it('parses lists of addresses and CIDR blocks and refuses anything else', () => {
    expect(AddressList.parse(' 10.0.0.0/8, ::1 ,192.168.1.5')).toEqual(['10.0.0.0/8', '::1', '192.168.1.5']);
    expect(AddressList.parse('')).toEqual([]);
    expect(AddressList.safeParse('10.0.0.0/33').success).toBe(false);
    expect(AddressList.safeParse('proxy.local').success).toBe(false);
  });

  it('matches IPv4, IPv4-mapped IPv6 and IPv6 peers', () => {
    const trusted = addressMatcher(['10.0.0.0/8', 'fd00::/8']);
    expect(trusted('10.1.2.3')).toBe(true);
    expect(trusted('::ffff:10.1.2.3')).toBe(true);
    expect(trusted('fd12::1')).toBe(true);
    expect(trusted('11.0.0.1')).toBe(false);
    expect(trusted('unknown')).toBe(false);
    expect(addressMatcher([])('10.1.2.3')).toBe(false);
  });

  it('takes the client from X-Forwarded-For only through trusted hops', () => {
    const trusted = addressMatcher(['10.0.0.0/8']);
    expect(forwardedClient('10.0.0.2', '203.0.113.9, 10.0.0.7', trusted)).toBe('203.0.113.9');
    // A client cannot smuggle an address past the first untrusted hop.
    expect(forwardedClient('10.0.0.2', '1.2.3.4, 203.0.113.9', trusted)).toBe('203.0.113.9');
    expect(forwardedClient('203.0.113.9', '1.2.3.4', trusted)).toBe('203.0.113.9');
    expect(forwardedClient('10.0.0.2', undefined, trusted)).toBe('10.0.0.2');
  });
});
