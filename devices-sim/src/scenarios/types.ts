import type { Clock } from '../clock';
import type { DeviceRoster, DeviceSpec } from '../devices';
import type { Log } from '../log';
import type { Population } from '../population';
import type { Random } from '@linli/gateway/random';

export interface ScenarioParam {
  description: string;
  required?: boolean;
  default?: string;
}

export interface ScenarioContext {
  devices: DeviceRoster;
  clock: Clock;
  /** The scenario's own seeded stream: the same seed replays the same steps at the same sim times. */
  random: Random;
  log: Log;
  population: Population;
  /** Parameter values (defaults applied), validated against the scenario's `params`. */
  params: Readonly<Record<string, string>>;
}

/** What a scenario reports back: a few facts about what it did, for the CLI and for assertions. */
export type ScenarioResult = Record<string, string | number | boolean | null>;

export interface Scenario {
  name: string;
  description: string;
  params: Readonly<Record<string, ScenarioParam>>;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

export const defineScenario = (s: Scenario): Scenario => s;

/** A device named by a parameter, or one picked by the scenario's seed from those that fit. */
export function chooseDevice(ctx: ScenarioContext, param: string, candidates: readonly DeviceSpec[], what: string): string {
  const named = ctx.params[param];
  if (named !== undefined && named !== '') {
    if (!ctx.devices.has(named)) throw new Error(`--${param} ${named}: no such device in the secrets file`);
    return named;
  }
  if (candidates.length === 0) throw new Error(`the secrets file has no ${what}`);
  return ctx.random.pick(candidates).id;
}
