import { useState } from 'preact/hooks';
import { useT } from '../i18n';
import { board } from '../live/board';
import { navigate } from '../router';
import { session, setOwnPin, station } from '../session';
import { useStore } from '../store';
import { dialog, toast } from '../ui-state';

/**
 * The header's station control (docs/admin-ui.md, "Guard stations"): the registered station's name; for an admin on
 * a browser that is not one yet, the button that registers it (the gateway answers with the station cookie); for a
 * guard, the button that sets the personal PIN.
 */
export function StationControl() {
  const t = useT();
  const s = useStore(session);
  const st = useStore(station);
  const { mode } = useStore(board);
  return (
    <>
      {mode === 'board' && (
        <span class="chip chip-readonly" data-testid="read-only">
          {t('board.readOnly')}
        </span>
      )}
      {st?.registered === true && (
        <span class="chip chip-station" data-testid="station-chip">
          {t('station.chip', { name: st.name ?? '' })}
        </span>
      )}
      {s?.user.role === 'admin' && st?.registered === false && (
        // Registering happens on the stations page, with a name field (admin-ui.md, "Guard stations").
        <button class="btn btn-sm" data-action="register-station" onClick={() => navigate('/admin/stations')}>
          {t('station.register')}
        </button>
      )}
      {s?.user.role === 'guard' && (
        <button class="btn btn-sm" data-action="set-pin" onClick={() => dialog.set({ kind: 'pin' })}>
          {t('pin.set')}
        </button>
      )}
    </>
  );
}

/** A guard sets their own PIN: the password again, then six digits (not a guessable run). */
export function PinDialog() {
  const t = useT();
  const [password, setPassword] = useState('');
  const [pin, setPin] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const r = await setOwnPin(password, pin);
    setBusy(false);
    if (r === 'ok') {
      toast(t('pin.saved'));
      dialog.set(null);
      return;
    }
    setError(t(r === 'wrong_password' ? 'pin.wrongPassword' : r === 'weak' ? 'pin.weak' : 'station.registerFailed'));
  };
  return (
    <form class="dialog" role="dialog" aria-modal="true" aria-label={t('pin.title')} onSubmit={(e) => void submit(e)}>
      <h2>{t('pin.title')}</h2>
      <p>{t('pin.hint')}</p>
      <label class="field">
        <span>{t('login.password')}</span>
        <input class="input-lg" name="current-password" type="password" autoComplete="current-password" autoFocus value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
      </label>
      <label class="field">
        <span>{t('pin.new')}</span>
        <input class="input-lg input-pin" name="new-pin" type="password" inputMode="numeric" autoComplete="off" maxLength={6} pattern="\d{6}" value={pin} onInput={(e) => setPin(e.currentTarget.value)} required />
      </label>
      {error && (
        <p class="error-text" role="alert">
          {error}
        </p>
      )}
      <div class="dialog-actions">
        <button class="btn btn-lg btn-primary" type="submit" disabled={busy}>
          {t('pin.save')}
        </button>
        <button class="btn btn-lg" type="button" onClick={() => dialog.set(null)}>
          {t('help.close')}
        </button>
      </div>
    </form>
  );
}
