import { Role } from '@linli/gateway/contracts';
import { UserCreateBody, type UserView } from '@linli/gateway/contracts/api/users';
import { useState } from 'preact/hooks';
import { adminApi, fieldErrors } from '../../admin-api';
import { ApiError } from '../../api';
import { LoadedTable } from '../../components/LoadedTable';
import { dateTime } from '../../format';
import { useLoad } from '../../hooks';
import { type MessageKey, useT } from '../../i18n';
import { toast } from '../../ui-state';

const roleKey = (r: string) => `role.${r}` as MessageKey;

/** Users and roles (admins): create with a one-time password, disable, enable, reset a password. */
export function Users() {
  const t = useT();
  const [list, reload] = useLoad(() => adminApi.users(), 'users');
  const [otp, setOtp] = useState<{ name: string; password: string } | null>(null);
  const fail = (err: unknown) => toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');

  const toggle = async (u: UserView) => {
    if (!u.disabled && !window.confirm(t('users.disableConfirm', { name: u.displayName }))) return;
    await adminApi.patchUser(u.id, { disabled: !u.disabled }).then(reload, fail);
  };
  const reset = async (u: UserView) => {
    if (!window.confirm(t('users.resetConfirm', { name: u.displayName }))) return;
    await adminApi.resetPassword(u.id).then((r) => {
      setOtp({ name: r.user.username, password: r.oneTimePassword });
      reload();
    }, fail);
  };

  return (
    <div class="admin-page" data-testid="users">
      <h1 class="view-title">{t('users.title')}</h1>
      <NewUser
        created={(name, password) => {
          setOtp({ name, password });
          reload();
        }}
      />
      {otp && <SecretNote title={t('users.otp', { name: otp.name })} secret={otp.password} close={() => setOtp(null)} />}
      <LoadedTable
        loaded={list}
        rows={(v) => v.users}
        head={[t('users.username'), t('users.displayName'), t('users.role'), t('users.status'), null]}
        row={(u) => (
          <tr key={u.id} data-user={u.username}>
            <td>{u.username}</td>
            <td>{u.displayName}</td>
            <td>{t(roleKey(u.role))}</td>
            <td>
              <span class={`pill ${u.disabled ? 'pill-bad' : 'pill-ok'}`}>{u.disabled ? t('users.disabled') : t('users.active')}</span>{' '}
              {u.mustChangePassword && <span class="pill pill-warn">{t('users.mustChange')}</span>}
              <span class="muted"> {dateTime(u.createdAt)}</span>
            </td>
            <td class="row-actions">
              <button class="btn btn-sm" onClick={() => void toggle(u)}>
                {u.disabled ? t('users.enable') : t('users.disable')}
              </button>
              <button class="btn btn-sm" onClick={() => void reset(u)}>
                {t('users.reset')}
              </button>
            </td>
          </tr>
        )}
      />
    </div>
  );
}

function NewUser({ created }: { created: (name: string, password: string) => void }) {
  const t = useT();
  const [form, setForm] = useState({ username: '', displayName: '', role: 'guard', residentId: '', communityId: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const set = (k: keyof typeof form) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = async (e: Event) => {
    e.preventDefault();
    const parsed = UserCreateBody.safeParse({
      username: form.username.trim(),
      displayName: form.displayName,
      role: form.role,
      ...(form.residentId.trim() !== '' ? { residentId: form.residentId.trim() } : {}),
      ...(form.communityId.trim() !== '' ? { communityId: form.communityId.trim() } : {}),
    });
    if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
    setErrors({});
    try {
      const r = await adminApi.createUser(parsed.data);
      created(r.user.username, r.oneTimePassword);
      setForm({ username: '', displayName: '', role: form.role, residentId: '', communityId: '' });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 400 || err.status === 409)) setErrors({ username: err.message });
      else toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
    }
  };
  const input = (k: keyof typeof form, label: MessageKey) => (
    <label class="field">
      <span>{t(label)}</span>
      <input name={k} value={form[k]} onInput={set(k)} aria-invalid={errors[k] ? 'true' : undefined} />
      {errors[k] && (
        <span class="error-text" data-error-for={k}>
          {errors[k]}
        </span>
      )}
    </label>
  );
  return (
    <form class="card admin-form" onSubmit={(e) => void submit(e)} data-testid="new-user">
      <h2>{t('users.new')}</h2>
      <div class="form-grid">
        {input('username', 'users.username')}
        {input('displayName', 'users.displayName')}
        <label class="field">
          <span>{t('users.role')}</span>
          <select name="role" value={form.role} onChange={set('role')}>
            {Role.options.map((r) => (
              <option key={r} value={r}>
                {t(roleKey(r))}
              </option>
            ))}
          </select>
        </label>
        {form.role === 'resident' && input('residentId', 'users.residentId')}
        {form.role === 'property_manager' && input('communityId', 'users.communityId')}
      </div>
      <div class="dialog-actions">
        <button class="btn btn-lg btn-primary" type="submit">
          {t('users.create')}
        </button>
      </div>
    </form>
  );
}

/** A secret shown once (a one-time password), in large type, with a close button. */
export function SecretNote({ title, secret, close }: { title: string; secret: string; close: () => void }) {
  const t = useT();
  return (
    <div class="card secret-note" role="alert" data-testid="secret-note">
      <p>{title}</p>
      <code class="secret-value" data-testid="secret-value">
        {secret}
      </code>
      <button class="btn btn-sm" onClick={close}>
        {t('common.close')}
      </button>
    </div>
  );
}
