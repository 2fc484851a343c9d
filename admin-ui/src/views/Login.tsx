import { useState } from 'preact/hooks';
import { useT } from '../i18n';
import { prefs } from '../prefs';
import { login } from '../session';
import { siren } from '../siren';

/** The sign-in form: a page of its own, or (`overlay`) a box over the board when a sign-in ended mid-shift. */
export function Login({ overlay = false }: { overlay?: boolean }) {
  const t = useT();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    // This click is the user gesture browsers require before any sound: the siren is ready from here on.
    siren.unlock();
    setBusy(true);
    setError(null);
    const r = await login(username.trim(), password);
    setBusy(false);
    if (!r.ok) setError(t(r.reason === 'wrong' ? 'login.failed' : r.reason === 'busy' ? 'login.busy' : r.reason === 'not_staff' ? 'login.notStaff' : 'login.error'));
  };

  return (
    <main class={overlay ? 'login login-overlay' : 'login'}>
      <form class="login-card" onSubmit={(e) => void submit(e)} role={overlay ? 'dialog' : undefined} aria-modal={overlay ? 'true' : undefined}>
        <div class="login-brand">
          <span class="brand-mark">{t('app.brand')}</span>
          <h1>{t('login.title')}</h1>
        </div>
        {overlay && (
          <p class="login-ended" role="alert">
            {t('login.ended')}
          </p>
        )}
        <label class="field">
          <span>{t('login.username')}</span>
          <input class="input-lg" name="username" autoComplete="username" autoFocus value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
        </label>
        <label class="field">
          <span>{t('login.password')}</span>
          <input class="input-lg" name="password" type="password" autoComplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
        </label>
        {error && (
          <p class="error-text" role="alert">
            {error}
          </p>
        )}
        <button class="btn btn-xl btn-primary" type="submit" disabled={busy}>
          {t('login.submit')}
        </button>
        <button type="button" class="btn btn-link" onClick={() => prefs.set((p) => ({ ...p, lang: p.lang === 'zh' ? 'en' : 'zh' }))}>
          {t('pref.language')}
        </button>
      </form>
    </main>
  );
}
