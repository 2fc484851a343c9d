import type { BarrierState, Command, OfflineDecision, PlateRead } from '@linli/gateway/contracts';
import { type AccessOutcome, granted, uploadOfflineLog } from './access';
import { OfflineDoor, type OfflineOptions, withDeadline } from './face-terminal';
import { type Sent, SimDevice, type SimDeviceOptions } from './sim-device';

/** A car clears the barrier arm in a few seconds; the loop detector then lowers it. */
const DRIVE_THROUGH_MS = 8_000;
const REMOTE_RAISE_MS = 10_000;

/** The vehicle gate: plate camera + barrier. Asks the gateway about a plate, raises the barrier on a grant. */
export class VehicleGate extends SimDevice {
  /** Decides from the synced plates while the gateway is unreachable (see OfflineDoor). */
  readonly offline: OfflineDoor;
  private readonly offlineAfterMs: number;

  constructor(opts: Omit<SimDeviceOptions, 'kind'> & OfflineOptions) {
    super({ ...opts, kind: 'vehicle_gate' });
    this.offline = new OfflineDoor(this.sync, opts.credentialKey);
    this.offlineAfterMs = opts.offlineAfterMs ?? 3_000;
    this.events.on('connect', () => void this.offline.upload(this));
  }

  /** Asks the gateway; when it is unreachable the gate decides from its synced plates. */
  async readPlate(plate: string, lane: PlateRead['lane'], confidence = 0.97): Promise<AccessOutcome> {
    const requestId = this.nextId();
    const alone = (): AccessOutcome => ({ ok: true, requestId, reply: this.offline.decide(requestId, 'plate', plate, lane, this.clock.nowMs()) });
    // A door that never received a credential set has nothing to decide from: it can only ask.
    if (this.sync.syncId === null) return this.ask(requestId, plate, lane, confidence);
    if (!this.connected) return alone();
    const online = await withDeadline(this.clock, this.offlineAfterMs * this.clock.speed, this.ask(requestId, plate, lane, confidence));
    return online?.ok === true ? online : alone();
  }

  private async ask(requestId: string, plate: string, lane: PlateRead['lane'], confidence: number): Promise<AccessOutcome> {
    const reply = this.awaitReply(requestId);
    const sent = await this.publish('plateRead', { requestId, plate, lane, confidence: Math.round(confidence * 1000) / 1000 });
    if (!sent.ok) return { ok: false, requestId, reason: 'not_sent' };
    const r = await reply;
    return r ? { ok: true, requestId, reply: r } : { ok: false, requestId, reason: 'timeout' };
  }

  /** After an outage: what the device decided on its own (see access.ts). */
  uploadOfflineLog(decisions: readonly OfflineDecision[]): Promise<Sent[]> {
    return uploadOfflineLog(this, decisions);
  }

  barrier(state: BarrierState['state'], cause: BarrierState['cause'] = 'grant'): Promise<Sent> {
    return this.publish('barrierState', { state, cause });
  }

  /** A car arrives: plate read, and on a grant the barrier rises and falls behind it. */
  async drive(plate: string, lane: PlateRead['lane'], confidence = 0.97): Promise<AccessOutcome> {
    const outcome = await this.readPlate(plate, lane, confidence);
    if (granted(outcome)) {
      await this.barrier('raised', 'grant');
      await this.clock.sleep(DRIVE_THROUGH_MS);
      await this.barrier('lowered', 'grant');
    }
    return outcome;
  }

  protected override async onCommand(cmd: Command): Promise<{ result: 'done' | 'failed' | 'unsupported'; detail?: string }> {
    switch (cmd.type) {
      case 'open':
        await this.barrier('raised', 'remote');
        this.clock.after(REMOTE_RAISE_MS, () => void this.barrier('lowered', 'remote'));
        return { result: 'done' };
      case 'sync_credentials':
        return { result: 'done' };
      case 'set_light':
        return { result: 'unsupported', detail: 'a vehicle gate has no lamp' };
    }
  }
}
