import { describe, expect, it } from 'vitest';
import { FrameScanner } from './frame-guard';

describe('FrameScanner', () => {
  it('accepts packets within the limit, split across chunks anywhere', () => {
    const s = new FrameScanner(100);
    const connect = Buffer.from([0x10, 0x05, 1, 2, 3, 4, 5]);
    const pingreq = Buffer.from([0xc0, 0x00]);
    const all = Buffer.concat([connect, pingreq, connect]);
    for (const b of all) expect(s.feed(Buffer.from([b]))).toBe('ok');
  });
  it('refuses a remaining length over the limit as soon as the length bytes arrive', () => {
    expect(new FrameScanner(1000).feed(Buffer.from([0x10, 0xe9, 0x07]))).toBe('too_large'); // 1001
    expect(new FrameScanner(1001).feed(Buffer.from([0x10, 0xe9, 0x07]))).toBe('ok');
  });
  it('refuses a length varint longer than four bytes', () => {
    expect(new FrameScanner(Number.MAX_SAFE_INTEGER).feed(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x01]))).toBe('malformed');
  });
  it('requires CONNECT first', () => {
    expect(new FrameScanner(100).feed(Buffer.from([0x30, 0x00]))).toBe('not_connect_first');
  });
  it('refuses a DISCONNECT or PINGREQ with a body or with flags set (so the Will is published, not dropped)', () => {
    const connect = [0x10, 0x01, 0x00];
    expect(new FrameScanner(100).feed(Buffer.from([...connect, 0xe0, 0x00]))).toBe('ok');
    expect(new FrameScanner(100).feed(Buffer.from([...connect, 0xe0, 0x01, 0x00]))).toBe('malformed');
    expect(new FrameScanner(100).feed(Buffer.from([...connect, 0xe2, 0x00]))).toBe('malformed');
    expect(new FrameScanner(100).feed(Buffer.from([...connect, 0xc0, 0x01, 0x00]))).toBe('malformed');
  });
});
