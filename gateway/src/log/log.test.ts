import { describe, expect, it } from 'vitest';
import { createLogger, fingerprint, redactUrl } from '.';

function capture() {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } });
  return { log, lines, last: () => lines[lines.length - 1] ?? '' };
}

describe('log', () => {
  it('never lets a field shadow level, time or msg', () => {
    const { log, last } = capture();
    log.error({ alertId: 'a1', level: 2, time: 'yesterday', msg: 'other' }, 'alert escalated');
    const line = last();
    expect(line.match(/"level":/g)).toHaveLength(1);
    expect(line.match(/"time":/g)).toHaveLength(1);
    expect(line.match(/"msg":/g)).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ level: 50, msg: 'alert escalated', field_level: 2, field_time: 'yesterday', field_msg: 'other' });
  });

  it('keeps error codes and redacts secrets by field name', () => {
    const { log, last } = capture();
    log.warn({ code: 'SQLITE_BUSY', err: Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }), password: 'p', pin: '482913', token: 't', credential: { type: 'card', value: '3021457789' } }, 'x');
    const line = last();
    expect(JSON.parse(line)).toMatchObject({ code: 'SQLITE_BUSY', err: { code: 'SQLITE_BUSY' }, password: '[redacted]', pin: '[redacted]', token: '[redacted]', credential: { type: 'card', value: '[redacted]' } });
    expect(line).not.toContain('482913');
    expect(line).not.toContain('3021457789');
  });

  it('masks query-string secrets by name and by shape, and keeps the rest of the URL', () => {
    expect(redactUrl('/api/v1/live/alerts?ticket=abc&ack=1&lastEventId=42')).toBe('/api/v1/live/alerts?ticket=[redacted]&ack=1&lastEventId=42');
    expect(redactUrl('/x?token=t&access_token=u&pin=1&passCode=2&phone=3')).toBe('/x?token=[redacted]&access_token=[redacted]&pin=[redacted]&passCode=[redacted]&phone=[redacted]');
    expect(redactUrl('/x?q=Zm9vYmFyYmF6cXV4cXV1eGNvcmdl')).toBe('/x?q=[redacted]');
    expect(redactUrl('/api/v1/alerts?status=open&limit=50')).toBe('/api/v1/alerts?status=open&limit=50');
    expect(redactUrl('/plain')).toBe('/plain');
  });

  it('fingerprints a value without revealing it', () => {
    const f = fingerprint('Tr0ub4dor&3');
    expect(f).toMatch(/^\[len 11 hmac:[0-9a-f]{12}\]$/);
    expect(f).toBe(fingerprint('Tr0ub4dor&3'));
    expect(f).not.toBe(fingerprint('Tr0ub4dor&4'));
  });
});
