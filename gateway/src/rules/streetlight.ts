import SunCalc from 'suncalc';
import type { LightState } from '../contracts';
import type { SystemNote } from '../contracts/api/alert-notes';
import type { AlertType, Detail } from '../contracts/api/alerts';
import { type AlertSettings, type Decision, keyOf } from './types';

export type Daylight = 'day' | 'night' | 'twilight';

const DAY_MS = 86_400_000;

/**
 * Day or night at a place, by sunrise and sunset (suncalc). Within `marginMin` of either the answer is twilight:
 * photocells switch at different light levels, so nobody is blamed for a lamp at dusk. The days before and after
 * are looked at too, so the answer never depends on which solar day the library picks for an instant.
 */
export function daylightAt(at: Date, latitude: number, longitude: number, marginMin: number): Daylight {
  const t = at.getTime();
  const margin = marginMin * 60_000;
  const windows = sunWindows(t, latitude, longitude);
  // Polar day or night: no sunrise or sunset that day; the sun's altitude decides.
  if (windows === null) return SunCalc.getPosition(at, latitude, longitude).altitude > 0 ? 'day' : 'night';
  let twilight = false;
  for (const { rise, set } of windows) {
    if (t > rise + margin && t < set - margin) return 'day';
    if (t >= rise - margin && t <= set + margin) twilight = true;
  }
  return twilight ? 'twilight' : 'night';
}

const HOUR_MS = 3_600_000;
const windowCache = new Map<string, { rise: number; set: number }[] | null>();

/**
 * Sunrise and sunset of the day before, the day of and the day after, solved once per hour and place: every lamp of
 * a compound shares its coordinates and reports every few seconds, and three suncalc solutions per reading were
 * ~1 % of the gateway's CPU at saturation. The comparisons with the reading's own time stay exact; the anchor moves
 * within the hour only, far from any sunrise or sunset in the neighbouring days' windows.
 */
function sunWindows(t: number, latitude: number, longitude: number): { rise: number; set: number }[] | null {
  const hour = Math.floor(t / HOUR_MS);
  const key = `${hour}|${latitude}|${longitude}`;
  const known = windowCache.get(key);
  if (known !== undefined) return known;
  const anchor = hour * HOUR_MS + HOUR_MS / 2;
  let windows: { rise: number; set: number }[] | null = [];
  for (const offset of [-DAY_MS, 0, DAY_MS]) {
    const { sunrise, sunset } = SunCalc.getTimes(new Date(anchor + offset), latitude, longitude);
    const rise = sunrise.getTime();
    const set = sunset.getTime();
    if (Number.isNaN(rise) || Number.isNaN(set)) {
      windows = null;
      break;
    }
    windows.push({ rise, set });
  }
  if (windowCache.size >= 64) windowCache.clear();
  windowCache.set(key, windows);
  return windows;
}

export type LampReading = Pick<LightState, 'on' | 'brightness' | 'powerW' | 'voltage' | 'fault'>;

/** Faults that already say why a lamp is dark: no second alert for the same dark lamp. */
const DARKENING = new Set<LightState['fault']>(['lamp_failure', 'driver_failure']);
const ELECTRICAL = new Set<LightState['fault']>(['leakage', 'over_voltage']);

/**
 * A lamp's conditions from its latest reading and the time of day. Returns the conditions that hold; the checker
 * (alerts/streetlights.ts) raises those that begin and ends those that stop.
 */
export function lampConditions(r: LampReading, daylight: Daylight, s: AlertSettings['streetlight']): Map<AlertType, Detail> {
  const held = new Map<AlertType, Detail>();
  if (r.fault !== null) held.set('light_fault', { fault: r.fault });
  if (daylight === 'night' && !r.on && !DARKENING.has(r.fault)) held.set('light_not_lit', { powerW: r.powerW });
  if (daylight === 'day' && r.on) held.set('light_lit_in_daylight', { brightness: r.brightness, powerW: r.powerW });
  const power: string[] = [];
  if (r.on && r.powerW < s.litMinW) power.push('power_low');
  if (r.powerW > s.maxW) power.push('power_high');
  if (!r.on && r.powerW > s.standbyMaxW) power.push('standby_high');
  if (r.voltage < s.voltageMin) power.push('voltage_low');
  if (r.voltage > s.voltageMax) power.push('voltage_high');
  if (power.length > 0) held.set('light_power_abnormal', { reason: power.join(','), powerW: r.powerW, voltage: r.voltage });
  return held;
}

export const LAMP_TYPES: readonly AlertType[] = ['light_fault', 'light_not_lit', 'light_lit_in_daylight', 'light_power_abnormal'];

const NOTES: Partial<Record<AlertType, SystemNote>> = {
  light_fault: 'light_fault_gone',
  light_not_lit: 'light_lit',
  light_lit_in_daylight: 'light_off',
  light_power_abnormal: 'light_power_normal',
};

/**
 * Judges one lamp: (previously held conditions, latest reading, daylight) → decisions for the conditions that
 * begin or end, and the conditions now held. Re-judging an unchanged lamp decides nothing.
 */
export function judgeLamp(
  deviceId: string,
  held: ReadonlySet<AlertType>,
  r: LampReading,
  daylight: Daylight,
  settings: Pick<AlertSettings, 'streetlight'>,
  at: Date,
): { held: Set<AlertType>; decisions: Decision[] } {
  const now = lampConditions(r, daylight, settings.streetlight);
  const decisions: Decision[] = [];
  for (const [type, detail] of now) {
    if (held.has(type)) continue;
    const severity = type === 'light_fault' ? (ELECTRICAL.has(r.fault) ? 'major' : 'minor') : type === 'light_lit_in_daylight' ? 'warning' : 'minor';
    decisions.push({ kind: 'raise', type, severity, key: keyOf(type, deviceId), deviceId, householdId: null, at, detail: { ...detail, daylight }, mode: 'state' });
  }
  for (const type of held) {
    // Twilight neither proves nor disproves a day/night condition: keep it until day or night decides.
    if (now.has(type) || (daylight === 'twilight' && (type === 'light_not_lit' || type === 'light_lit_in_daylight') && !endsInTwilight(type, r))) continue;
    decisions.push({ kind: 'end', key: keyOf(type, deviceId), at, note: NOTES[type] ?? 'back_to_normal' });
  }
  const next = new Set(now.keys());
  for (const type of held) if (!now.has(type) && !decisions.some((d) => d.kind === 'end' && d.key === keyOf(type, deviceId))) next.add(type);
  return { held: next, decisions };
}

/** In twilight, a dark-at-night lamp that lights up (or a lit-by-day lamp that goes dark) has still ended it. */
function endsInTwilight(type: AlertType, r: LampReading): boolean {
  return type === 'light_not_lit' ? r.on : !r.on;
}
