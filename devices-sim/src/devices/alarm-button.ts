import type { DeviceKind } from '@linli/gateway/contracts';
import { type Sent, SimDevice, type SimDeviceOptions } from './sim-device';

export type AlarmKind = Extract<DeviceKind, 'indoor_alarm' | 'outdoor_alarm'>;

/** A one-key alarm (一键报警): a button in a flat (indoor) or on a post by the road (outdoor). */
export class AlarmButton extends SimDevice {
  private batteryPct = 100;

  constructor(opts: Omit<SimDeviceOptions, 'kind'> & { kind: AlarmKind }) {
    super(opts);
  }

  get battery(): number {
    return this.batteryPct;
  }

  press(): Promise<Sent> {
    return this.publish('alarmPress', {});
  }

  /** GB 50394: the alarm stays latched; a cancel only records that the resident asked (a guard resets it). */
  cancel(): Promise<Sent> {
    return this.publish('alarmCancel', {});
  }

  lowBattery(percent: number): Promise<Sent> {
    this.batteryPct = Math.max(0, Math.min(100, Math.round(percent)));
    return this.publish('lowBattery', { percent: this.batteryPct });
  }
}
