import { prefs, type Lang } from '../prefs';
import { useStore } from '../store';
import { en, enEnums } from './en';
import { type EnumLabels, type MessageKey, zh, zhEnums } from './zh';

export type { MessageKey };

const messages: Record<Lang, Record<MessageKey, string>> = { zh, en };
const enums: Record<Lang, EnumLabels> = { zh: zhEnums, en: enEnums };

export type Translate = ((key: MessageKey, vars?: Record<string, string | number>) => string) & { e: EnumLabels; lang: Lang };

export function translator(lang: Lang): Translate {
  const dict = messages[lang];
  const t = (key: MessageKey, vars?: Record<string, string | number>) => {
    const s = dict[key];
    return vars ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : s;
  };
  return Object.assign(t, { e: enums[lang], lang });
}

/** The current language's messages; components re-render when the guard switches language. */
export function useT(): Translate {
  return translator(useStore(prefs).lang);
}

/** Outside components (document title, the siren's window hook). */
export function currentT(): Translate {
  return translator(prefs.get().lang);
}

/** A label for a code the contract types only as a string (a stored reason, a credential type); the code itself if unknown. */
export function label(labels: Readonly<Record<string, string>>, code: string): string {
  return Object.hasOwn(labels, code) ? (labels[code] ?? code) : code;
}

/** An alert's place in words: the gateway's label, or its translation when the label is a place code. */
export function placeText(t: Translate, place: { label: string }): string {
  return Object.hasOwn(t.e.placeCode, place.label) ? label(t.e.placeCode, place.label) : place.label;
}
