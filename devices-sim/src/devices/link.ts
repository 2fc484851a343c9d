import type { EventEmitter } from 'node:events';

/**
 * What a simulated device needs from its connection. The real one is one MQTT.js client (mqtt-link.ts); the
 * recording one (recording-link.ts) captures what would have been published, so tests and dry runs can check and
 * replay a device's output without a broker.
 */
export interface WillSpec {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
}

export interface LinkIdentity {
  /** Optional only for bare-broker load runs; the gateway requires clientId = username = device id. */
  clientId?: string;
  username?: string;
  password?: string;
  /** Called before every connection attempt, so the offline Will carries the time of the session it guards. */
  will?: () => WillSpec;
}

export type ConnectOutcome = { ok: true } | { ok: false; reason: string; code?: number };
export type PublishOutcome = { ok: true; latencyMs: number } | { ok: false; reason: string };
export type SubscribeOutcome = { ok: true } | { ok: false; refused: string[] };

export interface LinkEvents {
  connect: [];
  close: [];
  message: [topic: string, payload: Buffer];
  /** A reconnection is scheduled in `delayMs` (attempt counts from 0 after each successful connection). */
  reconnecting: [delayMs: number, attempt: number];
  /** The gateway answered CONNACK 3 (server unavailable): it is shedding a storm; a retry follows after the back-off. */
  busy: [];
}

export interface DeviceLink {
  readonly events: EventEmitter<LinkEvents>;
  readonly connected: boolean;
  /** Resolves at the first accepting CONNACK, or with why the first attempt failed (no retry, the caller decides) —
   *  except for CONNACK 3 (server unavailable), which is retried with back-off. */
  open(): Promise<ConnectOutcome>;
  /** QoS 1 resolves at PUBACK; latency is publish → PUBACK in real milliseconds. Never rejects. */
  publish(topic: string, payload: string | Buffer, opts: { qos: 0 | 1; retain: boolean }): Promise<PublishOutcome>;
  subscribe(topics: readonly string[], qos: 0 | 1): Promise<SubscribeOutcome>;
  /** abrupt: drop the socket without DISCONNECT, so the broker publishes the Will (a power cut). */
  close(opts?: { abrupt?: boolean }): Promise<void>;
}

export type LinkFactory = (identity: LinkIdentity) => DeviceLink;

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000 };

/**
 * Exponential backoff with full jitter (uniform in [0, min(cap, base·2^attempt)]). After a gateway restart a
 * thousand devices would otherwise reconnect in lock-step and hit the argon2 login path in one burst; full jitter
 * spreads them over the whole window (AWS Architecture Blog, "Exponential Backoff and Jitter").
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, rand: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(rand() * ceiling);
}
