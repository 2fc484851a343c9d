import { defineScenario, chooseDevice } from './types';

/**
 * 七彩图: an alarm from an elderly person living alone matters most. The secrets file carries no household tags, so
 * without --device the scenario picks an indoor alarm in a household with a single resident (the seed gives every
 * elderly_alone flat an indoor alarm, and such a flat has one resident).
 */
export const elderlyAlarm = defineScenario({
  name: 'elderly-alarm',
  description: 'An elderly resident living alone presses the indoor one-key alarm, and presses again when nobody has come.',
  params: {
    device: { description: 'indoor_alarm device id (default: one in a single-resident household, picked by the seed)' },
    presses: { description: 'how many times the button is pressed', default: '2' },
    interval: { description: 'seconds between presses', default: '45' },
  },
  async run(ctx) {
    const indoor = ctx.devices.specs({ kind: 'indoor_alarm' });
    const alone = indoor.filter((s) => (ctx.population.households.get(s.id.replace(/^alarm-in-/, ''))?.length ?? 0) === 1);
    const id = chooseDevice(ctx, 'device', alone.length > 0 ? alone : indoor, 'indoor alarm');
    const presses = Number(ctx.params.presses ?? '2');
    const intervalSec = Number(ctx.params.interval ?? '45');
    if (!Number.isInteger(presses) || presses < 1) throw new Error(`--presses must be a positive integer, got ${ctx.params.presses}`);
    if (!Number.isFinite(intervalSec) || intervalSec < 0) throw new Error(`--interval must be seconds, got ${ctx.params.interval}`);
    const alarm = await ctx.devices.alarm(id);
    for (let i = 0; i < presses; i++) {
      if (i > 0) await ctx.clock.sleep(intervalSec * 1000);
      const sent = await alarm.press();
      ctx.log.info({ deviceId: id, eventId: sent.eventId, acked: sent.ok }, 'alarm pressed');
    }
    return { deviceId: id, presses, singleResident: alone.some((s) => s.id === id) };
  },
});

/** "A community lamp is not lit": the lamp comes on at dusk, then its lamp fails while it should be lit. */
export const lampFailureAfterDusk = defineScenario({
  name: 'lamp-failure-after-dusk',
  description: 'A streetlight switches on at dusk, reports lit; some minutes later the lamp fails (on: false, fault lamp_failure) and it reports again.',
  params: {
    device: { description: 'streetlight device id (default: one picked by the seed)' },
    after: { description: 'minutes between switching on and the failure', default: '20' },
    fault: { description: 'lamp_failure | driver_failure | over_voltage | under_voltage | leakage', default: 'lamp_failure' },
  },
  async run(ctx) {
    const id = chooseDevice(ctx, 'device', ctx.devices.specs({ kind: 'streetlight' }), 'streetlight');
    const afterMin = Number(ctx.params.after ?? '20');
    if (!Number.isFinite(afterMin) || afterMin < 0) throw new Error(`--after must be minutes, got ${ctx.params.after}`);
    const fault = FAULTS.find((f) => f === ctx.params.fault);
    if (fault === undefined) throw new Error(`--fault must be one of ${FAULTS.join(', ')}, got ${ctx.params.fault}`);
    const lamp = await ctx.devices.streetlight(id);
    await lamp.setLight(true, 100);
    ctx.log.info({ deviceId: id }, 'lamp on at dusk');
    await ctx.clock.sleep(afterMin * 60_000);
    await lamp.fail(fault);
    ctx.log.info({ deviceId: id, fault }, 'lamp failed');
    // The controller's next periodic report still says dark: the fault is a state, not a one-off event.
    await ctx.clock.sleep(5 * 60_000);
    await lamp.report();
    return { deviceId: id, fault, lit: lamp.state.on };
  },
});

const FAULTS = ['lamp_failure', 'driver_failure', 'over_voltage', 'under_voltage', 'leakage'] as const;
