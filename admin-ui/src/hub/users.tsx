// Accounts on the duty desk (docs/scale-out.md "Managing hub users"): everyone changes their own password (first of
// all after signing in with a one-time password); someone allowed to manage users lists, creates, resets, disables
// and enables the accounts inside their own scope. A one-time password is shown once, to the person who asked.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { HubCompound, HubScope, HubUser } from '@linli/gateway/contracts/api/hub';
import type { HubUserList, HubUserView } from '@linli/gateway/contracts/api/hub-users';
import { ApiError, api, changePassword } from './api';
import { errText, fmtTime, scopeText } from './format';
import type { HubT } from './i18n';

export function PasswordForm({ t, oneTime }: { t: HubT; oneTime: boolean }) {
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const submit = async (e: JSX.TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = String(form.get('newPassword') ?? '');
    if (next !== String(form.get('confirm') ?? '')) return setError(t('password.mismatch'));
    try {
      await changePassword(String(form.get('currentPassword') ?? ''), next);
      setError(null);
      setSaved(true);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 403 ? t('password.wrong') : errText(t, err));
    }
  };
  return (
    <form class="hub-form" data-testid="password-form" onSubmit={(e) => void submit(e)}>
      <h2>{t('password.title')}</h2>
      {oneTime && <p class="hub-callout">{t('password.oneTime')}</p>}
      <label>{t('password.current')}<input name="currentPassword" type="password" autocomplete="current-password" required /></label>
      <label>{t('password.new')}<input name="newPassword" type="password" autocomplete="new-password" minLength={10} required /></label>
      <label>{t('password.confirm')}<input name="confirm" type="password" autocomplete="new-password" minLength={10} required /></label>
      {error !== null && <p class="hub-error" role="alert">{error}</p>}
      {saved && <p class="hub-ok" role="status">{t('password.saved')}</p>}
      <button type="submit" class="hub-primary">{t('password.submit')}</button>
    </form>
  );
}

/** The scopes a manager may hand out: their own and, below it, the streets and compounds they can see. */
function scopeChoices(t: HubT, user: HubUser, compounds: HubCompound[]): Array<{ value: string; label: string; scope: HubScope }> {
  const out: Array<{ value: string; label: string; scope: HubScope }> = [];
  if (user.scope.kind === 'district') out.push({ value: 'district', label: t('scope.district'), scope: { kind: 'district' } });
  const streets = new Map<string, string>();
  for (const c of compounds) if (c.street !== null) streets.set(c.street.id, c.street.name);
  if (user.scope.kind === 'street') streets.set(user.scope.id, user.scopeName ?? user.scope.id);
  if (user.scope.kind !== 'compound') for (const [id, name] of streets) out.push({ value: `street:${id}`, label: t('scope.street', { name }), scope: { kind: 'street', id } });
  for (const c of compounds) if (c.name !== null) out.push({ value: `compound:${c.id}`, label: t('scope.compound', { name: c.name }), scope: { kind: 'compound', id: c.id } });
  return out;
}

function CreateForm({ t, user, onCreated }: { t: HubT; user: HubUser; onCreated: (username: string, password: string) => void }) {
  const [compounds, setCompounds] = useState<HubCompound[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => void api.compounds().then((r) => setCompounds(r.compounds), (err: unknown) => setError(errText(t, err))), []);
  const choices = scopeChoices(t, user, compounds);
  const submit = async (e: JSX.TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const el = e.currentTarget;
    const form = new FormData(el);
    const scope = choices.find((c) => c.value === form.get('scope'))?.scope;
    if (scope === undefined) return;
    try {
      const made = await api.createUser({ username: String(form.get('username') ?? ''), displayName: String(form.get('displayName') ?? ''), scope, managesUsers: form.get('managesUsers') === 'on' });
      el.reset();
      setError(null);
      onCreated(made.username, made.password);
    } catch (err) {
      setError(errText(t, err));
    }
  };
  return (
    <form class="hub-form hub-form-row" data-testid="user-create" onSubmit={(e) => void submit(e)}>
      <h3>{t('users.new')}</h3>
      <label>{t('users.username')}<input name="username" pattern="[A-Za-z0-9_.\-]{2,64}" autocomplete="off" required /></label>
      <label>{t('users.name')}<input name="displayName" maxLength={100} required /></label>
      <label>{t('users.scope')}
        <select name="scope" required>{choices.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}</select>
      </label>
      <label class="hub-check"><input type="checkbox" name="managesUsers" />{t('users.manages')}</label>
      <button type="submit" class="hub-primary">{t('users.create')}</button>
      {error !== null && <p class="hub-error" role="alert">{error}</p>}
    </form>
  );
}

function UserRow({ t, u, self, onReset, onToggle }: { t: HubT; u: HubUserView; self: boolean; onReset: () => void; onToggle: () => void }) {
  const status = u.disabled ? t('users.disabled') : u.mustChangePassword ? t('users.mustChange') : t('users.active');
  return (
    <tr data-user={u.username} data-disabled={String(u.disabled)}>
      <td>{u.username}{u.managesUsers && <span class="hub-tag">{t('users.manager')}</span>}</td>
      <td>{u.displayName}</td>
      <td>{scopeText(t, u)}</td>
      <td class={u.disabled ? 'hub-hot' : ''}>{status}</td>
      <td>{fmtTime(t, u.createdAt)} · {u.createdBy === null ? t('users.cli') : t('users.by', { who: u.createdBy })}</td>
      <td>
        {!self && <button type="button" class="hub-link" onClick={onReset}>{t('users.reset')}</button>}
        {!self && <button type="button" class="hub-link" onClick={onToggle}>{u.disabled ? t('users.enable') : t('users.disable')}</button>}
      </td>
    </tr>
  );
}

export function Users({ t, user }: { t: HubT; user: HubUser }) {
  const [list, setList] = useState<HubUserList | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [shown, setShown] = useState<{ text: string; password: string } | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => void api.users().then(setList, setError), [tick]);
  const act = (p: Promise<unknown>) => p.then(() => setTick((n) => n + 1), setError);
  const reset = (username: string) => {
    if (!window.confirm(t('users.resetConfirm', { user: username }))) return;
    void act(api.resetPassword(username).then((r) => setShown({ text: t('users.resetDone', { user: r.username }), password: r.password })));
  };
  return (
    <section data-testid="users">
      {shown !== null && (
        <div class="hub-callout" role="status" data-testid="one-time-password">
          <p>{shown.text}</p>
          <code>{shown.password}</code>
        </div>
      )}
      <CreateForm t={t} user={user} onCreated={(username, password) => {
        setShown({ text: t('users.created', { user: username }), password });
        setTick((n) => n + 1);
      }} />
      {error !== null && <p class="hub-error" role="alert">{errText(t, error)}</p>}
      <div class="hub-scroll">
        <table class="hub-table" data-testid="user-table">
          <thead><tr><th>{t('col.account')}</th><th>{t('col.name')}</th><th>{t('col.scope')}</th><th>{t('col.status')}</th><th>{t('col.created')}</th><th>{t('col.actions')}</th></tr></thead>
          <tbody>
            {(list?.users ?? []).map((u) => (
              <UserRow key={u.username} t={t} u={u} self={u.username === user.username} onReset={() => reset(u.username)} onToggle={() => void act(api.setDisabled(u.username, !u.disabled))} />
            ))}
          </tbody>
        </table>
      </div>
      <h3>{t('users.changes')}</h3>
      <ol class="hub-changes" data-testid="account-changes">
        {(list?.changes ?? []).map((c, i) => (
          <li key={i}><span>{fmtTime(t, c.at)}</span> <span>{c.actor}</span> <strong>{t(`account.${c.action}`)}</strong> <span>{c.target}</span></li>
        ))}
      </ol>
    </section>
  );
}
