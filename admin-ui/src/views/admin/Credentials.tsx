import type { AdminResidentView } from '@linli/gateway/contracts/api/admin-people';
import { CredentialEnrolBody, type CredentialView } from '@linli/gateway/contracts/api/credentials';
import { useState } from 'preact/hooks';
import { dataApi } from '../../admin-data-api';
import { fieldErrors } from '../../admin-api';
import { ApiError } from '../../api';
import { FieldError } from '../../components/FieldError';
import { dateTime } from '../../format';
import { useLoad } from '../../hooks';
import { useT } from '../../i18n';
import { toast } from '../../ui-state';

const TYPES = ['card', 'pin', 'plate', 'face'] as const;
type EnrolType = (typeof TYPES)[number];

/** The body for one credential type (a PIN has no value: the gateway draws it and shows it once). */
function enrolBody(type: EnrolType, value: string): unknown {
  const v = value.trim();
  if (type === 'pin') return { type };
  if (type === 'plate') return { type, plate: v };
  if (type === 'face') return { type, faceTemplateRef: v };
  return { type, value: v };
}

const fail = (t: ReturnType<typeof useT>) => (err: unknown) => toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');

/** The credentials (hints only): suspend or resume, remove (confirmed). */
function CredentialTable({ credentials, reload }: { credentials: CredentialView[]; reload: () => void }) {
  const t = useT();
  return (
    <table class="table">
      <thead>
        <tr>
          <th>{t('md.creds.type')}</th>
          <th>{t('md.creds.hint')}</th>
          <th>{t('md.f.status')}</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {credentials.map((c) => (
          <tr key={c.id} data-credential={c.id}>
            <td>{t.e.credential[c.type]}</td>
            <td>{c.hint ?? '–'}</td>
            <td>
              <span class={`pill ${c.status === 'active' ? 'pill-ok' : 'pill-warn'}`}>{c.status === 'active' ? t('md.active') : t('md.creds.suspended')}</span>
              <span class="muted"> {dateTime(c.createdAt)}</span>
            </td>
            <td class="row-actions">
              <button class="btn btn-sm" onClick={() => void dataApi.setCredential(c.id, c.status === 'active' ? 'suspended' : 'active').then(reload, fail(t))}>
                {c.status === 'active' ? t('md.creds.suspend') : t('md.creds.resume')}
              </button>
              <button
                class="btn btn-sm"
                onClick={() => {
                  if (window.confirm(t('md.creds.removeConfirm'))) void dataApi.removeCredential(c.id).then(reload, fail(t));
                }}
              >
                {t('md.creds.remove')}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Enrolling a card, PIN, plate or face template; a drawn PIN goes to `enrolled` to be shown once. */
function EnrolForm({ residentId, enrolled, close }: { residentId: string; enrolled: (pin: string | null) => void; close: () => void }) {
  const t = useT();
  const [type, setType] = useState<EnrolType>('card');
  const [value, setValue] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const add = async (e: Event) => {
    e.preventDefault();
    const parsed = CredentialEnrolBody.safeParse(enrolBody(type, value));
    // Every type's value field is shown in the one "value" input.
    if (!parsed.success) return setErrors({ value: Object.values(fieldErrors(parsed.error.issues))[0] ?? '' });
    setErrors({});
    try {
      const r = await dataApi.enrol(residentId, parsed.data);
      setValue('');
      enrolled(r.pin ?? null);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 400 || err.status === 409)) setErrors({ value: err.issues[0]?.message ?? err.message });
      else fail(t)(err);
    }
  };
  return (
    <form class="form-grid" onSubmit={(e) => void add(e)}>
      <label class="field">
        <span>{t('md.creds.type')}</span>
        <select name="type" value={type} onChange={(e) => setType(TYPES.find((x) => x === e.currentTarget.value) ?? 'card')}>
          {TYPES.map((x) => (
            <option key={x} value={x}>
              {t.e.credential[x]}
            </option>
          ))}
        </select>
      </label>
      {type !== 'pin' && (
        <label class="field">
          <span>{t('md.creds.value')}</span>
          <input name="value" value={value} onInput={(e) => setValue(e.currentTarget.value)} aria-invalid={errors.value ? 'true' : undefined} />
          <FieldError name="value" errors={errors} />
        </label>
      )}
      <div class="dialog-actions">
        <button class="btn btn-lg btn-primary" type="submit">
          {t('md.creds.add')}
        </button>
        <button class="btn btn-lg" type="button" onClick={close}>
          {t('common.close')}
        </button>
      </div>
    </form>
  );
}

/** A resident's door credentials: list (hints only), enrol a card, PIN, plate or face template, suspend, remove. */
export function Credentials({ resident, close }: { resident: AdminResidentView; close: () => void }) {
  const t = useT();
  const [list, reload] = useLoad(() => dataApi.credentials(resident.id), `creds:${resident.id}`);
  const [pin, setPin] = useState<string | null>(null);
  return (
    <section class="card admin-form" data-testid="credentials" data-resident={resident.id}>
      <h2>{t('md.creds.title', { name: resident.name })}</h2>
      {pin && (
        <p class="secret-value" data-testid="new-pin">
          {t('md.creds.pin', { pin })}
        </p>
      )}
      {list.state === 'ok' && list.value.credentials.length === 0 && <p class="muted">{t('md.creds.none')}</p>}
      {list.state === 'ok' && list.value.credentials.length > 0 && <CredentialTable credentials={list.value.credentials} reload={reload} />}
      <EnrolForm
        residentId={resident.id}
        enrolled={(p) => {
          setPin(p);
          reload();
        }}
        close={close}
      />
    </section>
  );
}
