/**
 * Wall-clock time in the compound's time zone (Community.timezone, an IANA name), whatever zone the phone is set to:
 * a resident travelling abroad invites for "tonight" at home. Pure functions over Intl, unit-tested in
 * test/resident-time.test.ts.
 */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const partsCache = new Map<string, Intl.DateTimeFormat>();

function fmt(tz: string): Intl.DateTimeFormat {
  let f = partsCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    partsCache.set(tz, f);
  }
  return f;
}

/** The wall clock in `tz` at instant `ms`. */
export function wallTime(ms: number, tz: string): WallTime & { second: number } {
  const get = (type: string) => Number(fmt(tz).formatToParts(new Date(ms)).find((p) => p.type === type)?.value ?? '0');
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour') % 24, minute: get('minute'), second: get('second') };
}

/** Minutes `tz` is ahead of UTC at instant `ms`. */
function offsetMin(ms: number, tz: string): number {
  const w = wallTime(ms, tz);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

/** The instant a wall-clock time in `tz` names (day and month may overflow: day 32 is the next month's first). */
export function zonedToUtc(w: WallTime, tz: string): number {
  const guess = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  let ms = guess - offsetMin(guess, tz) * 60_000;
  // Once more near a daylight-saving change (the offset at the result may differ from the one at the guess).
  ms = guess - offsetMin(ms, tz) * 60_000;
  return ms;
}

export type Preset = 'today' | 'tonight' | 'tomorrow';

/**
 * The invitation presets, in the compound's time: 今天 now → midnight; 今晚 from 17:00 (or now, if later) →
 * midnight; 明天全天 tomorrow 00:00 → the day after 00:00.
 */
export function presetWindow(preset: Preset, nowMs: number, tz: string): { from: number; until: number } {
  const w = wallTime(nowMs, tz);
  const day = (plus: number, hour = 0) => zonedToUtc({ year: w.year, month: w.month, day: w.day + plus, hour, minute: 0 }, tz);
  switch (preset) {
    case 'today':
      return { from: nowMs, until: day(1) };
    case 'tonight':
      return { from: Math.max(nowMs, day(0, 17)), until: day(1) };
    case 'tomorrow':
      return { from: day(1), until: day(2) };
  }
}

/** `datetime-local` input value ("2026-12-01T19:00") for an instant, in `tz`; and back. */
export function toLocalInput(ms: number, tz: string): string {
  const w = wallTime(ms, tz);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${w.year}-${p(w.month)}-${p(w.day)}T${p(w.hour)}:${p(w.minute)}`;
}

export function fromLocalInput(value: string, tz: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  return zonedToUtc({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4]), minute: Number(m[5]) }, tz);
}

/** "12月1日 19:02" / "Dec 1, 19:02" in the compound's zone. */
export function formatWhen(ms: number, tz: string, lang: 'zh' | 'en'): string {
  const w = wallTime(ms, tz);
  const hm = `${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
  if (lang === 'zh') return `${w.month}月${w.day}日 ${hm}`;
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][w.month - 1] ?? '';
  return `${mon} ${w.day}, ${hm}`;
}

export function formatClock(ms: number, tz: string): string {
  const w = wallTime(ms, tz);
  return `${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
}

/** A window: "12月1日 17:00 – 24:00" when it ends at the next midnight of the same day, else both ends in full. */
export function formatWindow(from: number, until: number, tz: string, lang: 'zh' | 'en'): string {
  const a = wallTime(from, tz);
  const b = wallTime(until, tz);
  const start = formatWhen(from, tz, lang);
  const sameDay = a.year === b.year && a.month === b.month && a.day === b.day;
  if (sameDay) return `${start} – ${formatClock(until, tz)}`;
  const endsAtMidnight = b.hour === 0 && b.minute === 0 && zonedToUtc({ year: a.year, month: a.month, day: a.day + 1, hour: 0, minute: 0 }, tz) === until;
  if (endsAtMidnight) return `${start} – 24:00`;
  return `${start} – ${formatWhen(until, tz, lang)}`;
}
