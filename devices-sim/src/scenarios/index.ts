import { elderlyAlarm, lampFailureAfterDusk } from './alarm-lamp-scenarios';
import { forcedEntryNight, visitorWithPass } from './door-scenarios';
import { gatewayRestartRush, malformedFlood } from './stress-scenarios';
import type { Scenario, ScenarioContext, ScenarioResult } from './types';

export * from './types';

export const scenarios: readonly Scenario[] = [visitorWithPass, forcedEntryNight, elderlyAlarm, lampFailureAfterDusk, gatewayRestartRush, malformedFlood];

export function findScenario(name: string): Scenario | undefined {
  return scenarios.find((s) => s.name === name);
}

export type ParamCheck = { ok: true; params: Record<string, string> } | { ok: false; message: string };

/** Applies defaults and refuses missing or unknown parameters, so a typo is an error rather than a silent default. */
export function resolveParams(scenario: Scenario, given: Readonly<Record<string, string | undefined>>): ParamCheck {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(scenario.params, key)) return { ok: false, message: `scenario ${scenario.name} has no --${key} option` };
    params[key] = value;
  }
  for (const [key, spec] of Object.entries(scenario.params)) {
    if (params[key] !== undefined) continue;
    if (spec.default !== undefined) params[key] = spec.default;
    else if (spec.required === true) return { ok: false, message: `scenario ${scenario.name} needs --${key} (${spec.description})` };
  }
  return { ok: true, params };
}

/** Runs a scenario and then waits for its devices' outstanding publishes (real time, up to `settleMs`). */
export async function runScenario(scenario: Scenario, ctx: ScenarioContext, settleMs = 10_000): Promise<ScenarioResult> {
  ctx.log.info({ scenario: scenario.name }, 'scenario started');
  const result = await scenario.run(ctx);
  await ctx.devices.settle(settleMs);
  ctx.log.info({ scenario: scenario.name, ...result }, 'scenario finished');
  return result;
}
