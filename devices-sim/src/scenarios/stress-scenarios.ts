import type { FaceTerminal } from '../devices';
import { defineScenario } from './types';

const positive = (text: string | undefined, name: string): number => {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${text}`);
  return n;
};

/**
 * Rush hour while the operator restarts the gateway. Devices must ride it out on their own: jittered reconnects,
 * and QoS 1 events the old gateway never acknowledged sent again on the new session (ingest dedups on eventId).
 * The restart is the caller's job; this scenario only keeps the load up and counts what was acknowledged.
 */
export const gatewayRestartRush = defineScenario({
  name: 'gateway-restart-rush',
  description:
    'Residents stream through every door terminal at a high rate for a while; restart the gateway meanwhile. Reports sent/acked and reconnects.',
  params: {
    rate: { description: 'entries per sim second, across all doors', default: '20' },
    duration: { description: 'sim seconds of rush', default: '60' },
    settle: { description: 'real seconds to wait at the end for outstanding acknowledgements', default: '30' },
  },
  async run(ctx) {
    const rate = positive(ctx.params.rate, 'rate');
    const durationMs = positive(ctx.params.duration, 'duration') * 1000;
    const settleMs = positive(ctx.params.settle, 'settle') * 1000;
    const residents = ctx.population.residents.filter((r) => r.doorCredentials.length > 0);
    if (residents.length === 0) throw new Error('the secrets file has no resident credentials');
    const doors: FaceTerminal[] = [];
    for (const s of ctx.devices.specs({ kind: 'face_terminal' })) doors.push(await ctx.devices.faceTerminal(s.id));
    let reconnects = 0;
    for (const d of doors) d.events.on('reconnecting', () => reconnects++);

    const start = ctx.clock.nowMs();
    const walks: Promise<unknown>[] = [];
    let entries = 0;
    for (let t = start + ctx.random.exponential(1000 / rate); t < start + durationMs; t += ctx.random.exponential(1000 / rate)) {
      const resident = ctx.random.pick(residents);
      const door = ctx.random.pick(doors);
      const credential = resident.doorCredentials[0];
      if (credential === undefined) continue;
      entries++;
      ctx.clock.at(t, () => void walks.push(door.walkThrough(credential, 'in')));
    }
    await ctx.clock.sleep(durationMs);
    await Promise.all(walks);
    const allAcked = await ctx.devices.settle(settleMs);
    const t = ctx.devices.totals();
    ctx.log.info({ entries, sent: t.sent, acked: t.acked, reconnects }, 'rush over');
    return { entries, sent: t.sent, acked: t.acked, failed: t.failed, unacked: t.sent - t.acked - t.failed, reconnects, allAcked };
  },
});

const KINDS = ['not_json', 'wrong_types', 'oversized', 'unknown_channel', 'binary', 'extra_field'] as const;

/** One device misbehaving: every kind of bad message the gateway must answer on the error topic without dropping it. */
export const malformedFlood = defineScenario({
  name: 'malformed-flood',
  description: 'One device sends a stream of malformed messages via sendRaw (non-JSON, wrong types, oversized, unknown channel, binary, extra fields).',
  params: {
    device: { description: 'face_terminal device id (default: the main gate)' },
    count: { description: 'messages to send', default: '60' },
    interval: { description: 'sim milliseconds between messages', default: '250' },
    oversize: { description: 'bytes of the oversized message (above the gateway payload limit, below its packet limit)', default: '16384' },
  },
  async run(ctx) {
    const count = positive(ctx.params.count, 'count');
    const intervalMs = positive(ctx.params.interval, 'interval');
    const oversize = positive(ctx.params.oversize, 'oversize');
    const id = ctx.params.device ?? ctx.devices.specs({ kind: 'face_terminal', placeKind: 'main_gate' })[0]?.id;
    if (id === undefined) throw new Error('no main gate terminal in the secrets file; pass --device');
    const device = await ctx.devices.faceTerminal(id);
    const byKind: Record<string, number> = {};
    let acked = 0;
    for (let i = 0; i < count; i++) {
      if (i > 0) await ctx.clock.sleep(intervalMs);
      const kind = KINDS[i % KINDS.length] ?? 'not_json';
      byKind[kind] = (byKind[kind] ?? 0) + 1;
      const [channel, bytes] = malformed(kind, `flood-${ctx.random.hex(8)}`, oversize, () => ctx.random.int(0, 255));
      if ((await device.sendRaw(channel, bytes)).ok) acked++;
    }
    // Answers on the error topic are QoS 0 and follow the PUBACKs closely; give them a moment of real time.
    await ctx.clock.sleep(2_000 * ctx.clock.speed);
    const c = device.counters;
    ctx.log.info({ deviceId: id, sent: c.sent, errors: c.errors }, 'flood over');
    return { deviceId: id, sent: count, acked, errorsReceived: c.errors, ...byKind };
  },
});

/** One bad message of each kind: (channel under the device's namespace, bytes). */
function malformed(kind: (typeof KINDS)[number], eventId: string, oversize: number, byte: () => number): [string, string | Buffer] {
  const ts = '2025-01-01T00:00:00+08:00';
  switch (kind) {
    case 'not_json':
      return ['door/state', `{"eventId":"${eventId}","ts":`];
    case 'wrong_types':
      return ['door/state', JSON.stringify({ eventId: 42, ts: 'yesterday', state: 'ajar', cause: null })];
    case 'oversized':
      // Valid JSON, only too big: the gateway must say payload_too_large, not invalid_json.
      return ['heartbeat', JSON.stringify({ eventId, ts, uptimeSec: 1, firmware: 'x'.repeat(oversize) })];
    case 'unknown_channel':
      return ['door/status', JSON.stringify({ eventId, ts, state: 'open', cause: 'grant' })];
    case 'binary':
      return ['door/state', Buffer.from(Array.from({ length: 32 }, byte))];
    case 'extra_field':
      return ['door/state', JSON.stringify({ eventId, ts, state: 'open', cause: 'grant', debug: true })];
  }
}
