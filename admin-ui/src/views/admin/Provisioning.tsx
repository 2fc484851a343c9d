import { DeviceKind, PlaceKind } from '@linli/gateway/contracts';
import { Criticality, DeviceCreateBody, type DeviceAdminView, type DeviceSecretReply } from '@linli/gateway/contracts/api/devices';
import { useState } from 'preact/hooks';
import { adminApi, fieldErrors } from '../../admin-api';
import { ApiError } from '../../api';
import { LoadedTable } from '../../components/LoadedTable';
import { dateTime } from '../../format';
import { useLoad } from '../../hooks';
import { type MessageKey, useT } from '../../i18n';
import { toast } from '../../ui-state';
import { FieldError } from '../../components/FieldError';

const STATUS_TONE = { active: 'pill-ok', disabled: 'pill-warn', decommissioned: 'pill-muted' } as const;

/** Offers the provisioning file as a download (it exists only in this page's memory: the gateway keeps no copy). */
function download(r: DeviceSecretReply): void {
  const url = URL.createObjectURL(new Blob([`${JSON.stringify(r.file, null, 2)}\n`], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = r.fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Device provisioning: create (the secret once, as a file and a QR code), rotate, disable, enable, decommission. */
export function Provisioning() {
  const t = useT();
  const [list, reload] = useLoad(() => adminApi.devices(), 'devices', 20_000);
  const [secret, setSecret] = useState<DeviceSecretReply | null>(null);
  const fail = (err: unknown) => toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
  const shown = (r: DeviceSecretReply) => {
    setSecret(r);
    reload();
  };

  const rotate = async (d: DeviceAdminView) => {
    if (!window.confirm(t('dev.rotateConfirm', { id: d.id }))) return;
    await adminApi.rotate(d.id).then(shown, fail);
  };
  const toggle = async (d: DeviceAdminView) => adminApi.patchDevice(d.id, { enabled: d.status !== 'active' }).then(reload, fail);
  const decommission = async (d: DeviceAdminView) => {
    if (!window.confirm(t('dev.decommissionConfirm', { id: d.id }))) return;
    await adminApi.decommission(d.id).then(reload, fail);
  };

  return (
    <div class="admin-page" data-testid="provisioning">
      <h1 class="view-title">{t('dev.title')}</h1>
      <NewDevice created={shown} />
      {secret && <SecretPanel r={secret} close={() => setSecret(null)} />}
      <LoadedTable
        loaded={list}
        rows={(v) => v.devices}
        head={[t('dev.id'), t('dev.name'), t('dev.kind'), t('dev.status'), t('dev.lastSeen'), t('dev.firmware'), t('dev.drift'), t('dev.supervision'), null]}
        row={(d) => (
          <tr key={d.id} data-device={d.id}>
            <td>{d.id}</td>
            <td>{d.name}</td>
            <td>{t.e.deviceKind[d.kind]}</td>
            <td>
              <span class={`pill ${STATUS_TONE[d.status]}`}>{t(`dev.status.${d.status}` as MessageKey)}</span>{' '}
              {d.status === 'active' && <span class={`pill ${d.online ? 'pill-ok' : 'pill-muted'}`}>{d.online ? t('dev.online') : t('dev.offline')}</span>}
            </td>
            <td class="num">{d.lastSeenAt ? dateTime(d.lastSeenAt) : t('dev.never')}</td>
            <td>{d.firmware ?? '–'}</td>
            <td class="num">{d.clockDriftSec === null ? '–' : t('dev.sec', { n: d.clockDriftSec })}</td>
            <td class="num">{t('dev.sec', { n: d.supervisionSec })}</td>
            <td class="row-actions">
              {d.status !== 'decommissioned' && (
                <>
                  <button class="btn btn-sm" data-action="rotate" onClick={() => void rotate(d)}>
                    {t('dev.rotate')}
                  </button>
                  <button class="btn btn-sm" data-action="toggle" onClick={() => void toggle(d)}>
                    {d.status === 'active' ? t('dev.disable') : t('dev.enable')}
                  </button>
                  <button class="btn btn-sm" data-action="decommission" onClick={() => void decommission(d)}>
                    {t('dev.decommission')}
                  </button>
                </>
              )}
            </td>
          </tr>
        )}
      />
    </div>
  );
}

function SecretPanel({ r, close }: { r: DeviceSecretReply; close: () => void }) {
  const t = useT();
  return (
    <section class="card secret-panel" role="alert" data-testid="device-secret">
      <div class="secret-text">
        <h2>{t('dev.secretTitle', { id: r.device.id })}</h2>
        <p>{t('dev.secretOnce')}</p>
        <code class="secret-value" data-testid="secret-value">
          {r.secret}
        </code>
        <div class="dialog-actions">
          <button class="btn btn-lg btn-primary" data-action="download" onClick={() => download(r)}>
            {t('dev.download')}
          </button>
          <button class="btn btn-lg" onClick={close}>
            {t('common.close')}
          </button>
        </div>
      </div>
      <img class="secret-qr" src={r.qr.image} alt={`QR ${r.device.id}`} width={240} height={240} data-testid="secret-qr" />
    </section>
  );
}

const EMPTY = { id: '', kind: 'face_terminal', name: '', communityId: '', placeKind: 'main_gate', buildingId: '', unitId: '', householdId: '', x: '0', y: '0', criticality: '' };

/** The form's strings as the body DeviceCreateBody checks: ids trimmed, empty place ids and criticality left out. */
function deviceBody(form: typeof EMPTY): Record<string, unknown> {
  const opt = (k: 'buildingId' | 'unitId' | 'householdId') => (form[k].trim() !== '' ? { [k]: form[k].trim() } : {});
  return {
    id: form.id.trim(),
    kind: form.kind,
    name: form.name,
    communityId: form.communityId.trim(),
    placeKind: form.placeKind,
    ...opt('buildingId'),
    ...opt('unitId'),
    ...opt('householdId'),
    x: Number(form.x),
    y: Number(form.y),
    ...(form.criticality !== '' ? { criticality: form.criticality } : {}),
  };
}

function NewDevice({ created }: { created: (r: DeviceSecretReply) => void }) {
  const t = useT();
  const [form, setForm] = useState(EMPTY);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [k]: e.currentTarget.value });

  const submit = async (e: Event) => {
    e.preventDefault();
    const parsed = DeviceCreateBody.safeParse(deviceBody(form));
    if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
    setErrors({});
    setBusy(true);
    try {
      created(await adminApi.createDevice(parsed.data));
      setForm({ ...EMPTY, communityId: form.communityId, kind: form.kind, placeKind: form.placeKind });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 400 || err.status === 409)) {
        const d = err.details;
        const path = typeof d === 'object' && d !== null && 'path' in d && typeof d.path === 'string' ? d.path : 'id';
        setErrors({ [path]: err.message });
      } else toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
    } finally {
      setBusy(false);
    }
  };

  const err = (k: string) => <FieldError name={k} errors={errors} />;
  const input = (k: keyof typeof form, label: MessageKey, type = 'text') => (
    <label class="field">
      <span>{t(label)}</span>
      <input name={k} type={type} step={type === 'number' ? 'any' : undefined} value={form[k]} onInput={set(k)} aria-invalid={errors[k] ? 'true' : undefined} />
      {err(k)}
    </label>
  );
  const select = (k: keyof typeof form, label: MessageKey, options: Array<[string, string]>) => (
    <label class="field">
      <span>{t(label)}</span>
      <select name={k} value={form[k]} onChange={set(k)}>
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
      {err(k)}
    </label>
  );
  return (
    <form class="card admin-form" onSubmit={(e) => void submit(e)} data-testid="new-device">
      <h2>{t('dev.new')}</h2>
      <div class="form-grid">
        {input('id', 'dev.id')}
        {select('kind', 'dev.kind', DeviceKind.options.map((k) => [k, t.e.deviceKind[k]]))}
        {input('name', 'dev.name')}
        {input('communityId', 'dev.communityId')}
        {select('placeKind', 'dev.placeKind', PlaceKind.options.map((k) => [k, t.e.placeKind[k]]))}
        {input('buildingId', 'dev.buildingId')}
        {input('unitId', 'dev.unitId')}
        {input('householdId', 'dev.householdId')}
        {select('criticality', 'dev.criticality', [['', t('dev.crit.default')], ...Criticality.options.map((c): [string, string] => [c, t(`dev.crit.${c}` as MessageKey)])])}
        {input('x', 'dev.x', 'number')}
        {input('y', 'dev.y', 'number')}
      </div>
      <div class="dialog-actions">
        <button class="btn btn-lg btn-primary" type="submit" disabled={busy}>
          {t('dev.create')}
        </button>
      </div>
    </form>
  );
}
