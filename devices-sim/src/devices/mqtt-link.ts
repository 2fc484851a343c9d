import { Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import {
  type BackoffPolicy,
  type ConnectOutcome,
  DEFAULT_BACKOFF,
  type DeviceLink,
  type LinkEvents,
  type LinkFactory,
  type LinkIdentity,
  type PublishOutcome,
  type SubscribeOutcome,
  backoffDelay,
} from './link';

const SERVER_UNAVAILABLE = 3;

export interface MqttLinkOptions {
  url: string;
  backoff?: BackoffPolicy;
  /** Reconnect after a lost connection (never after a failed first attempt). Default true. */
  reconnect?: boolean;
  connectTimeoutMs?: number;
  keepaliveSec?: number;
  /** Jitter source; Math.random by default so that devices and runs do not synchronise. */
  jitter?: () => number;
}

/**
 * One device = one MQTT.js client. MQTT.js's own reconnect runs on a fixed period, so it is off (reconnectPeriod 0)
 * and this class reconnects with jittered exponential backoff instead, handing the same stores back to the client so
 * QoS 1 messages not yet acknowledged are resent (with DUP) on the next session: the gateway's ingest is idempotent
 * on eventId, and the device must not lose events across a gateway restart.
 */
export class MqttLink implements DeviceLink {
  readonly events = new EventEmitter<LinkEvents>();
  private client: MqttClient | null = null;
  private closing = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff: BackoffPolicy;
  private readonly jitter: () => number;

  constructor(
    private readonly identity: LinkIdentity,
    private readonly opts: MqttLinkOptions,
  ) {
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.jitter = opts.jitter ?? Math.random;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  open(): Promise<ConnectOutcome> {
    if (this.client) return Promise.resolve({ ok: false, reason: 'already opened' });
    const { clientId, username, password } = this.identity;
    const options: IClientOptions = {
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: this.opts.connectTimeoutMs ?? 10_000,
      keepalive: this.opts.keepaliveSec ?? 30,
      // A heartbeat queued while offline is stale by the time it could be sent.
      queueQoSZero: false,
      ...(clientId !== undefined ? { clientId } : {}),
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...this.willOption(),
    };
    let client: MqttClient;
    try {
      client = mqtt.connect(this.opts.url, options);
    } catch (err) {
      return Promise.resolve({ ok: false, reason: err instanceof Error ? err.message : String(err) });
    }
    this.client = client;
    return new Promise((resolve) => {
      let settled = false;
      // CONNACK 3 (server unavailable) is the gateway shedding a reconnect storm: come back after the back-off.
      let busy = false;
      const fail = (reason: string, code?: number): void => {
        if (settled) return;
        settled = true;
        // A first attempt that fails is reported, not retried: a wrong secret would otherwise retry forever.
        this.closing = true;
        client.end(true);
        resolve(code === undefined ? { ok: false, reason } : { ok: false, reason, code });
      };
      client.on('error', (err: Error & { code?: unknown }) => {
        if (settled) return;
        if (err.code === SERVER_UNAVAILABLE && this.opts.reconnect !== false) {
          busy = true;
          return;
        }
        fail(err.message, typeof err.code === 'number' ? err.code : undefined);
      });
      client.on('close', () => {
        if (!settled && busy) {
          busy = false;
          this.events.emit('busy');
          return this.scheduleReconnect();
        }
        if (!settled) return fail('connection closed before CONNACK');
        this.events.emit('close');
        this.scheduleReconnect();
      });
      client.on('connect', () => {
        // Door firmware should do the same: MQTT.js leaves Nagle on, and a small QoS 1 publish then waits for the
        // previous segment's delayed ACK (~25-40 ms) before it leaves the device.
        const stream: unknown = client.stream;
        if (stream instanceof Socket) stream.setNoDelay(true);
        this.attempt = 0;
        if (!settled) {
          settled = true;
          resolve({ ok: true });
        }
        this.events.emit('connect');
      });
      client.on('message', (topic, payload) => this.events.emit('message', topic, payload));
    });
  }

  async publish(topic: string, payload: string | Buffer, opts: { qos: 0 | 1; retain: boolean }): Promise<PublishOutcome> {
    const client = this.client;
    if (!client) return { ok: false, reason: 'not opened' };
    const t0 = performance.now();
    try {
      await client.publishAsync(topic, payload, { qos: opts.qos, retain: opts.retain });
      return { ok: true, latencyMs: performance.now() - t0 };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  }

  async subscribe(topics: readonly string[], qos: 0 | 1): Promise<SubscribeOutcome> {
    const client = this.client;
    if (!client || topics.length === 0) return { ok: true };
    try {
      const granted = await client.subscribeAsync([...topics], { qos });
      // 0x80 in a SUBACK: the broker refused that filter but kept the connection.
      const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
      return refused.length === 0 ? { ok: true } : { ok: false, refused };
    } catch {
      return { ok: false, refused: [...topics] };
    }
  }

  async close(opts: { abrupt?: boolean } = {}): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    const client = this.client;
    if (!client) return;
    // A polite end waits for in-flight QoS 1 publishes, and MQTT.js would wait forever: for a connection that is
    // gone, or for a PUBACK that never comes. So wait for them here, bounded, and force the end if any is left.
    if (opts.abrupt !== true && client.connected && inFlight(client) > 0) await settled(client, CLOSE_GRACE_MS);
    await client.endAsync(opts.abrupt === true || !client.connected || inFlight(client) > 0);
  }

  private willOption(): Pick<IClientOptions, 'will'> {
    const will = this.identity.will?.();
    return will ? { will: { topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos, retain: will.retain } } : {};
  }

  private scheduleReconnect(): void {
    if (this.closing || this.opts.reconnect === false || this.timer !== undefined) return;
    const delay = backoffDelay(this.attempt, this.backoff, this.jitter);
    this.events.emit('reconnecting', delay, this.attempt);
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const client = this.client;
      if (this.closing || !client) return;
      Object.assign(client.options, this.willOption());
      client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    }, delay);
  }
}

/** Real ms a graceful close waits for the publishes still in flight before it drops the connection. */
const CLOSE_GRACE_MS = 2_000;

function inFlight(client: MqttClient): number {
  return Object.keys(client.outgoing).length;
}

/** Resolves when every in-flight publish is acknowledged, the connection closes, or `ms` pass, whichever is first. */
function settled(client: MqttClient, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('outgoingEmpty', done);
      client.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    client.once('outgoingEmpty', done);
    client.once('close', done);
  });
}

export function mqttLinks(opts: MqttLinkOptions): LinkFactory {
  return (identity) => new MqttLink(identity, opts);
}
