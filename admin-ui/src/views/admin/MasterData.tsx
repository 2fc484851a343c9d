import { z } from 'zod';
import { useState } from 'preact/hooks';
import { dataApi } from '../../admin-data-api';
import { ApiError } from '../../api';
import { useLoad } from '../../hooks';
import { type MessageKey, type Translate, useT } from '../../i18n';
import { Link, usePath } from '../../router';
import { toast } from '../../ui-state';
import { Credentials } from './Credentials';
import { ENTITIES, ENTITY_KEYS, type Entity, type EntityKey, type RefLabel, type Row, isEntityKey } from './entities';
import { type Choices, EntityForm } from './EntityForm';
import { EntityTable, type RowActions } from './EntityTable';

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

/** The rows' buttons: (de)activate, delete (a 409 names what still refers to the row), a resident's consent and move-out. */
function useRowActions(entity: Entity, refresh: () => void, editing: Row | null, setEditing: (r: Row | null) => void, setCreds: (r: Row) => void) {
  const t = useT();
  const [conflict, setConflict] = useState<string | null>(null);
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
  const act: RowActions = { edit: setEditing, setActive, credentials: setCreds, consent, moveOut, remove };
  return { act, conflict, setConflict };
}

/** The parent filter (a building's units, a unit's households…): all, or one parent. */
function ParentFilter({ entity, choices, filter, setFilter }: { entity: Entity; choices: Choices; filter: string; setFilter: (v: string) => void }) {
  const t = useT();
  if (!entity.filter) return null;
  return (
    <label class="field md-filter">
      <span>
        {t('md.filter')}: {t(`md.f.${entity.filter.param}` as MessageKey)}
      </span>
      <select name="filter" value={filter} onChange={(e) => setFilter(e.currentTarget.value)}>
        <option value="">{t('md.all')}</option>
        {(choices[entity.filter.ref] ?? []).map((c) => (
          <option key={c.id} value={c.id}>
            {c.label}
          </option>
        ))}
      </select>
    </label>
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
  const [creds, setCreds] = useState<Row | null>(null);
  const refresh = () => {
    setNonce((n) => n + 1);
    reload();
  };
  const { act, conflict, setConflict } = useRowActions(entity, refresh, editing, setEditing, setCreds);
  const ch: Choices = choices.state === 'ok' ? choices.value : {};
  const ref: RefLabel = (k, id) => (id === null ? '–' : (ch[k]?.find((c) => c.id === id)?.label ?? id));

  const list = rows.state === 'ok' ? rows.value : [];
  return (
    <>
      <EntityForm
        key={`${entity.key}:${editing?.id ?? 'new'}`}
        entity={entity}
        editing={editing}
        choices={ch}
        preset={query}
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
      <ParentFilter entity={entity} choices={ch} filter={filter} setFilter={setFilter} />
      {rows.state !== 'ok' ? (
        <p class="muted">{rows.state === 'loading' ? t('common.loading') : t('common.error', { msg: rows.message })}</p>
      ) : list.length === 0 ? (
        <p class="muted">{t('md.empty')}</p>
      ) : (
        <EntityTable entity={entity} list={list} refLabel={ref} act={act} />
      )}
    </>
  );
}

const REF_KEYS = ['buildings', 'units', 'households', 'residents', 'devices', 'grids', 'contacts', 'credentials', 'users', 'visitorPasses', 'accessEvents', 'alerts'] as const;
type RefKey = (typeof REF_KEYS)[number];
const isRefKey = (k: string): k is RefKey => (REF_KEYS as readonly string[]).includes(k);
