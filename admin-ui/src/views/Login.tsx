import { useState } from 'preact/hooks';
import { type MessageKey, useT } from '../i18n';
import { board } from '../live/board';
import { prefs } from '../prefs';
import { type LoginOutcome, login, pinLogin, station } from '../session';
import { siren } from '../siren';
import { useStore } from '../store';

const FAILURE: Record<Exclude<LoginOutcome, { ok: true }>['reason'], MessageKey> = {
  wrong: 'login.failed',
  busy: 'login.busy',
  network: 'login.error',
  not_staff: 'login.notStaff',
  locked: 'login.pinLocked',
  not_station: 'login.notStation',
};

/** The PIN on a registered guard station, else the password. */
function SecretField({ withPin, secret, setSecret }: { withPin: boolean; secret: string; setSecret: (v: string) => void }) {
  const t = useT();
  return withPin ? (
    <label class="field">
      <span>{t('login.pin')}</span>
      <input
        class="input-lg input-pin"
        name="pin"
        type="password"
        inputMode="numeric"
        autoComplete="off"
        maxLength={6}
        pattern="\d{6}"
        value={secret}
        onInput={(e) => setSecret(e.currentTarget.value)}
        required
      />
    </label>
  ) : (
    <label class="field">
      <span>{t('login.password')}</span>
      <input class="input-lg" name="password" type="password" autoComplete="current-password" value={secret} onInput={(e) => setSecret(e.currentTarget.value)} required />
    </label>
  );
}

/** Over the board: that the sign-in ended and what is still live; on a registered station: its name. */
function LoginNotes({ overlay }: { overlay: boolean }) {
  const t = useT();
  const st = useStore(station);
  const { mode, link } = useStore(board);
  // What is and is not live while nobody is signed in, truthfully (docs/admin-ui.md, "Sessions").
  const endedText: MessageKey = mode === 'board' ? (link.status === 'live' ? 'login.endedBoard' : 'login.endedBoardDown') : 'login.ended';
  return (
    <>
      {overlay && (
        <p class={`login-ended ${mode === 'board' && link.status === 'live' ? 'login-ended-live' : ''}`} role="alert" data-testid="login-ended" data-board={mode}>
          {t(endedText, { name: st?.name ?? '' })}
        </p>
      )}
      {st?.registered === true && (
        <p class="login-station" data-testid="login-station">
          {t('login.station', { name: st.name ?? '' })}
        </p>
      )}
    </>
  );
}

/**
 * The sign-in form: a page of its own, or (`overlay`) a box over the board when a sign-in ended mid-shift. On a
 * registered guard station a guard signs in with user name and PIN (the password stays one click away); anywhere
 * else only the password works.
 */
export function Login({ overlay = false }: { overlay?: boolean }) {
  const t = useT();
  const st = useStore(station);
  const [username, setUsername] = useState('');
  const [secret, setSecret] = useState('');
  const [wantPassword, setWantPassword] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const withPin = st?.registered === true && !wantPassword;

  const submit = async (e: Event) => {
    e.preventDefault();
    // This click is the user gesture browsers require before any sound: the siren is ready from here on.
    siren.unlock();
    setBusy(true);
    setError(null);
    const r = withPin ? await pinLogin(username.trim(), secret) : await login(username.trim(), secret);
    setBusy(false);
    if (!r.ok) setError(t(FAILURE[r.reason]));
  };

  return (
    <main class={overlay ? 'login login-overlay' : 'login'}>
      <form class="login-card" onSubmit={(e) => void submit(e)} role={overlay ? 'dialog' : undefined} aria-modal={overlay ? 'true' : undefined} data-login-mode={withPin ? 'pin' : 'password'}>
        <div class="login-brand">
          <span class="brand-mark">{t('app.brand')}</span>
          <h1>{t('login.title')}</h1>
        </div>
        <LoginNotes overlay={overlay} />
        <label class="field">
          <span>{t('login.username')}</span>
          <input class="input-lg" name="username" autoComplete="username" autoFocus value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
        </label>
        <SecretField withPin={withPin} secret={secret} setSecret={setSecret} />
        {error && (
          <p class="error-text" role="alert">
            {error}
          </p>
        )}
        <button class="btn btn-xl btn-primary" type="submit" disabled={busy}>
          {t('login.submit')}
        </button>
        {st?.registered === true && (
          <button
            type="button"
            class="btn btn-link"
            data-action="login-mode"
            onClick={() => {
              setWantPassword(!wantPassword);
              setSecret('');
              setError(null);
            }}
          >
            {t(withPin ? 'login.usePassword' : 'login.usePin')}
          </button>
        )}
        <button type="button" class="btn btn-link" onClick={() => prefs.set((p) => ({ ...p, lang: p.lang === 'zh' ? 'en' : 'zh' }))}>
          {t('pref.language')}
        </button>
      </form>
    </main>
  );
}
