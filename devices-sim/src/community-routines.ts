import type { DoorCredential, SimResident } from './population';
import type { Random } from '@linli/gateway/random';
import { HOUR, MINUTE, localHour } from './time';

/**
 * How residents, visitors and lamps behave over one local day, as pure functions of a seeded stream: the engine in
 * community.ts only turns these plans into device calls. Numbers are plausible rather than measured: commuters
 * leave around 7:40 and return around 18:30 (the two peaks at the gates), older residents go to the morning market
 * and come back before 9, and a few go out again for the evening square dance.
 */

export interface CommunityRates {
  /** Share of residents who commute (work or school); the rest keep home hours. */
  commuterShare: number;
  /** Commuters on night shifts come home in the morning peak. */
  nightShiftShare: number;
  /** Car owners who drive on a given working day. */
  driveShare: number;
  stayHome: number;
  /** Visitors per household per day, arriving mostly late morning and evening. */
  visitorsPerHousehold: number;
  /** Chance a door is held open for minutes rather than seconds (a pram, a parcel, a chat in the doorway). */
  heldOpen: number;
  lampFailurePerNight: number;
  indoorAlarmPerDay: number;
  outdoorAlarmPerDay: number;
  /** Presses followed by the resident's cancel (pressed by mistake). */
  alarmCancelShare: number;
  lowBatteryPerDay: number;
  tamperPerDay: number;
  /** A unit door opening at night with no access request (cause unknown). */
  forcedPerDoorPerNight: number;
}

export const DEFAULT_RATES: CommunityRates = {
  commuterShare: 0.65,
  nightShiftShare: 0.05,
  driveShare: 0.8,
  stayHome: 0.12,
  visitorsPerHousehold: 0.1,
  heldOpen: 0.02,
  lampFailurePerNight: 0.01,
  indoorAlarmPerDay: 0.003,
  outdoorAlarmPerDay: 0.001,
  alarmCancelShare: 0.3,
  lowBatteryPerDay: 0.002,
  tamperPerDay: 0.0005,
  forcedPerDoorPerNight: 0.002,
};

/** One way through the gates: out (unit door, then main gate) or in (main gate, then unit door). */
export interface Passage {
  atMs: number;
  direction: 'in' | 'out';
  byCar: boolean;
  credential: DoorCredential;
  /** Sim ms between the gate and the unit door (the walk across the compound). */
  walkMs: number;
  /** How long each door stays open: [gate, unit door]. */
  holdMs: [number, number];
}

export type Profile = 'commuter' | 'night_shift' | 'homebody';

export function profileOf(rng: Random, rates: CommunityRates): Profile {
  if (!rng.chance(rates.commuterShare)) return 'homebody';
  return rng.chance(rates.nightShiftShare / rates.commuterShare) ? 'night_shift' : 'commuter';
}

const clampHour = (h: number): number => Math.min(23.6, Math.max(5, h));

/** A resident's passages for the local day that starts at `dayStartMs`, in time order. */
export function residentDay(resident: SimResident, profile: Profile, dayStartMs: number, weekend: boolean, rng: Random, rates: CommunityRates): Passage[] {
  const first = resident.doorCredentials[0];
  if (first === undefined) return [];
  // Every draw happens whatever the outcome, so one resident's choices never shift the stream of the next day.
  const trips: [number, number][] = [];
  const home = rng.chance(rates.stayHome);
  const commute: [number, number] = [clampHour(rng.normal(7.6, 0.45)), clampHour(rng.normal(18.4, 0.7))];
  const nightShift: [number, number] = [clampHour(rng.normal(7.5, 0.4)), clampHour(rng.normal(19, 0.5))];
  const marketOut = rng.normal(6.9, 0.4);
  const market: [number, number] = [clampHour(marketOut), clampHour(marketOut + rng.between(0.75, 1.5))];
  const walkOut = rng.normal(15, 0.8);
  const walk: [number, number] = [clampHour(walkOut), clampHour(walkOut + rng.between(1, 2.5))];
  const danceOut = rng.normal(19.2, 0.3);
  const dance: [number, number] = [clampHour(danceOut), clampHour(danceOut + rng.between(1, 1.5))];
  const goes = { market: rng.chance(0.7), walk: rng.chance(0.4), dance: rng.chance(0.25), lateOut: rng.chance(0.15) };
  const byCar = resident.plate !== null && rng.chance(rates.driveShare);

  if (!home) {
    if (profile === 'commuter' && !weekend) {
      trips.push(commute);
      if (goes.lateOut) trips.push(dance);
    } else if (profile === 'night_shift' && !weekend) {
      // Home in the morning, out again in the evening: the morning entry and the evening exit.
      trips.push([-1, nightShift[0]], [nightShift[1], -1]);
    } else {
      if (goes.market) trips.push(market);
      if (goes.walk) trips.push(walk);
      if (goes.dance) trips.push(dance);
    }
  }

  const passages: Passage[] = [];
  let lastBack = -Infinity;
  for (const [out, back] of trips) {
    if (out >= 0 && out <= lastBack) continue;
    const car = byCar && profile !== 'homebody' && !weekend;
    const credential = rng.chance(0.9) ? first : rng.pick(resident.doorCredentials);
    const hold = (): number => (rng.chance(rates.heldOpen) ? rng.between(2, 6) * MINUTE : rng.between(3, 6) * 1000);
    const walkMs = rng.between(1, 4) * MINUTE;
    if (out >= 0) passages.push({ atMs: dayStartMs + out * HOUR, direction: 'out', byCar: car, credential, walkMs, holdMs: [hold(), hold()] });
    if (back >= 0) {
      passages.push({ atMs: dayStartMs + back * HOUR, direction: 'in', byCar: car, credential, walkMs, holdMs: [hold(), hold()] });
      lastBack = back;
    }
  }
  return passages.sort((a, b) => a.atMs - b.atMs);
}

/** Relative visitor arrivals by local hour: late morning and early evening, almost none at night. */
const VISITOR_WEIGHT = [0, 0, 0, 0, 0, 0, 0.2, 0.5, 1, 2, 3, 3, 2, 1.5, 2, 2.5, 3, 3.5, 4, 4, 3, 1.5, 0.5, 0.1];

/** Visitor arrival times for the day: a Poisson count, spread by the hourly weights. */
export function visitorArrivals(households: number, dayStartMs: number, rng: Random, rates: CommunityRates): number[] {
  const mean = households * rates.visitorsPerHousehold;
  const count = poisson(rng, mean);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const hour = rng.weighted(VISITOR_WEIGHT.map((w, h) => [h, w] as const));
    times.push(dayStartMs + (hour + rng.next()) * HOUR);
  }
  return times.sort((a, b) => a - b);
}

/** Knuth's method for small means, a normal approximation above (thousands of households). */
export function poisson(rng: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 50) return Math.max(0, Math.round(rng.normal(mean, Math.sqrt(mean))));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rng.next(); p > limit; p *= rng.next()) k++;
  return k;
}

/** Is `ms` between dusk and dawn (so a lamp that just came up should be lit)? */
export function isNight(ms: number, dusk: number, dawn: number): boolean {
  const h = localHour(ms);
  return h >= dusk || h < dawn;
}
