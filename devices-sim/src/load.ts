import type { DeviceKind } from '@linli/gateway/contracts';
import type { EventChannel } from './devices';
import { buildReport, checkOptions, createTracker, drain, prepareConnections, rampUp, sendPhase, startProgress } from './load/phases';
import type { LatencySummary } from './stats';

export { DEFAULT_MIX, canSendAny } from './load/mix';

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
 * Opens N connections in ramped batches, then publishes at a fixed aggregate rate (drift-free pacer) or at
 * saturation (a fixed window of unacknowledged messages per connection), and reports throughput and
 * publish → PUBACK latency. Throws only on unusable options; connection failures are counted. The phases are in
 * load/phases.ts.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadReport> {
  const mode = opts.topicMode ?? 'device';
  const qos = opts.qos ?? 1;
  const progress = opts.quiet === true ? () => undefined : (opts.progress ?? ((l: string) => void process.stderr.write(`${l}\n`)));
  checkOptions(opts);
  const { conns, subscriber } = await prepareConnections(opts, mode, qos);
  const { live, failures } = await rampUp(conns, opts.rampBatch ?? 50, opts.rampIntervalMs ?? 100);
  const senders = live.filter((c) => c.canSend);
  if (senders.length === 0) {
    await Promise.all([...conns.map((c) => c.close()), subscriber?.close()]);
    throw new Error(failures.length > 0 ? `no connection succeeded; first failure: ${failures[0]}` : 'the mix has nothing these devices can send');
  }

  const tracker = createTracker(qos);
  const t0 = performance.now();
  const ticker = startProgress(progress, tracker, senders.length, subscriber, t0);
  await sendPhase(opts, senders, tracker, t0);
  const sendEnd = performance.now();
  await drain(tracker, subscriber, qos, sendEnd + (opts.drainTimeoutMs ?? 10_000));
  clearInterval(ticker);

  const report = buildReport({ mode, rate: opts.rate, qos }, tracker, live, failures, subscriber, { t0, sendEnd });
  await Promise.all([...live.map((c) => c.close()), subscriber?.close()]);
  return report;
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
