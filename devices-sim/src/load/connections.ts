import { type DeviceKind, channelsFor } from '@linli/gateway/contracts';
import { AcceleratedClock } from '../clock';
import { type EventChannel, MqttLink, type PublishOutcome, createDevice, mqttLinks, publishSample } from '../devices';
import type { Random } from '@linli/gateway/random';
import { LatencyRecorder } from '../stats';

/** One load connection: something that can send its next message and say how that went. */
export interface LoadConnection {
  readonly id: string;
  open(): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** False when the mix has nothing this connection may send (a streetlight asked for door events). */
  readonly canSend: boolean;
  send(): Promise<PublishOutcome>;
  gatewayErrors(): number;
  close(): Promise<void>;
}

export interface LinkTuning {
  url: string;
  connectTimeoutMs: number;
}

/** A seeded device (Will, presence, subscriptions) sending contract-valid events drawn from the mix. */
export function deviceConnection(
  spec: { id: string; kind: DeviceKind; secret?: string },
  mix: readonly (readonly [EventChannel, number])[],
  qos: 0 | 1,
  rng: Random,
  tuning: LinkTuning,
): LoadConnection {
  const allowed = new Set(channelsFor(spec.kind, 'up'));
  const eligible = mix.filter(([name, w]) => w > 0 && allowed.has(name));
  const device = createDevice({
    id: spec.id,
    kind: spec.kind,
    ...(spec.secret !== undefined ? { secret: spec.secret } : {}),
    link: mqttLinks({ url: tuning.url, connectTimeoutMs: tuning.connectTimeoutMs }),
    clock: new AcceleratedClock(),
    random: rng,
  });
  return {
    id: spec.id,
    canSend: eligible.length > 0,
    open: () => device.start(),
    send: () => publishSample(device, rng.weighted(eligible), rng, qos),
    gatewayErrors: () => device.counters.errors,
    close: () => device.close(),
  };
}

export interface BareOptions {
  topic: string;
  clientId: string;
  username?: string;
  password?: string;
  payloadBytes: number;
  qos: 0 | 1;
}

/** Wall-clock ms shared by publisher and subscriber in one process (monotonic, sub-millisecond). */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/**
 * A plain MQTT publisher for a bare broker (Mosquitto): arbitrary topic, optional credentials, no Will. The payload
 * carries its send time so the subscriber in the same process can measure publish → delivery.
 */
export function bareConnection(opts: BareOptions, tuning: LinkTuning): LoadConnection {
  const link = new MqttLink(
    { clientId: opts.clientId, ...(opts.username !== undefined ? { username: opts.username } : {}), ...(opts.password !== undefined ? { password: opts.password } : {}) },
    { url: tuning.url, connectTimeoutMs: tuning.connectTimeoutMs },
  );
  let seq = 0;
  return {
    id: opts.clientId,
    canSend: true,
    open: () => link.open(),
    send: () => link.publish(opts.topic, barePayload(++seq, opts.payloadBytes), { qos: opts.qos, retain: false }),
    gatewayErrors: () => 0,
    close: () => link.close(),
  };
}

export function barePayload(seq: number, bytes: number): string {
  const head = `{"seq":${seq},"t":${wallNow().toFixed(3)},"pad":"`;
  return `${head}${'x'.repeat(Math.max(0, bytes - head.length - 2))}"}`;
}

/** Counts what arrives on the bare topics and how long after publishing it arrived. */
export class BareSubscriber {
  delivered = 0;
  readonly latency = new LatencyRecorder();
  private readonly link: MqttLink;

  constructor(
    private readonly filter: string,
    private readonly qos: 0 | 1,
    identity: { clientId: string; username?: string; password?: string },
    tuning: LinkTuning,
  ) {
    this.link = new MqttLink(identity, { url: tuning.url, connectTimeoutMs: tuning.connectTimeoutMs });
    this.link.events.on('message', (_topic, payload) => {
      this.delivered++;
      const t = /"t":([0-9.]+)/.exec(payload.toString('utf8', 0, 64))?.[1];
      if (t !== undefined) this.latency.record(wallNow() - Number(t));
    });
  }

  async open(): Promise<{ ok: true } | { ok: false; reason: string }> {
    const opened = await this.link.open();
    if (!opened.ok) return opened;
    const sub = await this.link.subscribe([this.filter], this.qos);
    return sub.ok ? { ok: true } : { ok: false, reason: `subscription to ${this.filter} refused` };
  }

  close(): Promise<void> {
    return this.link.close();
  }
}
