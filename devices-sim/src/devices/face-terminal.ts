import { createHmac } from 'node:crypto';
import { normaliseCard } from '@linli/gateway/contracts/card';
import type { AccessReply, AccessRequest, Command, CredentialType, DoorState, OfflineDecision, SyncEntry, Tamper } from '@linli/gateway/contracts';
import type { Clock } from '../clock';
import { formatTs } from '../time';
import { type AccessOutcome, granted, uploadOfflineLog } from './access';
import type { CredentialStore } from './inbound';
import { type Sent, SimDevice, type SimDeviceOptions } from './sim-device';

/** How long a door granted by a person stays open: the time to walk through a door that closes on a spring. */
const WALK_THROUGH_MS = 4_000;
/** A remote "open" from the guard room holds the lock released about as long. */
const REMOTE_OPEN_MS = 5_000;

export interface OfflineOptions {
  /**
   * The community's credential key, provisioned at installation like the device secret: card numbers, PINs and pass
   * codes are matched against the synced set as HMAC-SHA256(key, "type\0value"). Without it only faces and plates
   * can be recognised offline.
   */
  credentialKey?: string;
  /** Real ms without a reply (× clock speed) before the door decides on its own. Default 3,000. */
  offlineAfterMs?: number;
}

/**
 * What a door does when the gateway cannot be reached: decide from the last synced credential set (only what this
 * door may admit is in it), keep counting a visitor's entries locally, remember every decision, and upload them
 * after reconnecting so the gateway records them with their original times.
 */
export class OfflineDoor {
  private readonly decisions: OfflineDecision[] = [];
  private readonly used = new Map<string, number>();
  private usedFor: string | null = null;

  constructor(
    private readonly store: CredentialStore,
    private readonly credentialKey: string | undefined,
  ) {}

  /** Decisions made alone and not yet uploaded. */
  get pending(): readonly OfflineDecision[] {
    return this.decisions;
  }

  decide(requestId: string, type: CredentialType, value: string, direction: 'in' | 'out', nowMs: number): AccessReply {
    // A new set from the gateway already counts what was uploaded; local counts start again from it.
    if (this.store.syncId !== this.usedFor) {
      this.used.clear();
      this.usedFor = this.store.syncId;
    }
    const entry = this.match(type, value);
    const verdict = ((): { decision: 'grant' | 'deny'; reason: AccessReply['reason'] } => {
      if (!entry) return { decision: 'deny', reason: 'unknown_credential' };
      const kind = entry.passId !== undefined ? 'visitor_pass' : 'resident';
      if (direction === 'out' || entry.passId === undefined) return { decision: 'grant', reason: kind };
      if ((entry.validFrom !== undefined && nowMs < Date.parse(entry.validFrom)) || (entry.validUntil !== undefined && nowMs >= Date.parse(entry.validUntil))) {
        return { decision: 'deny', reason: 'outside_window' };
      }
      const used = this.used.get(entry.passId) ?? 0;
      if (used >= (entry.entriesLeft ?? 0)) return { decision: 'deny', reason: 'entries_used' };
      this.used.set(entry.passId, used + 1);
      return { decision: 'grant', reason: kind };
    })();
    const ts = formatTs(nowMs);
    this.decisions.push({
      requestId,
      ts,
      direction,
      credentialType: type,
      ...verdict,
      ...(entry?.residentId !== undefined ? { residentId: entry.residentId } : {}),
      ...(entry?.passId !== undefined ? { passId: entry.passId } : {}),
    });
    return { requestId, ...verdict, ...(entry ? { displayName: entry.displayName } : {}), ts };
  }

  /** Uploads what is pending (after reconnecting); what was acknowledged is forgotten. */
  async upload(device: SimDevice): Promise<void> {
    const batch = this.decisions.slice();
    if (batch.length === 0) return;
    const sent = await uploadOfflineLog(device, batch);
    if (sent.every((s) => s.ok)) this.decisions.splice(0, batch.length);
  }

  private match(type: CredentialType, value: string): SyncEntry | undefined {
    const hash = (t: string, v: string) => (this.credentialKey === undefined ? null : createHmac('sha256', this.credentialKey).update(`${t}\0${v}`).digest('base64url'));
    const find = (t: SyncEntry['type'], m: string | null) => (m === null ? undefined : this.store.entries.find((e) => e.type === t && e.match === m));
    switch (type) {
      case 'face':
      case 'plate':
        return find(type, value);
      case 'card':
        // The gateway hashes a card in its normal form; so does the door's offline check.
        return find('card', hash('card', normaliseCard(value)));
      case 'pin':
        return find('pin', hash('pin', value)) ?? find('pass', hash('pass', value));
      case 'qr': {
        // LINLI1:<code>:<signature>; the signature protects the online check, the code's hash is what is synced.
        const code = /^LINLI1:(\d{10}):[\w-]+$/.exec(value)?.[1];
        return code === undefined ? undefined : find('pass', hash('pass', code));
      }
    }
  }
}

/** The promise's value, or null once `simMs` have passed on the clock (the deadline is cancelled when it settles). */
export function withDeadline<T>(clock: Clock, simMs: number, p: Promise<T>): Promise<T | null> {
  return new Promise((resolve) => {
    const cancel = clock.after(simMs, () => resolve(null));
    void p.then((v) => {
      cancel();
      resolve(v);
    });
  });
}

/** A face-recognition door terminal (main gate or unit door): asks the gateway, then reports what the door did. */
export class FaceTerminal extends SimDevice {
  /** Decides while the gateway is unreachable (see OfflineDoor). */
  readonly offline: OfflineDoor;
  private readonly offlineAfterMs: number;

  constructor(opts: Omit<SimDeviceOptions, 'kind'> & OfflineOptions) {
    super({ ...opts, kind: 'face_terminal' });
    this.offline = new OfflineDoor(this.sync, opts.credentialKey);
    this.offlineAfterMs = opts.offlineAfterMs ?? 3_000;
    this.events.on('connect', () => void this.offline.upload(this));
  }

  /** Asks the gateway; when it is unreachable (not connected, or no answer in time) the door decides alone. */
  async requestAccess(credential: AccessRequest['credential'], direction: AccessRequest['direction']): Promise<AccessOutcome> {
    const requestId = this.nextId();
    const alone = (): AccessOutcome => ({ ok: true, requestId, reply: this.offline.decide(requestId, credential.type, credential.value, direction, this.clock.nowMs()) });
    // A door that never received a credential set has nothing to decide from: it can only ask.
    if (this.sync.syncId === null) return this.ask(requestId, credential, direction);
    if (!this.connected) return alone();
    const online = await withDeadline(this.clock, this.offlineAfterMs * this.clock.speed, this.ask(requestId, credential, direction));
    return online?.ok === true ? online : alone();
  }

  private async ask(requestId: string, credential: AccessRequest['credential'], direction: AccessRequest['direction']): Promise<AccessOutcome> {
    // Listen before publishing: the reply may overtake the PUBACK.
    const reply = this.awaitReply(requestId);
    const sent = await this.publish('accessRequest', { requestId, credential, direction });
    if (!sent.ok) return { ok: false, requestId, reason: 'not_sent' };
    const r = await reply;
    return r ? { ok: true, requestId, reply: r } : { ok: false, requestId, reason: 'timeout' };
  }

  /** After an outage: what the device decided on its own (see access.ts). */
  uploadOfflineLog(decisions: readonly OfflineDecision[]): Promise<Sent[]> {
    return uploadOfflineLog(this, decisions);
  }

  reportDoor(state: DoorState['state'], cause: DoorState['cause']): Promise<Sent> {
    return this.publish('doorState', { state, cause });
  }

  tamper(kind: Tamper['kind']): Promise<Sent> {
    return this.publish('tamper', { kind });
  }

  /**
   * A person at the door: request, and on a grant the door opens and closes behind them. `holdMs` longer than a
   * walk-through is a door propped or held open (a parcel, a pram, a chat in the doorway).
   */
  async walkThrough(
    credential: AccessRequest['credential'],
    direction: AccessRequest['direction'],
    opts: { holdMs?: number } = {},
  ): Promise<AccessOutcome> {
    const outcome = await this.requestAccess(credential, direction);
    if (granted(outcome)) await this.openFor(opts.holdMs ?? WALK_THROUGH_MS, 'grant');
    return outcome;
  }

  /** The door opens for `holdMs` of sim time, then closes; both states carry `cause`. */
  async openFor(holdMs: number, cause: DoorState['cause']): Promise<void> {
    await this.reportDoor('open', cause);
    await this.clock.sleep(holdMs);
    await this.reportDoor('closed', cause);
  }

  protected override async onCommand(cmd: Command): Promise<{ result: 'done' | 'failed' | 'unsupported'; detail?: string }> {
    switch (cmd.type) {
      case 'open':
        await this.reportDoor('open', 'remote');
        this.clock.after(REMOTE_OPEN_MS, () => void this.reportDoor('closed', 'remote'));
        return { result: 'done' };
      case 'sync_credentials':
        return { result: 'done' };
      case 'set_light':
        return { result: 'unsupported', detail: 'a door terminal has no lamp' };
    }
  }
}
