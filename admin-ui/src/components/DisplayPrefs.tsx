import { useEffect, useRef, useState } from 'preact/hooks';
import { useT } from '../i18n';
import { type TextSize, type Theme, prefs } from '../prefs';
import { useStore } from '../store';

const THEMES: Theme[] = ['auto', 'dark', 'light'];
const SIZES: TextSize[] = ['normal', 'large', 'xlarge'];
const next = <T,>(list: T[], v: T): T => list[(list.indexOf(v) + 1) % list.length] ?? v;

function PrefButtons() {
  const t = useT();
  const p = useStore(prefs);
  return (
    <>
      <button class="btn btn-sm" onClick={() => prefs.set({ ...p, lang: p.lang === 'zh' ? 'en' : 'zh' })} data-action="lang">
        {t('pref.language')}
      </button>
      <button class="btn btn-sm" onClick={() => prefs.set({ ...p, theme: next(THEMES, p.theme) })} title={t('pref.theme')} data-action="theme">
        {t(`pref.theme.${p.theme}`)}
      </button>
      <button class="btn btn-sm" onClick={() => prefs.set({ ...p, size: next(SIZES, p.size) })} title={t('pref.size')} data-action="size">
        {t('pref.size')}: {t(`pref.size.${p.size}`)}
      </button>
    </>
  );
}

/**
 * Language, theme and text size in the header. On a wide screen three buttons; up to 1200 px wide (a 1024×768
 * tablet) one 显示 button that opens them, so the header stays on one row and 退出 never wraps below it.
 */
export function DisplayPrefs() {
  const t = useT();
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (!open) return;
    const away = (e: PointerEvent) => {
      if (root.current && e.target instanceof Node && !root.current.contains(e.target)) setOpen(false);
    };
    window.addEventListener('pointerdown', away);
    return () => window.removeEventListener('pointerdown', away);
  }, [open]);
  return (
    <>
      <span class="prefs-inline">
        <PrefButtons />
      </span>
      <span class="prefs-compact" ref={root}>
        <button class="btn btn-sm" aria-expanded={open} aria-haspopup="true" title={t('header.displayTitle')} data-action="display" onClick={() => setOpen((o) => !o)}>
          {t('header.display')} ▾
        </button>
        {open && (
          <span class="prefs-menu" role="menu" aria-label={t('header.displayTitle')}>
            <PrefButtons />
          </span>
        )}
      </span>
    </>
  );
}
