import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Alert } from '../contracts/api/alerts';
import type { StoredChange } from '../db/alerts';
import { createLogger } from '../log';
import { LiveHub } from './hub';

/** A socket that reads everything, or nothing at all (a screen on a dead Wi-Fi link). */
class FakeRes extends Writable {
  readonly chunks: string[] = [];
  stalled = false;
  constructor() {
    super({ highWaterMark: 1024, decodeStrings: false });
  }
  override _write(chunk: string | Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void) {
    if (this.stalled) return; // never calls back: the bytes stay in the writable buffer
    this.chunks.push(chunk.toString());
    cb();
  }
  text() {
    return this.chunks.join('');
  }
  ids() {
    return [...this.text().matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  }
}

const alert = { id: 'a1', type: 'alarm_press', severity: 'critical', category: 'security', status: 'open', latched: true, priority: 400, deviceId: 'd', householdId: null, place: { label: '1号楼', kind: null, buildingId: null, unitId: null, householdId: null, x: null, y: null }, tags: [], count: 1, firstAt: '2026-11-21T12:00:00.000Z', lastAt: '2026-11-21T12:00:00.000Z', detail: { pad: 'x'.repeat(400) }, cancelRequestedAt: null, ackedBy: null, ackedAt: null, ackNote: null, onSiteBy: null, onSiteAt: null, clearedBy: null, clearedAt: null, clearNote: null, assignedTo: null, escalationLevel: 0, escalationTarget: 'guard_station', nextDeadlineAt: null, deadlineKind: null } satisfies Alert;
const changeOf = (id: number): StoredChange => ({ id, alertId: 'a1', action: 'repeated', at: '2026-11-21T12:00:00.000Z', actor: 'system', note: null, alert });
const asRes = (r: FakeRes) => r as unknown as ServerResponse;

describe('live hub', () => {
  let last = 0;
  let hub: LiveHub;
  const dropped: string[] = [];

  beforeEach(() => {
    vi.useFakeTimers();
    last = 0;
    dropped.length = 0;
    hub = new LiveHub({ heartbeatMs: 5_000, ackTimeoutMs: 15_000, maxBufferBytes: 16 * 1024 }, { log: createLogger({ level: 'silent' }), now: () => new Date(), lastId: () => last, openAlerts: () => [], onDrop: (r) => dropped.push(r) });
    hub.start();
  });
  afterEach(() => {
    hub.close();
    vi.useRealTimers();
  });

  const publish = (n: number) => {
    for (let i = 0; i < n; i++) hub.publish(changeOf(++last));
  };

  it('drops a client that stops reading once its buffer passes the bound, and keeps serving the others', () => {
    const slow = new FakeRes();
    const fast = new FakeRes();
    for (const r of [slow, fast]) hub.goLive(hub.attach(asRes(r), { user: 'g', ackRequired: false, resumed: false }).client, 0);
    slow.stalled = true;
    publish(100);
    expect(dropped).toEqual(['slow']);
    expect(slow.destroyed).toBe(true);
    expect(slow.writableLength).toBeLessThanOrEqual(16 * 1024 + 2_048);
    expect(fast.ids()).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(hub.size).toBe(1);
  });

  it('holds live frames during a catch-up and sends only those after it, in order', () => {
    const r = new FakeRes();
    last = 10;
    const { client, upto } = hub.attach(asRes(r), { user: 'g', ackRequired: false, resumed: true });
    expect(upto).toBe(10);
    publish(3);
    expect(r.ids()).toEqual([]);
    hub.goLive(client, 10);
    publish(1);
    expect(r.ids()).toEqual([11, 12, 13, 14]);
  });

  it('sends a heartbeat every interval, with the newest id', () => {
    const r = new FakeRes();
    hub.goLive(hub.attach(asRes(r), { user: 'g', ackRequired: false, resumed: false }).client, 0);
    last = 7;
    vi.advanceTimersByTime(10_000);
    expect(r.text().match(/event: heartbeat\ndata: \{"at":"[^"]+","lastId":7\}/g)).toHaveLength(2);
  });

  it('drops a supervised client that has not acknowledged within the timeout, and keeps one that has', () => {
    const silent = new FakeRes();
    const acking = new FakeRes();
    hub.goLive(hub.attach(asRes(silent), { user: 'g', ackRequired: true, resumed: false }).client, 0);
    const { client } = hub.attach(asRes(acking), { user: 'g', ackRequired: true, resumed: false });
    hub.goLive(client, 0);
    for (let s = 0; s < 20; s += 5) {
      vi.advanceTimersByTime(5_000);
      hub.ack(client.id);
    }
    expect(silent.destroyed).toBe(true);
    expect(acking.destroyed).toBe(false);
    expect(dropped).toEqual(['no_ack']);
  });
});
