import { randomBytes } from 'node:crypto';
import { type DeviceKind, channelsFor } from '@linli/gateway/contracts';
import type { EventChannel, PublishOutcome } from './devices';
import { BareSubscriber, type LoadConnection, bareConnection, deviceConnection } from './load/connections';
import { runPaced } from './load/pacer';
import { Random } from '@linli/gateway/random';
import { LatencyRecorder, type LatencySummary } from './stats';

export interface LoadDevice {
  id: string;
  kind: DeviceKind;
  secret?: string;
}

export interface LoadOptions {
  url: string;
  /** device: seeded devices on their v1 topics (the gateway). bare: plain topics, for a bare broker (Mosquitto). */
  topicMode?: 'device' | 'bare';
  /** Device mode: the identities to log in as; the first `connections` are used. */
  devices?: readonly LoadDevice[];
  connections: number;
  /** Messages per second in total, or 'max' to saturate with a bounded window per connection. */
  rate: number | 'max';
  durationSec: number;
  /** Device mode: relative weights of the channels to send (each device sends only those of its kind). */
  mix?: Partial<Record<EventChannel, number>>;
  qos?: 0 | 1;
  /** Saturation: messages in flight per connection. */
  window?: number;
  /** Fixed rate: in-flight cap per connection; beyond it a message is skipped and counted, not queued without end. */
  maxInFlight?: number;
  rampBatch?: number;
  rampIntervalMs?: number;
  connectTimeoutMs?: number;
  /** After the sending phase, how long to wait for outstanding acknowledgements and deliveries. */
  drainTimeoutMs?: number;
  seed?: number;
  /** Bare mode. */
  topicPrefix?: string;
  username?: string;
  password?: string;
  payloadBytes?: number;
  quiet?: boolean;
  /** Where the per-second progress line goes (default stderr). */
  progress?: (line: string) => void;
}

export interface LoadReport {
  mode: 'device' | 'bare';
  rate: number | 'max';
  qos: 0 | 1;
  connections: number;
  connectFailures: number;
  connectFailureReasons: string[];
  /** The sending phase, seconds. */
  durationSec: number;
  sent: number;
  /** QoS 1: PUBACKs received (with the gateway: events committed). QoS 0: always 0. */
  acked: number;
  /** Publishes that failed plus DeviceError answers from the gateway. */
  errors: number;
  gatewayErrors: number;
  /** Fixed rate only: messages not sent because a connection already had maxInFlight outstanding. */
  skipped: number;
  /** acked / seconds from the first publish to the last acknowledgement (or the end of sending, if later). */
  ackedPerSec: number;
  latencyMs: LatencySummary;
  /** Bare mode: messages the subscriber received, per second over the same window, and publish → delivery. */
  delivered?: number;
  deliveredPerSec?: number;
  deliveryLatencyMs?: LatencySummary;
}

/**
 * Door and lamp traffic, no alarm presses or tamper: a benchmark should not raise real alerts. Heartbeats (sent at
 * the run's QoS) let every kind of device take part, alarm buttons included.
 */
export const DEFAULT_MIX: Partial<Record<EventChannel, number>> = {
  doorState: 4,
  accessRequest: 3,
  lightState: 2,
  plateRead: 1,
  barrierState: 1,
  heartbeat: 1,
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Opens N connections in ramped batches, then publishes at a fixed aggregate rate (drift-free pacer) or at
 * saturation (a fixed window of unacknowledged messages per connection), and reports throughput and
 * publish → PUBACK latency. Throws only on unusable options; connection failures are counted.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadReport> {
  const mode = opts.topicMode ?? 'device';
  const qos = opts.qos ?? 1;
  const tuning = { url: opts.url, connectTimeoutMs: opts.connectTimeoutMs ?? 10_000 };
  const random = new Random(opts.seed ?? 1);
  const progress = opts.quiet === true ? () => undefined : (opts.progress ?? ((l: string) => void process.stderr.write(`${l}\n`)));
  if (!Number.isInteger(opts.connections) || opts.connections < 1) throw new RangeError('connections must be a positive integer');
  if (!(opts.durationSec > 0)) throw new RangeError('durationSec must be positive');
  if (opts.rate !== 'max' && !(opts.rate > 0)) throw new RangeError("rate must be positive or 'max'");

  const nonce = randomBytes(3).toString('hex');
  const conns: LoadConnection[] = [];
  let subscriber: BareSubscriber | null = null;
  const prefix = opts.topicPrefix ?? 'bench/linli';
  const creds = { ...(opts.username !== undefined ? { username: opts.username } : {}), ...(opts.password !== undefined ? { password: opts.password } : {}) };
  if (mode === 'device') {
    const mix = Object.entries(opts.mix ?? DEFAULT_MIX).filter((e): e is [EventChannel, number] => typeof e[1] === 'number' && e[1] > 0);
    // Only devices that have a channel in the mix: a lamp cannot send door events, and would idle on a connection.
    const devices = (opts.devices ?? []).filter((d) => canSendAny(d.kind, mix));
    if (devices.length < opts.connections) {
      throw new RangeError(`${opts.connections} connections need as many devices that can send this mix; ${devices.length} can`);
    }
    for (const d of devices.slice(0, opts.connections)) conns.push(deviceConnection(d, mix, qos, random.fork(d.id), tuning));
  } else {
    for (let i = 0; i < opts.connections; i++) {
      conns.push(bareConnection({ topic: `${prefix}/${i}`, clientId: `load-${nonce}-${i}`, payloadBytes: opts.payloadBytes ?? 128, qos, ...creds }, tuning));
    }
    subscriber = new BareSubscriber(`${prefix}/#`, qos, { clientId: `load-${nonce}-sub`, ...creds }, tuning);
    const sub = await subscriber.open();
    if (!sub.ok) throw new Error(`bare-mode subscriber: ${sub.reason}`);
  }

  // ── ramp up ─────────────────────────────────────────────────────────────────────────────────────────────────
  const live: LoadConnection[] = [];
  const failures: string[] = [];
  const batch = opts.rampBatch ?? 50;
  for (let i = 0; i < conns.length; i += batch) {
    if (i > 0) await sleep(opts.rampIntervalMs ?? 100);
    const chunk = conns.slice(i, i + batch);
    const results = await Promise.all(chunk.map((c) => c.open()));
    results.forEach((r, j) => {
      const c = chunk[j];
      if (c === undefined) return;
      if (r.ok) live.push(c);
      else failures.push(`${c.id}: ${r.reason}`);
    });
  }
  const senders = live.filter((c) => c.canSend);
  if (senders.length === 0) {
    await Promise.all([...conns.map((c) => c.close()), subscriber?.close()]);
    throw new Error(failures.length > 0 ? `no connection succeeded; first failure: ${failures[0]}` : 'the mix has nothing these devices can send');
  }

  // ── send ────────────────────────────────────────────────────────────────────────────────────────────────────
  const latency = new LatencyRecorder();
  const stats = { sent: 0, acked: 0, failed: 0, skipped: 0, inFlight: 0, lastAckAt: 0 };
  const inFlight = new Map<LoadConnection, number>();
  const track = async (c: LoadConnection): Promise<void> => {
    stats.sent++;
    stats.inFlight++;
    inFlight.set(c, (inFlight.get(c) ?? 0) + 1);
    let outcome: PublishOutcome;
    try {
      outcome = await c.send();
    } catch (err) {
      outcome = { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
    stats.inFlight--;
    inFlight.set(c, (inFlight.get(c) ?? 1) - 1);
    if (!outcome.ok) stats.failed++;
    else if (qos === 1) {
      stats.acked++;
      stats.lastAckAt = performance.now();
      latency.record(outcome.latencyMs);
    }
  };

  const t0 = performance.now();
  const durationMs = opts.durationSec * 1000;
  let last = { at: t0, sent: 0, acked: 0 };
  const ticker = setInterval(() => {
    const now = performance.now();
    const dt = (now - last.at) / 1000;
    const s = latency.summary();
    progress(
      `[load] t=${((now - t0) / 1000).toFixed(0)}s conns=${senders.length} sent=${stats.sent} (${((stats.sent - last.sent) / dt).toFixed(0)}/s) ` +
        `acked=${stats.acked} (${((stats.acked - last.acked) / dt).toFixed(0)}/s) inflight=${stats.inFlight} p99=${s.p99}ms` +
        (subscriber ? ` delivered=${subscriber.delivered}` : ''),
    );
    last = { at: now, sent: stats.sent, acked: stats.acked };
  }, 1_000);

  if (opts.rate === 'max') {
    const window = opts.window ?? 16;
    const worker = async (c: LoadConnection): Promise<void> => {
      while (performance.now() - t0 < durationMs) await track(c);
    };
    await Promise.all(senders.flatMap((c) => Array.from({ length: window }, () => worker(c))));
  } else {
    const cap = opts.maxInFlight ?? 1_000;
    let next = 0;
    await runPaced({
      rate: opts.rate,
      durationMs,
      issue: (n) => {
        for (let i = 0; i < n; i++) {
          const c = senders[next++ % senders.length];
          if (c === undefined) continue;
          if ((inFlight.get(c) ?? 0) >= cap) stats.skipped++;
          // Not awaited: the pacer must not wait for acknowledgements; the drain below does.
          else void track(c);
        }
      },
    });
  }
  const sendEnd = performance.now();
  const drainUntil = sendEnd + (opts.drainTimeoutMs ?? 10_000);
  while (stats.inFlight > 0 && performance.now() < drainUntil) await sleep(20);
  if (subscriber) {
    const expected = qos === 1 ? stats.acked : stats.sent;
    while (subscriber.delivered < expected && performance.now() < drainUntil) await sleep(20);
  }
  clearInterval(ticker);

  const windowSec = (Math.max(sendEnd, stats.lastAckAt) - t0) / 1000;
  const gatewayErrors = live.reduce((n, c) => n + c.gatewayErrors(), 0);
  const report: LoadReport = {
    mode,
    rate: opts.rate,
    qos,
    connections: live.length,
    connectFailures: failures.length,
    connectFailureReasons: failures.slice(0, 10),
    durationSec: Math.round(((sendEnd - t0) / 1000) * 100) / 100,
    sent: stats.sent,
    acked: stats.acked,
    errors: stats.failed + gatewayErrors,
    gatewayErrors,
    skipped: stats.skipped,
    ackedPerSec: Math.round(stats.acked / windowSec),
    latencyMs: latency.summary(),
    ...(subscriber
      ? { delivered: subscriber.delivered, deliveredPerSec: Math.round(subscriber.delivered / windowSec), deliveryLatencyMs: subscriber.latency.summary() }
      : {}),
  };
  await Promise.all([...live.map((c) => c.close()), subscriber?.close()]);
  return report;
}

export function canSendAny(kind: DeviceKind, mix: readonly (readonly [EventChannel, number])[]): boolean {
  const up = new Set(channelsFor(kind, 'up'));
  return mix.some(([name, w]) => w > 0 && up.has(name));
}

export function formatLoadReport(r: LoadReport): string {
  const lat = (s: LatencySummary): string => `p50 ${s.p50} ms, p90 ${s.p90} ms, p99 ${s.p99} ms, max ${s.max} ms`;
  const lines = [
    `load (${r.mode}, QoS ${r.qos}, rate ${r.rate}): ${r.connections} connections, ${r.connectFailures} failed to connect`,
    `  sent ${r.sent}, acked ${r.acked}, errors ${r.errors} (gateway ${r.gatewayErrors}), skipped ${r.skipped} in ${r.durationSec} s`,
    `  acked/s ${r.ackedPerSec}; publish→PUBACK ${lat(r.latencyMs)}`,
  ];
  if (r.delivered !== undefined && r.deliveryLatencyMs) {
    lines.push(`  delivered ${r.delivered} (${r.deliveredPerSec}/s); publish→delivery ${lat(r.deliveryLatencyMs)}`);
  }
  for (const reason of r.connectFailureReasons) lines.push(`  connect failure: ${reason}`);
  return lines.join('\n');
}
