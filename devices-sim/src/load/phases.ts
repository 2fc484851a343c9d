import { randomBytes } from 'node:crypto';
import { Random } from '@linli/gateway/random';
import type { EventChannel, PublishOutcome } from '../devices';
import type { LoadOptions, LoadReport } from '../load';
import { DEFAULT_MIX, canSendAny } from './mix';
import { LatencyRecorder } from '../stats';
import { BareSubscriber, type LoadConnection, bareConnection, deviceConnection } from './connections';
import { runPaced } from './pacer';

// The phases of runLoad (load.ts), in the order it runs them.

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Unusable options throw before anything connects. */
export function checkOptions(opts: LoadOptions): void {
  if (!Number.isInteger(opts.connections) || opts.connections < 1) throw new RangeError('connections must be a positive integer');
  if (!(opts.durationSec > 0)) throw new RangeError('durationSec must be positive');
  if (opts.rate !== 'max' && !(opts.rate > 0)) throw new RangeError("rate must be positive or 'max'");
}

/** The connections to open (not yet open), and in bare mode the subscriber that counts deliveries (open). */
export async function prepareConnections(opts: LoadOptions, mode: 'device' | 'bare', qos: 0 | 1): Promise<{ conns: LoadConnection[]; subscriber: BareSubscriber | null }> {
  const tuning = { url: opts.url, connectTimeoutMs: opts.connectTimeoutMs ?? 10_000 };
  const conns: LoadConnection[] = [];
  if (mode === 'device') {
    const random = new Random(opts.seed ?? 1);
    const mix = Object.entries(opts.mix ?? DEFAULT_MIX).filter((e): e is [EventChannel, number] => typeof e[1] === 'number' && e[1] > 0);
    // Only devices that have a channel in the mix: a lamp cannot send door events, and would idle on a connection.
    const devices = (opts.devices ?? []).filter((d) => canSendAny(d.kind, mix));
    if (devices.length < opts.connections) {
      throw new RangeError(`${opts.connections} connections need as many devices that can send this mix; ${devices.length} can`);
    }
    for (const d of devices.slice(0, opts.connections)) conns.push(deviceConnection(d, mix, qos, random.fork(d.id), tuning));
    return { conns, subscriber: null };
  }
  const nonce = randomBytes(3).toString('hex');
  const prefix = opts.topicPrefix ?? 'bench/linli';
  const creds = { ...(opts.username !== undefined ? { username: opts.username } : {}), ...(opts.password !== undefined ? { password: opts.password } : {}) };
  for (let i = 0; i < opts.connections; i++) {
    conns.push(bareConnection({ topic: `${prefix}/${i}`, clientId: `load-${nonce}-${i}`, payloadBytes: opts.payloadBytes ?? 128, qos, ...creds }, tuning));
  }
  const subscriber = new BareSubscriber(`${prefix}/#`, qos, { clientId: `load-${nonce}-sub`, ...creds }, tuning);
  const sub = await subscriber.open();
  if (!sub.ok) throw new Error(`bare-mode subscriber: ${sub.reason}`);
  return { conns, subscriber };
}

/** Opens the connections `batch` at a time, `intervalMs` apart: a load test must not measure its own SYN burst. */
export async function rampUp(conns: LoadConnection[], batch: number, intervalMs: number): Promise<{ live: LoadConnection[]; failures: string[] }> {
  const live: LoadConnection[] = [];
  const failures: string[] = [];
  for (let i = 0; i < conns.length; i += batch) {
    if (i > 0) await sleep(intervalMs);
    const chunk = conns.slice(i, i + batch);
    const results = await Promise.all(chunk.map((c) => c.open()));
    results.forEach((r, j) => {
      const c = chunk[j];
      if (c === undefined) return;
      if (r.ok) live.push(c);
      else failures.push(`${c.id}: ${r.reason}`);
    });
  }
  return { live, failures };
}

export type Tracker = ReturnType<typeof createTracker>;

/** Sends one message on a connection and counts what became of it: sent, acknowledged (with latency) or failed. */
export function createTracker(qos: 0 | 1) {
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
  return { latency, stats, inFlightOf: (c: LoadConnection) => inFlight.get(c) ?? 0, track };
}

/** One progress line a second; the caller clears the returned timer. */
export function startProgress(progress: (line: string) => void, tracker: Tracker, conns: number, subscriber: BareSubscriber | null, t0: number) {
  const { stats, latency } = tracker;
  let last = { at: t0, sent: 0, acked: 0 };
  return setInterval(() => {
    const now = performance.now();
    const dt = (now - last.at) / 1000;
    const s = latency.summary();
    progress(
      `[load] t=${((now - t0) / 1000).toFixed(0)}s conns=${conns} sent=${stats.sent} (${((stats.sent - last.sent) / dt).toFixed(0)}/s) ` +
        `acked=${stats.acked} (${((stats.acked - last.acked) / dt).toFixed(0)}/s) inflight=${stats.inFlight} p99=${s.p99}ms` +
        (subscriber ? ` delivered=${subscriber.delivered}` : ''),
    );
    last = { at: now, sent: stats.sent, acked: stats.acked };
  }, 1_000);
}

/** Saturation (a window of unacknowledged messages per connection) or a fixed aggregate rate through the pacer. */
export async function sendPhase(opts: LoadOptions, senders: LoadConnection[], tracker: Tracker, t0: number): Promise<void> {
  const durationMs = opts.durationSec * 1000;
  const { track } = tracker;
  if (opts.rate === 'max') {
    const window = opts.window ?? 16;
    const worker = async (c: LoadConnection): Promise<void> => {
      while (performance.now() - t0 < durationMs) await track(c);
    };
    await Promise.all(senders.flatMap((c) => Array.from({ length: window }, () => worker(c))));
    return;
  }
  const cap = opts.maxInFlight ?? 1_000;
  let next = 0;
  await runPaced({
    rate: opts.rate,
    durationMs,
    issue: (n) => {
      for (let i = 0; i < n; i++) {
        const c = senders[next++ % senders.length];
        if (c === undefined) continue;
        if (tracker.inFlightOf(c) >= cap) tracker.stats.skipped++;
        // Not awaited: the pacer must not wait for acknowledgements; the drain below does.
        else void track(c);
      }
    },
  });
}

/** Waits, until `until`, for outstanding acknowledgements and (bare mode) for the subscriber's deliveries. */
export async function drain(tracker: Tracker, subscriber: BareSubscriber | null, qos: 0 | 1, until: number): Promise<void> {
  const { stats } = tracker;
  while (stats.inFlight > 0 && performance.now() < until) await sleep(20);
  if (subscriber) {
    const expected = qos === 1 ? stats.acked : stats.sent;
    while (subscriber.delivered < expected && performance.now() < until) await sleep(20);
  }
}

export function buildReport(
  run: Pick<LoadReport, 'mode' | 'rate' | 'qos'>,
  tracker: Tracker,
  live: LoadConnection[],
  failures: string[],
  subscriber: BareSubscriber | null,
  times: { t0: number; sendEnd: number },
): LoadReport {
  const { stats, latency } = tracker;
  const { t0, sendEnd } = times;
  const windowSec = (Math.max(sendEnd, stats.lastAckAt) - t0) / 1000;
  const gatewayErrors = live.reduce((n, c) => n + c.gatewayErrors(), 0);
  return {
    ...run,
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
}
