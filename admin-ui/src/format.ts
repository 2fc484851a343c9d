import type { Translate } from './i18n';

/** The community's clock (Asia/Shanghai, no daylight saving), whatever the browser's zone. */
const TZ = 'Asia/Shanghai';

const timeFmt = new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dateTimeFmt = new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
const dayFmt = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' });

export const clock = (iso: string | number | Date) => timeFmt.format(new Date(iso));
export const dateTime = (iso: string | number | Date) => dateTimeFmt.format(new Date(iso));
/** YYYY-MM-DD in community time. */
export const localDay = (d: Date = new Date()) => dayFmt.format(d);

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

/** Start of a community-time day as an ISO instant (UTC+8). */
export function dayStart(day: string): string {
  return new Date(`${day}T00:00:00+08:00`).toISOString();
}
