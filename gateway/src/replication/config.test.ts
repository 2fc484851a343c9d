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
  it('names the subject, the dedup id and the watermark key from compound, generation, table and seq', () => {
    expect(replicationSubject('c1', 'device_event')).toBe('linli.c1.device_event');
    expect(replicationMsgId('c1', '0a1b2c3d4e5f6a7b', 'access_event', 42)).toBe('c1:0a1b2c3d4e5f6a7b:access_event:42');
    expect(watermarkKey('c1', '0a1b2c3d4e5f6a7b', 'alert_change')).toBe('c1.0a1b2c3d4e5f6a7b.alert_change');
  });
  const env = { v: 2, compound: 'c1', generation: '0a1b2c3d4e5f6a7b', base: 0, seq: 2, prev: 1 } as const;
  const row = { deviceId: 'd', eventId: 'e', channel: 'door_state', payload: '{}', deviceTime: '2026-12-02T03:00:00.000+00:00', receivedAt: '2026-12-02T03:00:00.100+00:00', reusedEventId: false };
  it('accepts a stored event and refuses one without an offset on its times, or under a generation that is not one', () => {
    expect(ReplicationMessage.safeParse({ ...env, table: 'device_event', row }).success).toBe(true);
    expect(ReplicationMessage.safeParse({ ...env, table: 'device_event', row: { ...row, deviceTime: '2026-12-02T03:00:00' } }).success).toBe(false);
    expect(ReplicationMessage.safeParse({ ...env, generation: 'A.B', table: 'device_event', row }).success).toBe(false);
    expect(ReplicationMessage.safeParse({ ...env, v: 1, table: 'device_event', row }).success).toBe(false);
  });
  it('parses each table by its own row shape', () => {
    expect(ReplicationMessage.safeParse({ ...env, table: 'access_event', row }).success).toBe(false);
    const decision = { id: 'a', deviceId: 'd', requestId: 'r', at: row.deviceTime, receivedAt: row.receivedAt, direction: 'in', credentialType: 'card', decision: 'grant', reason: 'resident', residentId: null, passId: null, householdId: null, offline: false };
    expect(ReplicationMessage.safeParse({ ...env, table: 'access_event', row: decision }).success).toBe(true);
    expect(ReplicationMessage.safeParse({ ...env, table: 'access_event', row: { ...decision, decision: 'maybe' } }).success).toBe(false);
    const snapshot = { id: 'al', type: 'alarm_press', severity: 'critical', status: 'open', firstAt: row.deviceTime, lastAt: row.deviceTime, escalationLevel: 0, ackedBy: null };
    const change = { alertId: 'al', at: row.deviceTime, action: 'raised', actor: 'system', note: null, detail: null, source: 'd:e', snapshot };
    const parsed = ReplicationMessage.safeParse({ ...env, table: 'alert_change', row: change });
    // Snapshot fields the hub does not index stay as the cell wrote them.
    expect(parsed.success && parsed.data.table === 'alert_change' && parsed.data.row.snapshot !== null && 'ackedBy' in parsed.data.row.snapshot).toBe(true);
    expect(ReplicationMessage.safeParse({ ...env, table: 'alert_change', row: { ...change, action: 'deleted' } }).success).toBe(false);
  });
  it('takes audit records, staff sessions (never a resident\'s, a digest instead of the token) and presence transitions', () => {
    const audit = { at: row.deviceTime, actor: 'admin-1', action: 'grid.create', entity: 'Grid', entityId: 'g1', detail: '{"before":null}' };
    expect(ReplicationMessage.safeParse({ ...env, table: 'audit_log', row: audit }).success).toBe(true);
    expect(ReplicationMessage.safeParse({ ...env, table: 'audit_log', row: { ...audit, action: '' } }).success).toBe(false);
    const session = { sessionRef: 'a'.repeat(32), kind: 'login', at: row.deviceTime, userId: 'u1', username: 'guard1', role: 'guard' };
    expect(ReplicationMessage.safeParse({ ...env, table: 'session_event', row: session }).success).toBe(true);
    expect(ReplicationMessage.safeParse({ ...env, table: 'session_event', row: { ...session, role: 'resident' } }).success).toBe(false);
    expect(ReplicationMessage.safeParse({ ...env, table: 'session_event', row: { ...session, sessionRef: 'Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4eHh4eA' } }).success).toBe(false);
    expect(ReplicationMessage.safeParse({ ...env, table: 'session_event', row: { ...session, kind: 'renew' } }).success).toBe(false);
    const presence = { deviceId: 'd', online: false, at: row.deviceTime };
    expect(ReplicationMessage.safeParse({ ...env, table: 'device_presence', row: presence }).success).toBe(true);
    expect(ReplicationMessage.safeParse({ ...env, table: 'device_presence', row: { ...presence, online: 0 } }).success).toBe(false);
  });
});
