import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  type AccessReply,
  type Command,
  type DeviceKind,
  type PayloadOf,
  Presence,
  TOPIC_PREFIX,
  type UpChannel,
  catalogue,
  channelsFor,
  schemaOf,
  topicFor,
} from '@linli/gateway/contracts';
import type { Clock } from '../clock';
import { Random } from '@linli/gateway/random';
import { LatencyRecorder } from '../stats';
import { formatTs } from '../time';
import { CredentialStore, type Received, validateInbound } from './inbound';
import type { ConnectOutcome, DeviceLink, LinkFactory, PublishOutcome } from './link';

export type { Received } from './inbound';

/** Real ms a graceful close waits for the offline presence to be acknowledged. */
const CLOSE_GRACE_MS = 2_000;

/** Up channels that carry a device event (everything but the retained presence). */
export type EventChannel = Exclude<UpChannel, 'presence'>;
/** What a caller supplies for an event; the device adds its own eventId and timestamp. */
export type FieldsOf<N extends EventChannel> = Omit<PayloadOf<N>, 'eventId' | 'ts'>;
export type Sent = PublishOutcome & { eventId: string | null; topic: string };

export interface DeviceEvents {
  connect: [];
  disconnect: [];
  reconnecting: [delayMs: number, attempt: number];
  /** A validated message from the gateway. */
  message: [Received];
  /** A message that failed validation (wrong topic or payload); counted in `invalid`. */
  invalid: [{ topic: string; reason: string }];
}

export interface SimDeviceOptions {
  id: string;
  kind: DeviceKind;
  secret?: string;
  link: LinkFactory;
  clock: Clock;
  /** For the device's own small decisions (supply voltage noise); defaults to a stream named by the id. */
  random?: Random;
  /** Makes event ids unique across simulator runs; random unless a test pins it. */
  bootNonce?: string;
  /** Real milliseconds to wait for an access reply (scaled by clock.speed). */
  replyTimeoutMs?: number;
  /** Subscribe to the down channels on connect (load mode skips replies it never reads). Default true. */
  subscribe?: boolean;
  firmware?: string;
  /**
   * The device's own wall clock, which stamps `ts`. Defaults to the sim clock (dry runs stay reproducible); a live
   * run at speed > 1 against a real gateway passes real time, as real devices' clocks show it — otherwise every
   * device would be flagged for clock drift.
   */
  wallClock?: () => number;
}

export interface DeviceCounters {
  sent: number;
  acked: number;
  /** Publishes that did not complete (connection lost and the device closed before a resend). */
  failed: number;
  /** DeviceError answers from the gateway (its `errors` topic). */
  errors: number;
  invalid: number;
  received: number;
}

/**
 * A simulated device: one link, its identity, and the protocol duties every kind shares — an offline Will and an
 * online presence on each connection, exact-topic subscriptions to its own down channels, and contract validation
 * in both directions. Every outgoing payload goes through the catalogue schema's parse, so the simulator cannot emit
 * an invalid message by accident; `sendRaw` is the one deliberate way to do so.
 */
export class SimDevice {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly events = new EventEmitter<DeviceEvents>();
  readonly counters: DeviceCounters = { sent: 0, acked: 0, failed: 0, errors: 0, invalid: 0, received: 0 };
  /** publish → PUBACK, real milliseconds. */
  readonly latency = new LatencyRecorder();
  protected readonly clock: Clock;
  protected readonly random: Random;
  protected readonly link: DeviceLink;
  private readonly bootAtMs: number;
  private readonly nonce: string;
  private readonly eventPrefix: string;
  private readonly replyTimeoutMs: number;
  private readonly firmware: string | undefined;
  private readonly wantsSubscriptions: boolean;
  private seq = 0;
  private inFlight = 0;
  private readonly idle: (() => void)[] = [];
  private readonly replyWaiters = new Map<string, (reply: AccessReply | null) => void>();
  /** The door's offline credential set, as last synced by the gateway (kept, not yet used to decide offline). */
  readonly sync = new CredentialStore();

  private readonly wallNow: () => number;

  constructor(opts: SimDeviceOptions) {
    this.id = opts.id;
    this.kind = opts.kind;
    this.clock = opts.clock;
    this.random = opts.random ?? new Random(`device:${opts.id}`);
    this.bootAtMs = opts.clock.nowMs();
    this.wallNow = opts.wallClock ?? (() => opts.clock.nowMs());
    this.nonce = opts.bootNonce ?? randomBytes(4).toString('hex');
    // Event ids are unique per device; the id prefix only helps a human reading the log, so it goes if too long.
    this.eventPrefix = opts.id.length + this.nonce.length + 12 <= 64 ? `${opts.id}-${this.nonce}` : this.nonce;
    this.replyTimeoutMs = opts.replyTimeoutMs ?? 5_000;
    this.firmware = opts.firmware;
    this.wantsSubscriptions = opts.subscribe ?? true;
    this.link = opts.link({
      clientId: opts.id,
      username: opts.id,
      ...(opts.secret !== undefined ? { password: opts.secret } : {}),
      will: () => ({ topic: topicFor('presence', this.id), payload: this.presencePayload('offline'), qos: 1, retain: true }),
    });
    this.link.events.on('connect', () => void this.onConnect());
    this.link.events.on('close', () => this.events.emit('disconnect'));
    this.link.events.on('reconnecting', (delay, attempt) => this.events.emit('reconnecting', delay, attempt));
    this.link.events.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  get connected(): boolean {
    return this.link.connected;
  }

  get sent(): number {
    return this.counters.sent;
  }

  get acked(): number {
    return this.counters.acked;
  }

  get errors(): number {
    return this.counters.errors;
  }

  /** Connects; resolves after the first CONNACK (presence and subscriptions follow on every connection). */
  start(): Promise<ConnectOutcome> {
    return this.link.open();
  }

  /** Publishes an event of one of this device's up channels: eventId and ts are added, then the contract parses it. */
  publish<N extends EventChannel>(name: N, fields: FieldsOf<N>, opts: { qos?: 0 | 1 } = {}): Promise<Sent> {
    if (!catalogue[name].kinds.includes(this.kind)) throw new Error(`${this.kind} ${this.id} has no ${name} channel`);
    const eventId = this.nextId();
    const payload = schemaOf(name).parse({ ...fields, eventId, ts: formatTs(this.wallNow()) });
    return this.send(topicFor(name, this.id), JSON.stringify(payload), opts.qos ?? catalogue[name].qos, catalogue[name].retain, eventId);
  }

  heartbeat(): Promise<Sent> {
    const uptimeSec = Math.max(0, Math.floor((this.clock.nowMs() - this.bootAtMs) / 1000));
    return this.publish('heartbeat', this.firmware === undefined ? { uptimeSec } : { uptimeSec, firmware: this.firmware });
  }

  /**
   * Fault injection: bytes exactly as given. `channelOrTopic` is a full topic, a catalogue name (`doorState`), or a
   * channel path under this device's namespace, known or not (`door/state`, `no/such/channel`).
   */
  sendRaw(channelOrTopic: string, bytes: string | Buffer, qos: 0 | 1 = 1): Promise<Sent> {
    let topic: string;
    if (isChannelName(channelOrTopic)) topic = topicFor(channelOrTopic, this.id);
    else if (channelOrTopic.startsWith(`${TOPIC_PREFIX}/`)) topic = channelOrTopic;
    else topic = `${TOPIC_PREFIX}/${this.id}/${channelOrTopic}`;
    return this.send(topic, bytes, qos, false, null);
  }

  /** Resolves when every publish so far has completed, or after `timeoutMs` real ms; true if all completed. */
  settle(timeoutMs = 10_000): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /**
   * Graceful: the retained presence is set to offline first (a clean DISCONNECT suppresses the Will).
   * Abrupt: the socket is dropped and the broker publishes the Will, like a power cut.
   */
  async close(opts: { abrupt?: boolean } = {}): Promise<void> {
    if (opts.abrupt !== true && this.link.connected) {
      // Bounded: the connection may already be gone without the client knowing yet, and no PUBACK would come.
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)));
      await Promise.race([this.send(topicFor('presence', this.id), this.presencePayload('offline'), 1, true, null), gaveUp]);
      clearTimeout(timer);
    }
    // Nobody will answer a closed device: pending access requests end now rather than at their deadline.
    for (const resolve of [...this.replyWaiters.values()]) resolve(null);
    await this.link.close(opts);
  }

  /** Waits for the access reply to `requestId`; a sim-time deadline of replyTimeoutMs real ms × clock speed. */
  protected awaitReply(requestId: string): Promise<AccessReply | null> {
    return new Promise((resolve) => {
      const cancel = this.clock.after(this.replyTimeoutMs * this.clock.speed, () => {
        this.replyWaiters.delete(requestId);
        resolve(null);
      });
      this.replyWaiters.set(requestId, (reply) => {
        cancel();
        this.replyWaiters.delete(requestId);
        resolve(reply);
      });
    });
  }

  /** The device's answer to a command; kinds override it. Results go out as commands/ack. */
  protected async onCommand(cmd: Command): Promise<{ result: 'done' | 'failed' | 'unsupported'; detail?: string }> {
    return { result: 'unsupported', detail: `${cmd.type} is not supported by a ${this.kind}` };
  }

  /** A fresh id, unique for this device across runs (boot nonce + counter): event ids and request ids. */
  nextId(): string {
    return `${this.eventPrefix}-${++this.seq}`;
  }

  private presencePayload(status: 'online' | 'offline'): string {
    return JSON.stringify(Presence.parse({ status, ts: formatTs(this.wallNow()) }));
  }

  private async send(topic: string, payload: string | Buffer, qos: 0 | 1, retain: boolean, eventId: string | null): Promise<Sent> {
    this.counters.sent++;
    this.inFlight++;
    const outcome = await this.link.publish(topic, payload, { qos, retain });
    if (outcome.ok) {
      if (qos === 1) {
        this.counters.acked++;
        this.latency.record(outcome.latencyMs);
      }
    } else {
      this.counters.failed++;
    }
    if (--this.inFlight === 0) for (const done of this.idle.splice(0)) done();
    return { ...outcome, eventId, topic };
  }

  private async onConnect(): Promise<void> {
    this.events.emit('connect');
    if (this.wantsSubscriptions) {
      const topics = channelsFor(this.kind, 'down').map((n) => topicFor(n, this.id));
      const sub = await this.link.subscribe(topics, 1);
      if (!sub.ok) for (const topic of sub.refused) this.events.emit('invalid', { topic, reason: 'subscription refused' });
    }
    await this.send(topicFor('presence', this.id), this.presencePayload('online'), 1, true, null);
  }

  private onMessage(topic: string, bytes: Buffer): void {
    this.counters.received++;
    const received = validateInbound(this.id, topic, bytes);
    if (!received.ok) {
      this.counters.invalid++;
      this.events.emit('invalid', { topic, reason: received.reason });
      return;
    }
    const msg = received.msg;
    this.events.emit('message', msg);
    switch (msg.name) {
      case 'accessReply':
        this.replyWaiters.get(msg.payload.requestId)?.(msg.payload);
        break;
      case 'error':
        this.counters.errors++;
        break;
      case 'command':
        void this.answerCommand(msg.payload);
        break;
      case 'credentialSync':
        this.sync.add(msg.payload);
        break;
    }
  }

  private async answerCommand(cmd: Command): Promise<void> {
    const outcome = await this.onCommand(cmd);
    await this.publish('commandAck', { commandId: cmd.commandId, ...outcome });
  }
}

function isChannelName(name: string): name is keyof typeof catalogue {
  return Object.hasOwn(catalogue, name);
}
