/**
 * Local time of the community. The demo compound is in Xi'an (Asia/Shanghai, UTC+8 all year, no daylight saving),
 * so a fixed offset is exact and keeps the simulation independent of the machine's time zone.
 */
export const LOCAL_OFFSET_MIN = 480;
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** ISO 8601 with the local offset, e.g. 2025-03-01T07:45:12.345+08:00, as the terminals stamp their events. */
export function formatTs(ms: number, offsetMin = LOCAL_OFFSET_MIN): string {
  const d = new Date(ms + offsetMin * MINUTE);
  const sign = offsetMin >= 0 ? '+' : '-';
  const off = Math.abs(offsetMin);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:` +
    `${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}${sign}${pad(Math.floor(off / 60))}:${pad(off % 60)}`
  );
}

/** Sim ms of the local midnight at or before `ms`. */
export function localMidnight(ms: number): number {
  const local = ms + LOCAL_OFFSET_MIN * MINUTE;
  return local - (((local % DAY) + DAY) % DAY) - LOCAL_OFFSET_MIN * MINUTE;
}

/** Local hour of day as a fraction, 0 ≤ h < 24. */
export function localHour(ms: number): number {
  return (ms - localMidnight(ms)) / HOUR;
}

/** Day of the year (0-365) of a local time, for the seasonal sunset estimate. */
export function dayOfYear(ms: number): number {
  const d = new Date(ms + LOCAL_OFFSET_MIN * MINUTE);
  return Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY);
}

/**
 * Rough civil dusk and dawn at Xi'an (34.3° N), in local hours: a cosine through the solstices (dusk about 18:10 in
 * December, 20:20 in June). Good to a quarter of an hour, which is all a photocell is; the gateway computes the
 * real sunset itself.
 */
export function duskDawn(ms: number): { dusk: number; dawn: number } {
  const season = Math.cos((2 * Math.PI * (dayOfYear(ms) - 172)) / 365);
  return { dusk: 19.25 + 1.05 * season, dawn: 6.25 - 0.95 * season };
}

/** "90", "90s", "15m", "2h", "1d", "250ms" → milliseconds; null if unreadable. A bare number is seconds. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m || m[1] === undefined) return null;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const scale = { ms: 1, s: 1000, m: MINUTE, h: HOUR, d: DAY }[unit];
  return scale === undefined ? null : n * scale;
}
