import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { ReplicationMessage, replicationMsgId, replicationSubject, watermarkKey } from '../contracts/replication';
import { ReplicationConfigError, resolveCompound } from '.';

describe('replication configuration', () => {
  it('reads HUB_NATS_URL as a list of nats:// URLs, empty by default', () => {
    const off = loadConfig({});
    expect(off.ok && off.config.HUB_NATS_URL).toEqual([]);
    const on = loadConfig({ HUB_NATS_URL: 'nats://10.0.0.1:4222, nats://10.0.0.2:4222' });
    expect(on.ok && on.config.HUB_NATS_URL).toEqual(['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222']);
  });
  it('refuses a URL that is not nats:// or tls://, and a compound id that cannot be a subject token', () => {
    const bad = loadConfig({ HUB_NATS_URL: 'http://hub:4222' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toContain('HUB_NATS_URL');
    const dotted = loadConfig({ COMPOUND_ID: 'changan.001' });
    expect(!dotted.ok && dotted.message).toContain('COMPOUND_ID');
  });
  it('uses COMPOUND_ID, else the one active compound, else a clear error', () => {
    expect(resolveCompound({ COMPOUND_ID: 'changan-001' }, ['a', 'b'])).toBe('changan-001');
    expect(resolveCompound({ COMPOUND_ID: undefined }, ['test-community'])).toBe('test-community');
    expect(() => resolveCompound({ COMPOUND_ID: undefined }, ['a', 'b'])).toThrow(ReplicationConfigError);
    expect(() => resolveCompound({ COMPOUND_ID: undefined }, [])).toThrow(/set COMPOUND_ID/);
    expect(() => resolveCompound({ COMPOUND_ID: undefined }, ['小区一'])).toThrow(/cannot name a NATS subject/);
  });
});

describe('replication message', () => {
  it('names the subject, the dedup id and the watermark key from compound, table and seq', () => {
    expect(replicationSubject('c1', 'device_event')).toBe('linli.c1.device_event');
    expect(replicationMsgId('c1', 'device_event', 42)).toBe('c1:device_event:42');
    expect(watermarkKey('c1', 'device_event')).toBe('c1.device_event');
  });
  it('accepts a stored event and refuses one without an offset on its times', () => {
    const row = { deviceId: 'd', eventId: 'e', channel: 'door_state', payload: '{}', deviceTime: '2026-12-02T03:00:00.000+00:00', receivedAt: '2026-12-02T03:00:00.100+00:00', reusedEventId: false };
    expect(ReplicationMessage.safeParse({ v: 1, compound: 'c1', table: 'device_event', seq: 2, prev: 1, row }).success).toBe(true);
    expect(ReplicationMessage.safeParse({ v: 1, compound: 'c1', table: 'device_event', seq: 2, prev: 1, row: { ...row, deviceTime: '2026-12-02T03:00:00' } }).success).toBe(false);
  });
});
