import { z } from 'zod';
import { createStore } from './store';

export type Lang = 'zh' | 'en';
export type Theme = 'auto' | 'dark' | 'light';
export type TextSize = 'normal' | 'large' | 'xlarge';

export interface Prefs {
  lang: Lang;
  theme: Theme;
  size: TextSize;
}

const KEY = 'linli.prefs';
const DEFAULTS: Prefs = { lang: 'zh', theme: 'auto', size: 'large' };

/** Stored by an older version or edited by hand: each field falls back on its own. */
const Stored = z.object({
  lang: z.enum(['zh', 'en']).catch(DEFAULTS.lang),
  theme: z.enum(['auto', 'dark', 'light']).catch(DEFAULTS.theme),
  size: z.enum(['normal', 'large', 'xlarge']).catch(DEFAULTS.size),
});

function load(): Prefs {
  try {
    const parsed = Stored.safeParse(JSON.parse(localStorage.getItem(KEY) ?? '{}'));
    return parsed.success ? parsed.data : DEFAULTS;
  } catch {
    return DEFAULTS;
  }
}

export const prefs = createStore<Prefs>(load());
prefs.subscribe((p) => {
  localStorage.setItem(KEY, JSON.stringify(p));
  applyPrefs(p);
});

/** Night shift: dark from 18:00 to 07:00 (guard-room time) unless the guard chose otherwise. */
export function effectiveTheme(p: Prefs, now = new Date()): 'dark' | 'light' {
  if (p.theme !== 'auto') return p.theme;
  const h = now.getHours();
  return h >= 18 || h < 7 ? 'dark' : 'light';
}

export function applyPrefs(p: Prefs = prefs.get()): void {
  const root = document.documentElement;
  root.dataset.theme = effectiveTheme(p);
  root.dataset.size = p.size;
  root.lang = p.lang === 'zh' ? 'zh-CN' : 'en';
}
