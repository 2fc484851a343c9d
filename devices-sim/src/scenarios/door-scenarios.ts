import { granted } from '../devices';
import type { AccessOutcome } from '../devices';
import { defineScenario, chooseDevice } from './types';

const describe = (o: AccessOutcome): string => (o.ok ? `${o.reply.decision}:${o.reply.reason}` : o.reason);

/** The device half of a pre-authorised visit; the gateway decides on the pass (access-control, issue 5). */
export const visitorWithPass = defineScenario({
  name: 'visitor-with-pass',
  description: 'A visitor shows a QR pass at the main gate, walks over, shows it again at a unit door; each door opens and closes on a grant.',
  params: {
    pass: { description: 'the pass code the resident was given (sent as the QR credential)', required: true },
    door: { description: 'unit door terminal id (default: one picked by the seed)' },
    gate: { description: 'main gate terminal id (default: the main gate)' },
  },
  async run(ctx) {
    const gateId = chooseDevice(ctx, 'gate', ctx.devices.specs({ kind: 'face_terminal', placeKind: 'main_gate' }), 'main gate terminal');
    const doorId = chooseDevice(ctx, 'door', ctx.devices.specs({ kind: 'face_terminal', placeKind: 'unit_door' }), 'unit door terminal');
    const pass = ctx.params.pass ?? '';
    const credential = { type: 'qr' as const, value: pass };
    const walkMs = ctx.random.between(60, 180) * 1000;

    const gate = await ctx.devices.faceTerminal(gateId);
    const atGate = await gate.walkThrough(credential, 'in');
    ctx.log.info({ deviceId: gateId, requestId: atGate.requestId, outcome: describe(atGate) }, 'visitor at the main gate');
    if (!granted(atGate)) return { gate: describe(atGate), door: null, doorId };

    await ctx.clock.sleep(walkMs);
    const door = await ctx.devices.faceTerminal(doorId);
    const atDoor = await door.walkThrough(credential, 'in');
    ctx.log.info({ deviceId: doorId, requestId: atDoor.requestId, outcome: describe(atDoor) }, 'visitor at the unit door');
    return { gate: describe(atGate), door: describe(atDoor), doorId };
  },
});

export const forcedEntryNight = defineScenario({
  name: 'forced-entry-night',
  description:
    'A unit door opens with cause "unknown" and no access request before it, stays open, then closes (擅自闯入). Run with --start at night, e.g. 2025-03-01T02:10:00+08:00.',
  params: {
    door: { description: 'unit door terminal id (default: one picked by the seed)' },
    hold: { description: 'seconds the door stays open', default: '45' },
  },
  async run(ctx) {
    const doorId = chooseDevice(ctx, 'door', ctx.devices.specs({ kind: 'face_terminal', placeKind: 'unit_door' }), 'unit door terminal');
    const holdSec = Number(ctx.params.hold ?? '45');
    if (!Number.isFinite(holdSec) || holdSec < 0) throw new Error(`--hold must be a number of seconds, got ${ctx.params.hold}`);
    const door = await ctx.devices.faceTerminal(doorId);
    ctx.log.info({ deviceId: doorId, holdSec }, 'door forced open');
    await door.openFor(holdSec * 1000, 'unknown');
    return { doorId, holdSec };
  },
});
