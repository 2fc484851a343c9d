import type { Command, LightState } from '@linli/gateway/contracts';
import { type Sent, SimDevice, type SimDeviceOptions } from './sim-device';

export type LampFault = NonNullable<LightState['fault']>;

/** What the lamp controller reports; `on` means lit, so a failed lamp that was told to light reports on: false. */
export type LampState = Omit<LightState, 'eventId' | 'ts'>;

const NOMINAL_V = 220;
/** A dark LED driver still draws a little from the mains. */
const STANDBY_W = 0.8;

/**
 * A smart streetlight (智慧路灯). It keeps what it was told (on, brightness) apart from what it does (lit or not,
 * power, voltage), because "told to light but dark" is exactly the fault grid workers report.
 */
export class Streetlight extends SimDevice {
  private wantOn = false;
  private wantBrightness = 0;
  private fault: LampFault | null = null;
  /** Rated power of the luminaire, drawn once per lamp: estates mix 40-100 W LED heads. */
  private readonly ratedW: number;

  constructor(opts: Omit<SimDeviceOptions, 'kind'>) {
    super({ ...opts, kind: 'streetlight' });
    this.ratedW = this.random.pick([40, 60, 60, 80, 100]);
  }

  get state(): LampState {
    const supply = this.fault === 'over_voltage' ? 262 : this.fault === 'under_voltage' ? 176 : NOMINAL_V;
    // Mains wanders a volt or two; rounded as a meter would show it.
    const voltage = Math.round((supply + this.random.normal(0, 1.5)) * 10) / 10;
    const lit = this.wantOn && this.wantBrightness > 0 && !this.dark;
    let powerW = this.fault === 'driver_failure' ? 0 : STANDBY_W;
    if (lit) {
      powerW += this.ratedW * (this.wantBrightness / 100) * (voltage / NOMINAL_V) ** 2;
      if (this.fault === 'leakage') powerW += 15;
    }
    return {
      on: lit,
      brightness: lit ? this.wantBrightness : 0,
      powerW: Math.round(powerW * 10) / 10,
      voltage: Math.max(0, Math.min(400, voltage)),
      fault: this.fault,
    };
  }

  private get dark(): boolean {
    return this.fault === 'lamp_failure' || this.fault === 'driver_failure';
  }

  /** Reports the current state (on change and periodically). */
  report(): Promise<Sent> {
    return this.publish('lightState', this.state);
  }

  /** Photocell or command: switch and dim, then report what the lamp actually does. */
  setLight(on: boolean, brightness = on ? 100 : 0): Promise<Sent> {
    this.wantOn = on;
    this.wantBrightness = Math.max(0, Math.min(100, Math.round(brightness)));
    return this.report();
  }

  fail(fault: LampFault): Promise<Sent> {
    this.fault = fault;
    return this.report();
  }

  repair(): Promise<Sent> {
    this.fault = null;
    return this.report();
  }

  protected override async onCommand(cmd: Command): Promise<{ result: 'done' | 'failed' | 'unsupported'; detail?: string }> {
    switch (cmd.type) {
      case 'set_light': {
        await this.setLight(cmd.on, cmd.brightness);
        const stuckDark = cmd.on && cmd.brightness > 0 && this.dark;
        return stuckDark ? { result: 'failed', detail: `lamp cannot light: ${this.fault ?? 'unknown fault'}` } : { result: 'done' };
      }
      case 'open':
      case 'sync_credentials':
        return { result: 'unsupported', detail: `a streetlight does not ${cmd.type}` };
    }
  }
}
