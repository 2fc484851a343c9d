import type { DeviceKind } from '@linli/gateway/contracts';
import type { Random } from '@linli/gateway/random';
import type { Clock } from './clock';
import { type CommunityRates, type Passage, type Profile, profileOf, residentDay, visitorArrivals } from './community-routines';
import { AlarmButton, type AccessOutcome, type AnyDevice, type DeviceRoster, FaceTerminal, Streetlight, VehicleGate, granted } from './devices';
import type { Log } from './log';
import { type Population, type SimResident, unitDoorOf } from './population';
import { DAY, HOUR, duskDawn, formatTs } from './time';
import type { CommunityCounts } from './community';

const LAMP_FAULTS = [['lamp_failure', 6], ['driver_failure', 2], ['under_voltage', 1], ['leakage', 0.5], ['over_voltage', 0.5]] as const;
const TAMPER_KINDS = ['case_open', 'camera_blocked', 'moved', 'wire_cut'] as const;

/**
 * One run of the community: its devices, the gates everyone passes, each resident's profile, the counts, and `at`,
 * which puts an action on the clock's agenda inside the run's window. The day planners below read only this.
 */
export interface Stage {
  population: Population;
  clock: Clock;
  random: Random;
  rates: CommunityRates;
  counts: CommunityCounts;
  devices: Map<string, AnyDevice>;
  endMs: number;
  at(t: number, what: string, fn: () => Promise<unknown>): void;
  started(kind: DeviceKind): AnyDevice[];
  mainGate: FaceTerminal | undefined;
  vehicleGate: VehicleGate | undefined;
  unitDoorIds: string[];
  unitDoor(label: string): FaceTerminal | undefined;
  labels: string[];
  profiles: Map<string, Profile>;
  /** Counts an access outcome; true when the door opened. */
  tally(o: AccessOutcome): boolean;
}

/** The device `id` if it was started and is of `cls`. */
export function deviceOf<T extends AnyDevice>(devices: Map<string, AnyDevice>, cls: abstract new (...a: never[]) => T, id: string | undefined): T | undefined {
  const d = id === undefined ? undefined : devices.get(id);
  return d instanceof cls ? d : undefined;
}

export function createStage(
  base: { population: Population; roster: DeviceRoster; clock: Clock; random: Random; rates: CommunityRates; log: Log },
  devices: Map<string, AnyDevice>,
  counts: CommunityCounts,
  window: { startMs: number; endMs: number },
): Stage {
  const { population, roster, clock, random, rates, log } = base;
  const { startMs, endMs } = window;
  const unitDoorIds = roster.specs({ kind: 'face_terminal', placeKind: 'unit_door' }).map((s) => s.id);
  return {
    population,
    clock,
    random,
    rates,
    counts,
    devices,
    endMs,
    at(t, what, fn) {
      if (t < startMs || t >= endMs) return;
      clock.at(t, () => {
        // One failed action is counted and logged; the community goes on.
        fn().catch((err: unknown) => {
          counts.actionErrors++;
          log.error({ err: err instanceof Error ? err.message : String(err), what }, 'community action failed');
        });
      });
    },
    started: (kind) => [...devices.values()].filter((d) => d.kind === kind),
    mainGate: deviceOf(devices, FaceTerminal, roster.specs({ kind: 'face_terminal', placeKind: 'main_gate' })[0]?.id),
    vehicleGate: deviceOf(devices, VehicleGate, roster.specs({ kind: 'vehicle_gate' })[0]?.id),
    unitDoorIds,
    unitDoor: (label) => deviceOf(devices, FaceTerminal, unitDoorOf(label, unitDoorIds)),
    labels: [...population.households.keys()].sort(),
    profiles: new Map<string, Profile>(population.residents.map((r) => [r.id, profileOf(random.fork(`profile:${r.id}`), rates)])),
    tally(o) {
      if (granted(o)) counts.granted++;
      else if (o.ok) counts.denied++;
      else counts.noReply++;
      return granted(o);
    },
  };
}

/** One resident through the main (or vehicle) gate and their unit door, in the passage's direction. */
async function residentPasses(s: Stage, r: SimResident, p: Passage, confidence: number): Promise<void> {
  const { counts, clock, mainGate, vehicleGate, tally } = s;
  const door = s.unitDoor(r.householdLabel);
  if (p.holdMs.some((h) => h > 60_000)) counts.heldOpen++;
  const useCar = p.byCar && r.plate !== null && vehicleGate !== undefined;
  if (p.direction === 'out') {
    counts.exits++;
    // Leaving a unit needs no credential: the exit button inside.
    await door?.openFor(p.holdMs[1], 'exit_button');
    await clock.sleep(p.walkMs);
    if (useCar && r.plate !== null) {
      counts.drives++;
      tally(await vehicleGate.drive(r.plate, 'out', confidence));
    } else if (mainGate && !tally(await mainGate.walkThrough(p.credential, 'out', { holdMs: p.holdMs[0] }))) {
      await mainGate.openFor(p.holdMs[0], 'exit_button');
    }
    return;
  }
  counts.entries++;
  if (useCar && r.plate !== null) {
    counts.drives++;
    tally(await vehicleGate.drive(r.plate, 'in', confidence));
  } else if (mainGate) {
    tally(await mainGate.walkThrough(p.credential, 'in', { holdMs: p.holdMs[0] }));
  }
  // Whatever the gate said (a guard may have let them in), the resident walks on to their unit door.
  await clock.sleep(p.walkMs);
  if (door) tally(await door.walkThrough(p.credential, 'in', { holdMs: p.holdMs[1] }));
}

/**
 * Plans one local day for every resident, visitor, lamp, alarm and door, each from a random stream named by (day,
 * actor) — so adding an actor never changes another's day — then schedules the next day's planning.
 * The order of the planners is the order of the agenda's entries: keep it, or a seed's run changes.
 */
export function planDay(s: Stage, dayStart: number): void {
  const date = formatTs(dayStart).slice(0, 10);
  planResidents(s, date, dayStart);
  planVisitors(s, date, dayStart);
  planLamps(s, date, dayStart);
  planAlarms(s, date, dayStart);
  planTamper(s, date, dayStart);
  planForcedDoors(s, date, dayStart);
  if (dayStart + DAY < s.endMs) s.clock.at(dayStart + DAY, () => planDay(s, dayStart + DAY));
}

function planResidents(s: Stage, date: string, dayStart: number): void {
  const weekday = new Date(`${date}T12:00:00+08:00`).getUTCDay();
  const weekend = weekday === 0 || weekday === 6;
  for (const r of s.population.residents) {
    const rng = s.random.fork(`day:${date}:resident:${r.id}`);
    for (const p of residentDay(r, s.profiles.get(r.id) ?? 'homebody', dayStart, weekend, rng, s.rates)) {
      const confidence = rng.between(0.86, 0.995);
      s.at(p.atMs, `resident ${p.direction}`, () => residentPasses(s, r, p, confidence));
    }
  }
}

function planVisitors(s: Stage, date: string, dayStart: number): void {
  const { labels, mainGate, counts, tally } = s;
  const vrng = s.random.fork(`day:${date}:visitors`);
  for (const t of visitorArrivals(labels.length, dayStart, vrng, s.rates)) {
    const label = labels.length > 0 ? vrng.pick(labels) : '';
    // A visitor without a pass shows a QR code the gateway will not know: visitors must be authorised in advance.
    const qr = { type: 'qr' as const, value: `VIS-${vrng.hex(12)}` };
    const walkMs = vrng.between(1, 4) * 60_000;
    s.at(t, 'visitor', async () => {
      counts.visitors++;
      if (!mainGate || !tally(await mainGate.walkThrough(qr, 'in'))) return;
      await s.clock.sleep(walkMs);
      const door = s.unitDoor(label);
      if (door) tally(await door.walkThrough(qr, 'in'));
    });
  }
}

function planLamps(s: Stage, date: string, dayStart: number): void {
  const { counts, rates } = s;
  const { dusk, dawn } = duskDawn(dayStart + 12 * HOUR);
  for (const lamp of s.started('streetlight')) {
    const lrng = s.random.fork(`day:${date}:lamp:${lamp.id}`);
    // A photocell switches within a few minutes of the others, not in lock-step.
    const offAt = dayStart + (dawn + lrng.normal(0, 0.07)) * HOUR;
    const onAt = dayStart + (dusk + lrng.normal(0, 0.07)) * HOUR;
    const fails = lrng.chance(rates.lampFailurePerNight);
    const failAt = dayStart + lrng.between(dusk + 0.5, 24 + dawn - 0.5) * HOUR;
    const fault = lrng.weighted(LAMP_FAULTS);
    const repairAt = dayStart + DAY + lrng.between(10, 16) * HOUR;
    if (!(lamp instanceof Streetlight)) continue;
    s.at(offAt, 'lamp off', async () => (counts.lampsOff++, lamp.setLight(false)));
    s.at(onAt, 'lamp on', async () => (counts.lampsOn++, lamp.setLight(true, 100)));
    if (fails) {
      s.at(failAt, 'lamp fault', async () => (counts.lampFailures++, lamp.fail(fault)));
      s.at(repairAt, 'lamp repair', async () => (counts.lampRepairs++, lamp.repair()));
    }
  }
}

function planAlarms(s: Stage, date: string, dayStart: number): void {
  const { counts, rates } = s;
  for (const alarm of [...s.started('indoor_alarm'), ...s.started('outdoor_alarm')]) {
    const arng = s.random.fork(`day:${date}:alarm:${alarm.id}`);
    const p = alarm.kind === 'indoor_alarm' ? rates.indoorAlarmPerDay : rates.outdoorAlarmPerDay;
    // Every draw is made whether or not it is used, so one alarm's day does not depend on what it drew.
    const presses = arng.chance(p);
    const pressAt = dayStart + arng.between(0, 24) * HOUR;
    const cancels = arng.chance(rates.alarmCancelShare);
    const cancelAfter = arng.between(20, 60) * 1000;
    const low = arng.chance(rates.lowBatteryPerDay);
    const lowAt = dayStart + arng.between(0, 24) * HOUR;
    const pct = arng.int(5, 19);
    if (!(alarm instanceof AlarmButton)) continue;
    if (presses) {
      s.at(pressAt, 'alarm press', async () => (counts.alarms++, alarm.press()));
      if (cancels) s.at(pressAt + cancelAfter, 'alarm cancel', async () => (counts.cancels++, alarm.cancel()));
    }
    if (low) s.at(lowAt, 'low battery', async () => (counts.lowBattery++, alarm.lowBattery(pct)));
  }
}

function planTamper(s: Stage, date: string, dayStart: number): void {
  for (const d of s.devices.values()) {
    const trng = s.random.fork(`day:${date}:tamper:${d.id}`);
    if (!trng.chance(s.rates.tamperPerDay)) continue;
    const kind = trng.pick(TAMPER_KINDS);
    s.at(dayStart + trng.between(0, 24) * HOUR, 'tamper', async () => (s.counts.tamper++, d.publish('tamper', { kind })));
  }
}

function planForcedDoors(s: Stage, date: string, dayStart: number): void {
  for (const id of s.unitDoorIds) {
    const frng = s.random.fork(`day:${date}:forced:${id}`);
    const door = deviceOf(s.devices, FaceTerminal, id);
    if (!frng.chance(s.rates.forcedPerDoorPerNight) || !door) continue;
    const holdMs = frng.between(30, 90) * 1000;
    s.at(dayStart + frng.between(0.5, 4.5) * HOUR, 'forced door', async () => (s.counts.forced++, door.openFor(holdMs, 'unknown')));
  }
}
