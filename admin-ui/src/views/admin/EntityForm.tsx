import { useState } from 'preact/hooks';
import { fieldErrors } from '../../admin-api';
import { ApiError } from '../../api';
import { type MessageKey, useT } from '../../i18n';
import { toast } from '../../ui-state';
import { FieldError } from '../../components/FieldError';
import type { Entity, EntityKey, FieldSpec, Row } from './entities';

/** The master data form (MasterData.tsx): create or edit one row of a collection, fields as entities.ts names them. */

export type Form = Record<string, string>;
export type Choices = Partial<Record<EntityKey, Array<{ id: string; label: string }>>>;
type Errors = Record<string, string>;

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
function apiErrors(err: ApiError): Errors {
  if (err.issues.length === 0) return { _: err.message };
  return fieldErrors(err.issues.map((i) => ({ path: i.path.split('/').filter((p) => p !== ''), message: i.message })));
}

interface FormProps {
  entity: Entity;
  editing: Row | null;
  choices: Choices;
  preset: Form;
  done: (r: Row, created: boolean) => void;
  cancel: () => void;
}

/** The form's strings, its errors and its submit: checked with the collection's contract before anything is sent. */
function useEntityForm({ entity, editing, preset, done }: FormProps) {
  const t = useT();
  const blank = (): Form => {
    const f: Form = {};
    for (const field of entity.fields) f[field.key] = field.kind === 'select' ? (field.options?.[0] ?? '') : '';
    return { ...f, ...preset };
  };
  const [form, setForm] = useState<Form>(() => (editing ? { ...editing.values } : blank()));
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
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
      done(r, !editing);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 400 || err.status === 404 || err.status === 409)) setErrors(apiErrors(err));
      else toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
    } finally {
      setBusy(false);
    }
  };
  return { form, errors, busy, set, submit };
}

interface FieldProps {
  f: FieldSpec;
  value: string;
  errors: Errors;
  set: (k: string, v: string) => void;
}

/** 七彩图 tags and the like: one checkbox a tag, kept in the order the field lists them. */
function TagsField({ f, value, errors, set }: FieldProps) {
  const t = useT();
  const on = new Set(value === '' ? [] : value.split(','));
  return (
    <fieldset class="field md-tags">
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
      <FieldError name={f.key} errors={errors} />
    </fieldset>
  );
}

/** A fixed choice or a reference to another collection's row (a set-once one is locked when editing). */
function ChoiceField({ f, value, errors, set, choices, locked }: FieldProps & { choices: Choices; locked: boolean }) {
  const t = useT();
  const opts = f.kind === 'ref' ? (choices[f.ref ?? 'compounds'] ?? []) : (f.options ?? []).map((o) => ({ id: o, label: f.optionLabel ? f.optionLabel(t, o) : o }));
  return (
    <label class="field">
      <span>{t(f.label)}</span>
      <select name={f.key} value={value} disabled={locked} onChange={(e) => set(f.key, e.currentTarget.value)} aria-invalid={errors[f.key] ? 'true' : undefined}>
        {f.kind === 'ref' && <option value="">{f.empty ? t('md.none') : '—'}</option>}
        {opts.map((o) => (
          <option key={o.id} value={o.id}>
            {o.label}
          </option>
        ))}
      </select>
      <FieldError name={f.key} errors={errors} />
    </label>
  );
}

/** Text, number or date. */
function InputField({ f, value, errors, set }: FieldProps) {
  const t = useT();
  return (
    <label class="field">
      <span>{t(f.label)}</span>
      <input
        name={f.key}
        type={f.kind === 'number' ? 'number' : f.kind === 'date' ? 'date' : 'text'}
        step={f.kind === 'number' ? 'any' : undefined}
        value={value}
        placeholder={f.placeholder}
        onInput={(e) => set(f.key, e.currentTarget.value)}
        aria-invalid={errors[f.key] ? 'true' : undefined}
      />
      <FieldError name={f.key} errors={errors} />
    </label>
  );
}

export function EntityForm(props: FormProps) {
  const { entity, editing, choices } = props;
  const t = useT();
  const { form, errors, busy, set, submit } = useEntityForm(props);
  const what = t(`md.e.${entity.key}` as MessageKey);
  const field = (f: FieldSpec) => {
    const p = { f, value: form[f.key] ?? '', errors, set };
    if (f.kind === 'tags') return <TagsField key={f.key} {...p} />;
    if (f.kind === 'ref' || f.kind === 'select') return <ChoiceField key={f.key} {...p} choices={choices} locked={Boolean(editing && f.createOnly)} />;
    return <InputField key={f.key} {...p} />;
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
