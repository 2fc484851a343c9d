import { z } from 'zod';
import { useState } from 'preact/hooks';
import { dataApi } from '../../admin-data-api';
import { fieldErrors } from '../../admin-api';
import { ApiError } from '../../api';
import { useLoad } from '../../hooks';
import { type MessageKey, type Translate, useT } from '../../i18n';
import { Link, usePath } from '../../router';
import { toast } from '../../ui-state';
import { Credentials } from './Credentials';
import { ENTITIES, ENTITY_KEYS, type Entity, type EntityKey, type FieldSpec, type RefLabel, type Row, isEntityKey } from './entities';
import { FieldError } from '../../components/FieldError';

/** At most this many rows are drawn; the parent filter narrows a big compound down. */
const SHOWN = 500;

type Form = Record<string, string>;
type Choices = Partial<Record<EntityKey, Array<{ id: string; label: string }>>>;

const ReferencedBy = z.object({ referencedBy: z.record(z.string(), z.number().int()) });

/** The collections a page needs as choices: its reference fields and its filter. */
function refsOf(e: Entity): EntityKey[] {
  const keys = new Set<EntityKey>();
  for (const f of e.fields) if (f.ref) keys.add(f.ref);
  if (e.filter) keys.add(e.filter.ref);
  return [...keys];
}

/** Choices for reference fields, labelled as an office reads them (a unit as "3号楼 2单元", a household as 3-2-501). */
async function loadChoices(keys: EntityKey[], t: Translate): Promise<Choices> {
  const out: Choices = {};
  const rows = async (k: EntityKey) => ENTITIES[k].load({});
  for (const k of keys) {
    if (k === 'units') {
      const [bs, us] = await Promise.all([rows('buildings'), rows('units')]);
      const bName = new Map(bs.map((b) => [b.id, b.name]));
      out.units = us.map((u) => ({ id: u.id, label: t('md.unitLabel', { building: bName.get(u.values.buildingId ?? '') ?? '?', n: u.name }) }));
    } else out[k] = (await rows(k)).map((r) => ({ id: r.id, label: r.name }));
  }
  return out;
}

/** Form strings → the body the contract checks: numbers as numbers, empty fields left out or null, tags as a list. */
function toBody(fields: readonly FieldSpec[], form: Form, initial: Form | null): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of fields) {
    if (initial && f.createOnly) continue;
    const s = (form[f.key] ?? '').trim();
    if (initial && s === (initial[f.key] ?? '')) continue;
    if (f.kind === 'tags') {
      body[f.key] = s === '' ? [] : s.split(',');
      continue;
    }
    if (s === '') {
      if (f.empty === 'null') body[f.key] = null;
      else if (f.empty === 'omit' || initial) continue;
      else body[f.key] = f.kind === 'number' ? undefined : '';
      continue;
    }
    if (f.kind === 'number') body[f.key] = Number(s);
    else if (f.kind === 'date') body[f.key] = new Date(`${s}T00:00:00`).toISOString();
    else body[f.key] = s;
  }
  return body;
}

/** The API's field issues (`/timezone`) as field → message; the rest under "_" (shown above the form). */
function apiErrors(err: ApiError): Record<string, string> {
  if (err.issues.length === 0) return { _: err.message };
  return fieldErrors(err.issues.map((i) => ({ path: i.path.split('/').filter((p) => p !== ''), message: i.message })));
}

/**
 * Master data (/admin/data/<collection>): one list + form page for compounds, buildings, units, grids, households,
 * residents and escalation contacts, driven by entities.ts. Create and edit validate with the API's zod contracts and
 * show errors beside their fields; rows can be deactivated, activated and deleted (a 409 says what still refers to
 * the row). Residents also get their credentials, paper face consent and the move-out.
 */
export function MasterData() {
  const t = useT();
  const seg = usePath()[2] ?? 'compounds';
  const key: EntityKey = isEntityKey(seg) ? seg : 'compounds';
  return (
    <div class="admin-page" data-testid="master-data" data-entity={key}>
      <h1 class="view-title">{t('md.title')}</h1>
      <nav class="md-tabs" aria-label={t('md.title')}>
        {ENTITY_KEYS.map((k) => (
          <Link key={k} href={`/admin/data/${k}`} class={`btn btn-sm ${k === key ? 'btn-primary' : ''}`} aria-current={k === key ? 'page' : undefined} data-tab={k}>
            {t(`md.e.${k}` as MessageKey)}
          </Link>
        ))}
      </nav>
      <Collection key={key} entity={ENTITIES[key]} />
    </div>
  );
}

function Collection({ entity }: { entity: Entity }) {
  const t = useT();
  const [filter, setFilter] = useState('');
  const [nonce, setNonce] = useState(0);
  const query = entity.filter && filter !== '' ? { [entity.filter.param]: filter } : {};
  const [rows, reload] = useLoad(() => entity.load(query), `${entity.key}:${filter}:${nonce}`);
  const [choices] = useLoad(() => loadChoices(refsOf(entity), t), `${entity.key}:refs:${nonce}`);
  const [editing, setEditing] = useState<Row | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  const [creds, setCreds] = useState<Row | null>(null);
  const refresh = () => {
    setNonce((n) => n + 1);
    reload();
  };
  const ch: Choices = choices.state === 'ok' ? choices.value : {};
  const ref: RefLabel = (k, id) => (id === null ? '–' : (ch[k]?.find((c) => c.id === id)?.label ?? id));
  const fail = (err: unknown) => toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
  const setActive = async (r: Row, active: boolean) => {
    if (!active && !window.confirm(t('md.deactivateConfirm', { name: r.name }))) return;
    await entity.patch(r.id, { active }).then(refresh, fail);
  };
  const remove = async (r: Row) => {
    if (!window.confirm(t('md.deleteConfirm', { name: r.name }))) return;
    setConflict(null);
    try {
      await dataApi.remove(entity.key, r.id);
      toast(t('md.deleted', { what: t(`md.e.${entity.key}` as MessageKey), name: r.name }), 'ok');
      if (editing?.id === r.id) setEditing(null);
      refresh();
    } catch (err) {
      const refs = err instanceof ApiError && err.status === 409 ? ReferencedBy.safeParse(err.details) : null;
      if (refs?.success) {
        const words = Object.entries(refs.data.referencedBy).map(([k, n]) => (isRefKey(k) ? t(`md.ref.${k}`, { n }) : `${n} ${k}`));
        setConflict(t('md.inUse', { name: r.name, refs: words.join('、') }));
      } else fail(err);
    }
  };
  const consent = async (r: Row) => {
    const res = r.resident;
    if (!res) return;
    if (res.faceConsent) {
      if (!window.confirm(t('md.consent.withdrawConfirm', { name: r.name }))) return;
      await dataApi.faceConsent(r.id, { consent: false }).then(refresh, fail);
      return;
    }
    const paperFormRef = window.prompt(t('md.consent.ask'))?.trim();
    if (!paperFormRef) return;
    await dataApi.faceConsent(r.id, { consent: true, paperFormRef }).then(refresh, fail);
  };
  const moveOut = async (r: Row) => {
    if (!window.confirm(t('md.moveOutConfirm', { name: r.name }))) return;
    await dataApi.moveOut(r.id).then(refresh, fail);
  };

  const list = rows.state === 'ok' ? rows.value : [];
  return (
    <>
      <EntityForm
        key={`${entity.key}:${editing?.id ?? 'new'}`}
        entity={entity}
        editing={editing}
        choices={ch}
        preset={entity.filter && filter !== '' ? { [entity.filter.param]: filter } : {}}
        done={(r, created) => {
          toast(t(created ? 'md.created' : 'md.saved', { what: t(`md.e.${entity.key}` as MessageKey), name: r.name }), 'ok');
          setEditing(null);
          refresh();
        }}
        cancel={() => setEditing(null)}
      />
      {conflict && (
        <div class="card md-conflict" role="alert" data-testid="md-conflict">
          <span>{conflict}</span>
          <button class="btn btn-sm" onClick={() => setConflict(null)}>
            {t('common.close')}
          </button>
        </div>
      )}
      {creds?.resident && <Credentials resident={creds.resident} close={() => setCreds(null)} />}
      {entity.filter && (
        <label class="field md-filter">
          <span>
            {t('md.filter')}: {t(`md.f.${entity.filter.param}` as MessageKey)}
          </span>
          <select name="filter" value={filter} onChange={(e) => setFilter(e.currentTarget.value)}>
            <option value="">{t('md.all')}</option>
            {(ch[entity.filter.ref] ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
      )}
      {rows.state !== 'ok' ? (
        <p class="muted">{rows.state === 'loading' ? t('common.loading') : t('common.error', { msg: rows.message })}</p>
      ) : list.length === 0 ? (
        <p class="muted">{t('md.empty')}</p>
      ) : (
        <>
          <table class="table" data-testid="md-table">
            <thead>
              <tr>
                {entity.columns.map((c) => (
                  <th key={c}>{t(c)}</th>
                ))}
                <th>{t('md.f.status')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.slice(0, SHOWN).map((r) => (
                <tr key={r.id} data-row={r.id} data-name={r.name} class={r.active ? '' : 'row-inactive'}>
                  {r.cells(t, ref).map((c, i) => (
                    <td key={i}>{c}</td>
                  ))}
                  <td>
                    {r.status ? (
                      <span class={`pill ${r.status.tone}`}>{t(r.status.label)}</span>
                    ) : (
                      <span class={`pill ${r.active ? 'pill-ok' : 'pill-muted'}`}>{r.active ? t('md.active') : t('md.inactive')}</span>
                    )}
                  </td>
                  <td class="row-actions">
                    {r.resident?.status !== 'moved_out' && (
                      <>
                        <button class="btn btn-sm" data-action="edit" onClick={() => setEditing(r)}>
                          {t('md.edit')}
                        </button>
                        <button class="btn btn-sm" data-action={r.active ? 'deactivate' : 'activate'} onClick={() => void setActive(r, !r.active)}>
                          {r.active ? t('md.deactivate') : t('md.activate')}
                        </button>
                      </>
                    )}
                    {r.resident && r.resident.status !== 'moved_out' && (
                      <>
                        <button class="btn btn-sm" data-action="credentials" onClick={() => setCreds(r)}>
                          {t('md.creds')}
                        </button>
                        <button class="btn btn-sm" data-action="consent" onClick={() => void consent(r)}>
                          {r.resident.faceConsent ? t('md.consent.withdraw') : t('md.consent.record')}
                        </button>
                        <button class="btn btn-sm" data-action="move-out" onClick={() => void moveOut(r)}>
                          {t('md.moveOut')}
                        </button>
                      </>
                    )}
                    <button class="btn btn-sm" data-action="delete" onClick={() => void remove(r)}>
                      {t('md.delete')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.length > SHOWN && <p class="muted">{t('md.more', { n: SHOWN, total: list.length })}</p>}
        </>
      )}
    </>
  );
}

const REF_KEYS = ['buildings', 'units', 'households', 'residents', 'devices', 'grids', 'contacts', 'credentials', 'users', 'visitorPasses', 'accessEvents', 'alerts'] as const;
type RefKey = (typeof REF_KEYS)[number];
const isRefKey = (k: string): k is RefKey => (REF_KEYS as readonly string[]).includes(k);

function EntityForm(props: {
  entity: Entity;
  editing: Row | null;
  choices: Choices;
  preset: Form;
  done: (r: Row, created: boolean) => void;
  cancel: () => void;
}) {
  const { entity, editing, choices } = props;
  const t = useT();
  const blank = (): Form => {
    const f: Form = {};
    for (const field of entity.fields) f[field.key] = field.kind === 'select' ? (field.options?.[0] ?? '') : '';
    return { ...f, ...props.preset };
  };
  const [form, setForm] = useState<Form>(() => (editing ? { ...editing.values } : blank()));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const what = t(`md.e.${entity.key}` as MessageKey);
  const set = (k: string, v: string) => setForm((f) => ({ ...f, [k]: v }));

  const submit = async (e: Event) => {
    e.preventDefault();
    const body = toBody(entity.fields, form, editing ? editing.values : null);
    if (editing && Object.keys(body).length === 0) return toast(t('md.nothingChanged'), 'ok');
    const parsed = (editing ? entity.patchSchema : entity.createSchema).safeParse(body);
    if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
    setErrors({});
    setBusy(true);
    try {
      const r = editing ? await entity.patch(editing.id, parsed.data) : await entity.create(parsed.data);
      if (!editing) setForm(blank());
      props.done(r, !editing);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 400 || err.status === 404 || err.status === 409)) setErrors(apiErrors(err));
      else toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
    } finally {
      setBusy(false);
    }
  };

  const err = (k: string) => <FieldError name={k} errors={errors} />;
  const field = (f: FieldSpec) => {
    const v = form[f.key] ?? '';
    const invalid = errors[f.key] ? 'true' : undefined;
    if (f.kind === 'tags') {
      const on = new Set(v === '' ? [] : v.split(','));
      return (
        <fieldset class="field md-tags" key={f.key}>
          <legend>{t(f.label)}</legend>
          {(f.options ?? []).map((o) => (
            <label key={o} class="md-tag">
              <input
                type="checkbox"
                name={`${f.key}.${o}`}
                checked={on.has(o)}
                onChange={(e) => {
                  const next = new Set(on);
                  if (e.currentTarget.checked) next.add(o);
                  else next.delete(o);
                  set(f.key, (f.options ?? []).filter((x) => next.has(x)).join(','));
                }}
              />
              {f.optionLabel ? f.optionLabel(t, o) : o}
            </label>
          ))}
          {err(f.key)}
        </fieldset>
      );
    }
    if (f.kind === 'ref' || f.kind === 'select') {
      const opts = f.kind === 'ref' ? (choices[f.ref ?? 'compounds'] ?? []) : (f.options ?? []).map((o) => ({ id: o, label: f.optionLabel ? f.optionLabel(t, o) : o }));
      return (
        <label class="field" key={f.key}>
          <span>{t(f.label)}</span>
          <select name={f.key} value={v} disabled={Boolean(editing && f.createOnly)} onChange={(e) => set(f.key, e.currentTarget.value)} aria-invalid={invalid}>
            {f.kind === 'ref' && <option value="">{f.empty ? t('md.none') : '—'}</option>}
            {opts.map((o) => (
              <option key={o.id} value={o.id}>
                {o.label}
              </option>
            ))}
          </select>
          {err(f.key)}
        </label>
      );
    }
    return (
      <label class="field" key={f.key}>
        <span>{t(f.label)}</span>
        <input
          name={f.key}
          type={f.kind === 'number' ? 'number' : f.kind === 'date' ? 'date' : 'text'}
          step={f.kind === 'number' ? 'any' : undefined}
          value={v}
          placeholder={f.placeholder}
          onInput={(e) => set(f.key, e.currentTarget.value)}
          aria-invalid={invalid}
        />
        {err(f.key)}
      </label>
    );
  };

  return (
    <form class="card admin-form" onSubmit={(e) => void submit(e)} data-testid="md-form" data-mode={editing ? 'edit' : 'create'}>
      <h2>{editing ? t('md.editing', { what, name: editing.name }) : t('md.new', { what })}</h2>
      {errors._ && (
        <p class="error-text" data-error-for="_">
          {errors._}
        </p>
      )}
      <div class="form-grid">{entity.fields.map(field)}</div>
      <div class="dialog-actions">
        <button class="btn btn-lg btn-primary" type="submit" disabled={busy}>
          {editing ? t('md.save') : t('md.create')}
        </button>
        {editing && (
          <button class="btn btn-lg" type="button" onClick={props.cancel}>
            {t('md.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
