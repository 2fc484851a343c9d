import type { DeviceKind } from '@linli/gateway/contracts';
import { AlarmButton } from './alarm-button';
import { FaceTerminal } from './face-terminal';
import type { SimDeviceOptions } from './sim-device';
import { Streetlight } from './streetlight';
import { VehicleGate } from './vehicle-gate';

export type AnyDevice = FaceTerminal | VehicleGate | Streetlight | AlarmButton;

/** The device class for a kind, so a roster of mixed kinds is built from (id, kind, secret) rows alone. */
export function createDevice(opts: SimDeviceOptions): AnyDevice {
  const kind: DeviceKind = opts.kind;
  switch (kind) {
    case 'face_terminal':
      return new FaceTerminal(opts);
    case 'vehicle_gate':
      return new VehicleGate(opts);
    case 'streetlight':
      return new Streetlight(opts);
    case 'indoor_alarm':
    case 'outdoor_alarm':
      return new AlarmButton({ ...opts, kind });
  }
}
