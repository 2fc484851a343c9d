import { describe, expect, it } from 'vitest';
import { type DeviceWatch, observe, supervise } from './supervision';
import { SETTINGS } from './testing';

const T0 = Date.parse('2026-11-21T12:00:00Z');
const watch = (over: Partial<DeviceWatch> = {}): DeviceWatch => ({
  deviceId: 'alarm-out-03',
  kind: 'outdoor_alarm',
  lastSeenMs: T0,
  connected: true,
  downSinceMs: null,
  downCause: null,
  offline: false,
  ...over,
});

describe('device supervision', () => {
  it('raises device_offline once when a connected device stays silent longer than its kind\'s window', () => {
    let w = watch();
    expect(supervise(w, SETTINGS, T0 + 59_999).decisions).toEqual([]);
    const due = supervise(w, SETTINGS, T0 + 60_000);
    expect(due.decisions).toEqual([expect.objectContaining({ kind: 'raise', type: 'device_offline', severity: 'major', mode: 'state', detail: expect.objectContaining({ cause: 'silence', windowSec: 60 }) })]);
    w = due.watch;
    expect(supervise(w, SETTINGS, T0 + 120_000).decisions).toEqual([]);
  });

  it('gives a streetlight a much longer window than an alarm button', () => {
    const lamp = watch({ deviceId: 'lamp-012', kind: 'streetlight' });
    expect(supervise(lamp, SETTINGS, T0 + 60_000).decisions).toEqual([]);
    expect(supervise(lamp, SETTINGS, T0 + 900_000).decisions[0]).toMatchObject({ severity: 'minor' });
  });

  it('uses the device\'s own window when it has one (its criticality), shorter or longer than its kind\'s', () => {
    const strict = watch({ windowSec: 30 });
    expect(supervise(strict, SETTINGS, T0 + 29_999).decisions).toEqual([]);
    expect(supervise(strict, SETTINGS, T0 + 30_000).decisions[0]).toMatchObject({ detail: expect.objectContaining({ windowSec: 30 }) });
    const lenient = watch({ windowSec: 900 });
    expect(supervise(lenient, SETTINGS, T0 + 60_000).decisions).toEqual([]);
    expect(supervise(lenient, SETTINGS, T0 + 900_000).decisions[0]).toMatchObject({ detail: expect.objectContaining({ windowSec: 900 }) });
    expect(supervise(watch({ windowSec: null }), SETTINGS, T0 + 60_000).decisions).toHaveLength(1);
  });

  it('raises after the grace when a device disconnects (Will, keepalive, close), keeping the specific cause', () => {
    let w = observe(watch(), { type: 'disconnected', atMs: T0 + 1_000, cause: 'will' }).watch;
    w = observe(w, { type: 'disconnected', atMs: T0 + 1_010, cause: 'closed' }).watch;
    expect(supervise(w, SETTINGS, T0 + 10_999).decisions).toEqual([]);
    expect(supervise(w, SETTINGS, T0 + 11_000).decisions[0]).toMatchObject({ detail: expect.objectContaining({ cause: 'will' }) });
  });

  it('raises nothing when the device reconnects within the grace', () => {
    let w = observe(watch(), { type: 'disconnected', atMs: T0 + 1_000, cause: 'closed' }).watch;
    w = observe(w, { type: 'connected', atMs: T0 + 5_000 }).watch;
    expect(supervise(w, SETTINGS, T0 + 30_000).decisions).toEqual([]);
  });

  it('ends the offline condition when the device connects or speaks again', () => {
    const down = supervise(watch(), SETTINGS, T0 + 60_000).watch;
    expect(observe(down, { type: 'seen', atMs: T0 + 61_000 }).decisions).toEqual([expect.objectContaining({ kind: 'end', key: 'device_offline:alarm-out-03' })]);
    const gone = supervise(observe(watch(), { type: 'disconnected', atMs: T0, cause: 'closed' }).watch, SETTINGS, T0 + 20_000).watch;
    expect(observe(gone, { type: 'seen', atMs: T0 + 21_000 }).decisions).toEqual([]);
    expect(observe(gone, { type: 'connected', atMs: T0 + 21_000 }).decisions).toEqual([expect.objectContaining({ kind: 'end' })]);
  });

  it('measures silence from the last message, not from the connection', () => {
    const w = observe(watch(), { type: 'seen', atMs: T0 + 50_000 }).watch;
    expect(supervise(w, SETTINGS, T0 + 100_000).decisions).toEqual([]);
    expect(supervise(w, SETTINGS, T0 + 110_000).decisions).toHaveLength(1);
  });
});
