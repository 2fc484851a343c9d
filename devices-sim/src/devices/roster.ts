import type { DeviceKind, PlaceKind } from '@linli/gateway/contracts';
import type { Clock } from '../clock';
import type { Random } from '@linli/gateway/random';
import { LatencyRecorder } from '../stats';
import { AlarmButton } from './alarm-button';
import { FaceTerminal } from './face-terminal';
import { type AnyDevice, createDevice } from './create';
import type { LinkFactory } from './link';
import type { DeviceCounters } from './sim-device';
import { Streetlight } from './streetlight';
import { VehicleGate } from './vehicle-gate';

export interface DeviceSpec {
  id: string;
  kind: DeviceKind;
  secret?: string;
  placeKind?: PlaceKind;
  name?: string;
}

export interface RosterOptions {
  specs: readonly DeviceSpec[];
  link: LinkFactory;
  clock: Clock;
  /** Devices draw their small decisions from random.fork(`device:${id}`), so the roster is as seeded as the plan. */
  random: Random;
  bootNonce?: string;
  replyTimeoutMs?: number;
  /** See SimDeviceOptions.wallClock. */
  wallClock?: () => number;
}

const COUNTERS: readonly (keyof DeviceCounters)[] = ['sent', 'acked', 'failed', 'errors', 'invalid', 'received'];

export type RosterTotals = DeviceCounters & { devices: number; connected: number; latencyMs: ReturnType<LatencyRecorder['summary']> };

/**
 * The community's devices, brought to life on first use: a scenario that needs three devices opens three
 * connections, not four hundred. Connection failure is infrastructure failure here, so it throws.
 */
export class DeviceRoster {
  private readonly byId = new Map<string, DeviceSpec>();
  private readonly live = new Map<string, Promise<AnyDevice>>();
  private readonly started: AnyDevice[] = [];

  constructor(private readonly opts: RosterOptions) {
    for (const s of opts.specs) this.byId.set(s.id, s);
  }

  /** Specs in id order, filtered: stable input for seeded picks. */
  specs(filter: { kind?: DeviceKind; placeKind?: PlaceKind } = {}): DeviceSpec[] {
    return [...this.byId.values()]
      .filter((s) => (filter.kind === undefined || s.kind === filter.kind) && (filter.placeKind === undefined || s.placeKind === filter.placeKind))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): Promise<AnyDevice> {
    const existing = this.live.get(id);
    if (existing) return existing;
    const spec = this.byId.get(id);
    if (!spec) return Promise.reject(new Error(`no device ${id} in the secrets file`));
    const started = this.start(spec);
    this.live.set(id, started);
    return started;
  }

  async faceTerminal(id: string): Promise<FaceTerminal> {
    const d = await this.get(id);
    if (d instanceof FaceTerminal) return d;
    throw new Error(`${id} is a ${d.kind}, not a face_terminal`);
  }

  async vehicleGate(id: string): Promise<VehicleGate> {
    const d = await this.get(id);
    if (d instanceof VehicleGate) return d;
    throw new Error(`${id} is a ${d.kind}, not a vehicle_gate`);
  }

  async streetlight(id: string): Promise<Streetlight> {
    const d = await this.get(id);
    if (d instanceof Streetlight) return d;
    throw new Error(`${id} is a ${d.kind}, not a streetlight`);
  }

  async alarm(id: string): Promise<AlarmButton> {
    const d = await this.get(id);
    if (d instanceof AlarmButton) return d;
    throw new Error(`${id} is a ${d.kind}, not an alarm button`);
  }

  /** Devices started so far, in the order they were started. */
  all(): readonly AnyDevice[] {
    return this.started;
  }

  totals(): RosterTotals {
    const latency = new LatencyRecorder();
    const t: DeviceCounters = { sent: 0, acked: 0, failed: 0, errors: 0, invalid: 0, received: 0 };
    for (const d of this.started) {
      for (const k of COUNTERS) t[k] += d.counters[k];
      latency.merge(d.latency);
    }
    return { ...t, devices: this.started.length, connected: this.started.filter((d) => d.connected).length, latencyMs: latency.summary() };
  }

  /** Waits for every started device's publishes to complete; true if all did within `timeoutMs`. */
  async settle(timeoutMs = 10_000): Promise<boolean> {
    const all = await Promise.all(this.started.map((d) => d.settle(timeoutMs)));
    return all.every(Boolean);
  }

  async close(): Promise<void> {
    await Promise.all(this.started.map((d) => d.close()));
  }

  private async start(spec: DeviceSpec): Promise<AnyDevice> {
    const device = createDevice({
      id: spec.id,
      kind: spec.kind,
      link: this.opts.link,
      clock: this.opts.clock,
      random: this.opts.random.fork(`device:${spec.id}`),
      ...(spec.secret !== undefined ? { secret: spec.secret } : {}),
      ...(this.opts.bootNonce !== undefined ? { bootNonce: this.opts.bootNonce } : {}),
      ...(this.opts.replyTimeoutMs !== undefined ? { replyTimeoutMs: this.opts.replyTimeoutMs } : {}),
      ...(this.opts.wallClock !== undefined ? { wallClock: this.opts.wallClock } : {}),
    });
    this.started.push(device);
    const outcome = await device.start();
    if (!outcome.ok) throw new Error(`${spec.id} could not connect: ${outcome.reason}`);
    return device;
  }
}
