import { EventEmitter } from 'node:events';
import type { Clock } from '../clock';
import type { ConnectOutcome, DeviceLink, LinkEvents, LinkFactory, LinkIdentity, PublishOutcome, SubscribeOutcome } from './link';

/** One message a device handed to its link, stamped with the sim time it was sent at. */
export interface SentRecord {
  atMs: number;
  clientId: string;
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
}

/**
 * A broker stand-in that records instead of sending. Every link it creates is connected at once and every QoS 1
 * publish is "acknowledged" on the next microtask, so a ManualClock run is a pure function of the seed. `onRecord`
 * lets a test play the gateway (answer an access request, send a command) through the device's real receive path.
 */
export class Recorder {
  readonly records: SentRecord[] = [];
  private readonly links = new Map<string, RecordingLink>();
  onRecord: ((record: SentRecord, recorder: Recorder) => void) | undefined;

  constructor(private readonly clock: Clock) {}

  readonly factory: LinkFactory = (identity) => {
    const link = new RecordingLink(identity, this.clock, this);
    if (identity.clientId !== undefined) this.links.set(identity.clientId, link);
    return link;
  };

  /** Delivers a message to the connected device whose client id is `clientId`, as if the broker forwarded it. */
  deliver(clientId: string, topic: string, payload: string | Buffer): boolean {
    const link = this.links.get(clientId);
    if (!link?.connected) return false;
    link.events.emit('message', topic, Buffer.isBuffer(payload) ? payload : Buffer.from(payload));
    return true;
  }

  /** Wills of links closed abruptly are "published" by the broker, so they are recorded too. */
  record(r: SentRecord): void {
    this.records.push(r);
    this.onRecord?.(r, this);
  }
}

export class RecordingLink implements DeviceLink {
  readonly events = new EventEmitter<LinkEvents>();
  private isOpen = false;

  constructor(
    private readonly identity: LinkIdentity,
    private readonly clock: Clock,
    private readonly recorder: Recorder,
  ) {}

  get connected(): boolean {
    return this.isOpen;
  }

  async open(): Promise<ConnectOutcome> {
    this.isOpen = true;
    this.events.emit('connect');
    return { ok: true };
  }

  async publish(topic: string, payload: string | Buffer, opts: { qos: 0 | 1; retain: boolean }): Promise<PublishOutcome> {
    if (!this.isOpen) return { ok: false, reason: 'not connected' };
    this.recorder.record({
      atMs: this.clock.nowMs(),
      clientId: this.identity.clientId ?? '',
      topic,
      payload: Buffer.isBuffer(payload) ? payload.toString('utf8') : payload,
      qos: opts.qos,
      retain: opts.retain,
    });
    return { ok: true, latencyMs: 0 };
  }

  async subscribe(_topics: readonly string[], _qos: 0 | 1): Promise<SubscribeOutcome> {
    return { ok: true };
  }

  async close(opts: { abrupt?: boolean } = {}): Promise<void> {
    if (!this.isOpen) return;
    this.isOpen = false;
    const will = this.identity.will?.();
    if (opts.abrupt === true && will) {
      this.recorder.record({ atMs: this.clock.nowMs(), clientId: this.identity.clientId ?? '', ...will });
    }
    this.events.emit('close');
  }
}
