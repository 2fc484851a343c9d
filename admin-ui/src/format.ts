import type { Translate } from './i18n';
import { zonedInstant } from '@linli/gateway/contracts/zone';
import { prefs } from './prefs';

/**
 * The compound's clock, whatever the browser's zone: its IANA zone (Community.timezone) as the site plan reports it
 * (site-data.ts calls setCommunityZone), Asia/Shanghai until then. Daylight saving is the platform's Intl data.
 */
let TZ = 'Asia/Shanghai';

const formatters = (tz: string) => ({
  time: new Intl.DateTimeFormat('zh-CN', { timeZone: tz, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }),
  parts: new Intl.DateTimeFormat('en-CA', { timeZone: tz, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
  day: new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }),
});
let fmt = formatters(TZ);

/** Times on every screen follow this zone from now on (an unknown zone is ignored: the clock stays as it was). */
export function setCommunityZone(tz: string): void {
  if (tz === TZ) return;
  try {
    fmt = formatters(tz);
    TZ = tz;
  } catch {
    // RangeError: not a zone this browser knows.
  }
}

export const communityZone = () => TZ;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function parts(d: Date): { month: number; day: number; hm: string } {
  const p = Object.fromEntries(fmt.parts.formatToParts(d).map((x) => [x.type, x.value]));
  return { month: Number(p.month), day: Number(p.day), hm: `${p.hour ?? '00'}:${p.minute ?? '00'}` };
}

/**
 * A day in words, never "12/02" (which day? which order?): 12月2日 in Chinese, Dec 2 in English, community time.
 * `day` is a YYYY-MM-DD community day or an instant.
 */
export function dayLabel(day: string | number | Date, lang = prefs.get().lang): string {
  const { month, day: d } = typeof day === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(day) ? { month: Number(day.slice(5, 7)), day: Number(day.slice(8, 10)) } : parts(new Date(day));
  return lang === 'zh' ? `${month}月${d}日` : `${MONTHS[month - 1] ?? month} ${d}`;
}

export const clock = (iso: string | number | Date) => fmt.time.format(new Date(iso));
/** 12月2日 02:50 (Dec 2 02:50): date in words and the time, community time. */
export function dateTime(iso: string | number | Date, lang = prefs.get().lang): string {
  const d = new Date(iso);
  return `${dayLabel(d, lang)} ${parts(d).hm}`;
}
/** YYYY-MM-DD in community time. */
export const localDay = (d: Date = new Date()) => fmt.day.format(d);

export function ago(t: Translate, iso: string, now = Date.now()): string {
  const sec = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (sec < 10) return t('common.justNow');
  if (sec < 60) return t('common.secAgo', { n: sec });
  if (sec < 3600) return t('common.minAgo', { n: Math.floor(sec / 60) });
  if (sec < 86_400) return t('common.hourAgo', { n: Math.floor(sec / 3600) });
  return t('common.dayAgo', { n: Math.floor(sec / 86_400) });
}

/** m:ss (or h:mm:ss) for countdowns and response times. */
export function duration(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/** Start of a community-time day as an ISO instant (the zone's own offset that day). */
export function dayStart(day: string): string {
  return zonedInstant(TZ, Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))).toISOString();
}
