import type { UpChannel } from '../contracts';
import type { DeviceIdentity } from './acl';

export type DeviceAuthResult =
  | { ok: true; device: DeviceIdentity }
  | { ok: false; reason: 'unknown_device' | 'disabled' | 'bad_secret' };

export type IngestOutcome =
  /** Stored (or recognised as a retransmission): the broker may acknowledge. */
  | { ok: true }
  /** Refused with an answer already sent on the device's error topic; still acknowledged so the device moves on. */
  | { ok: false; answered: true };

/**
 * What the broker needs from the rest of the gateway. The broker never imports db/ or ingest/: app.ts wires
 * these ports, so the broker can be tested with any implementation and read on its own.
 */
export interface BrokerPorts {
  authenticate(deviceId: string, secret: string): Promise<DeviceAuthResult>;
  /**
   * Called inside authorizePublish, before Aedes writes the PUBACK: resolve only once the message is durable.
   * Rejecting means the infrastructure failed: the broker then drops the connection without acknowledging, and the
   * device retransmits after reconnecting. `dup`: the packet's DUP flag (the device says it may have sent it before).
   */
  ingest(device: DeviceIdentity, name: UpChannel, topic: string, payload: Buffer, qos: number, dup: boolean): Promise<IngestOutcome>;
  /** A publish inside the device's own namespace on a channel that does not exist. */
  unknownChannel(device: DeviceIdentity, topic: string, payload: Buffer): void;
  connected(device: DeviceIdentity): void;
  disconnected(device: DeviceIdentity, cause: 'closed' | 'keepalive_timeout' | 'taken_over'): void;
}
