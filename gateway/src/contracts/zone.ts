/**
 * Wall-clock arithmetic in a compound's IANA time zone (Community.timezone), with the platform's Intl data: no
 * fixed offsets, so a compound outside China (or a zone with daylight saving) gets its own days and months.
 */

/** Minutes the zone is ahead of UTC at this instant (Asia/Shanghai: 480). An unknown zone throws a RangeError. */
export function zoneOffsetMin(timeZone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return Math.round((wall - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/** The UTC instant of a wall-clock time in the zone (the offset taken at that time, refined once for DST edges). */
export function zonedInstant(timeZone: string, y: number, m0: number, d: number, h = 0, min = 0): Date {
  const guess = Date.UTC(y, m0, d, h, min);
  const first = guess - zoneOffsetMin(timeZone, new Date(guess)) * 60_000;
  return new Date(guess - zoneOffsetMin(timeZone, new Date(first)) * 60_000);
}

/** `YYYY-MM` → [start, end) of that calendar month in the zone. */
export function monthRange(month: string, timeZone: string): { from: Date; to: Date } {
  const [y, m] = month.split('-').map(Number);
  const year = y ?? 1970;
  const m0 = (m ?? 1) - 1;
  return { from: zonedInstant(timeZone, year, m0, 1), to: zonedInstant(timeZone, m0 === 11 ? year + 1 : year, (m0 + 1) % 12, 1) };
}

/** The calendar month (`YYYY-MM`) of an instant in the zone. */
export function localMonth(at: Date, timeZone: string): string {
  return new Date(at.getTime() + zoneOffsetMin(timeZone, at) * 60_000).toISOString().slice(0, 7);
}

/** A calendar day (`YYYY-MM-DD`, default: today at `now`) in the zone, and its [from, to) instants (23 or 25 h on DST days). */
export function zonedDay(date: string | undefined, now: Date, timeZone: string): { day: string; from: Date; to: Date } {
  const day = date ?? new Date(now.getTime() + zoneOffsetMin(timeZone, now) * 60_000).toISOString().slice(0, 10);
  const [y = 1970, m = 1, d = 1] = day.split('-').map(Number);
  return { day, from: zonedInstant(timeZone, y, m - 1, d), to: zonedInstant(timeZone, y, m - 1, d + 1) };
}
