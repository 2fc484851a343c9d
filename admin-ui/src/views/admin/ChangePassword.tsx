import { PasswordChangeBody } from '@linli/gateway/contracts/api/users';
import { useState } from 'preact/hooks';
import { adminApi, fieldErrors } from '../../admin-api';
import { ApiError } from '../../api';
import { useT } from '../../i18n';
import { logout, session } from '../../session';
import { toast } from '../../ui-state';

const REASONS = ['too_short', 'too_long', 'common', 'contains_username'] as const;

/** The password policy's reason code in an issue's params or a 400's details, if any. */
function reasonOf(x: unknown): (typeof REASONS)[number] | null {
  if (typeof x !== 'object' || x === null || !('reason' in x)) return null;
  return REASONS.find((r) => r === x.reason) ?? null;
}

/**
 * Change one's own password. `forced`: signed in with a one-time password (first start, a reset) — the only screen
 * until it is changed; the gateway refuses everything else meanwhile (PASSWORD_CHANGE_REQUIRED).
 */
export function ChangePassword({ forced, done }: { forced: boolean; done?: () => void }) {
  const t = useT();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const parsed = PasswordChangeBody.safeParse({ currentPassword: current, newPassword: next });
    const errs = parsed.success ? {} : fieldErrors(parsed.error.issues);
    // The policy's reason in the reader's language (the contract's message is the API's English).
    const reason = parsed.success ? undefined : parsed.error.issues.map((i) => reasonOf('params' in i ? i.params : undefined)).find((r) => r !== null);
    if (reason) errs.newPassword = t(`pw.err.${reason}`);
    if (next !== repeat) errs.repeat = t('pw.mismatch');
    setErrors(errs);
    if (!parsed.success || Object.keys(errs).length > 0) return;
    setBusy(true);
    try {
      await adminApi.changePassword(parsed.data);
      const s = session.get();
      if (s) session.set({ ...s, user: { ...s.user, mustChangePassword: false } });
      toast(t('pw.done'), 'ok');
      done?.();
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) {
        const d = err.details;
        const path = typeof d === 'object' && d !== null && 'path' in d && typeof d.path === 'string' ? d.path : 'newPassword';
        const reason = reasonOf(d);
        setErrors({ [path]: reason ? t(`pw.err.${reason}`) : err.message });
      } else toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
    } finally {
      setBusy(false);
    }
  };

  const field = (name: string, label: string, value: string, set: (v: string) => void, auto: string) => (
    <label class="field">
      <span>{label}</span>
      <input class="input-lg" name={name} type="password" autoComplete={auto} value={value} onInput={(e) => set(e.currentTarget.value)} aria-invalid={errors[name] ? 'true' : undefined} />
      {errors[name] && (
        <span class="error-text" data-error-for={name}>
          {errors[name]}
        </span>
      )}
    </label>
  );

  return (
    <main class={forced ? 'login' : 'admin-page'}>
      <form class="login-card" onSubmit={(e) => void submit(e)} data-testid="change-password">
        <h1>{t('pw.title')}</h1>
        {forced && (
          <p class="login-ended" role="alert">
            {t('pw.forced')}
          </p>
        )}
        {field('currentPassword', t('pw.current'), current, setCurrent, 'current-password')}
        {field('newPassword', t('pw.new'), next, setNext, 'new-password')}
        {field('repeat', t('pw.repeat'), repeat, setRepeat, 'new-password')}
        <p class="muted">{t('pw.rules')}</p>
        <button class="btn btn-xl btn-primary" type="submit" disabled={busy}>
          {t('pw.submit')}
        </button>
        {forced && (
          <button type="button" class="btn btn-link" onClick={logout}>
            {t('user.logout')}
          </button>
        )}
      </form>
    </main>
  );
}
