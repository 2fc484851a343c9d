import { useT } from '../../i18n';
import type { Entity, RefLabel, Row } from './entities';

/** The master data table (MasterData.tsx): a row a record, its status pill and what can be done with it. */

/** At most this many rows are drawn; the parent filter narrows a big compound down. */
const SHOWN = 500;

/** What a row's buttons do (MasterData.tsx's useRowActions). */
export interface RowActions {
  edit: (r: Row) => void;
  setActive: (r: Row, active: boolean) => Promise<void>;
  credentials: (r: Row) => void;
  consent: (r: Row) => Promise<void>;
  moveOut: (r: Row) => Promise<void>;
  remove: (r: Row) => Promise<void>;
}

function StatusPill({ r }: { r: Row }) {
  const t = useT();
  return r.status ? (
    <span class={`pill ${r.status.tone}`}>{t(r.status.label)}</span>
  ) : (
    <span class={`pill ${r.active ? 'pill-ok' : 'pill-muted'}`}>{r.active ? t('md.active') : t('md.inactive')}</span>
  );
}

/** Edit and (de)activate while the record is live; a resident's credentials, face consent and move-out; delete. */
function RowButtons({ r, act }: { r: Row; act: RowActions }) {
  const t = useT();
  return (
    <td class="row-actions">
      {r.resident?.status !== 'moved_out' && (
        <>
          <button class="btn btn-sm" data-action="edit" onClick={() => act.edit(r)}>
            {t('md.edit')}
          </button>
          <button class="btn btn-sm" data-action={r.active ? 'deactivate' : 'activate'} onClick={() => void act.setActive(r, !r.active)}>
            {r.active ? t('md.deactivate') : t('md.activate')}
          </button>
        </>
      )}
      {r.resident && r.resident.status !== 'moved_out' && (
        <>
          <button class="btn btn-sm" data-action="credentials" onClick={() => act.credentials(r)}>
            {t('md.creds')}
          </button>
          <button class="btn btn-sm" data-action="consent" onClick={() => void act.consent(r)}>
            {r.resident.faceConsent ? t('md.consent.withdraw') : t('md.consent.record')}
          </button>
          <button class="btn btn-sm" data-action="move-out" onClick={() => void act.moveOut(r)}>
            {t('md.moveOut')}
          </button>
        </>
      )}
      <button class="btn btn-sm" data-action="delete" onClick={() => void act.remove(r)}>
        {t('md.delete')}
      </button>
    </td>
  );
}

export function EntityTable({ entity, list, refLabel, act }: { entity: Entity; list: Row[]; refLabel: RefLabel; act: RowActions }) {
  const t = useT();
  return (
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
              {r.cells(t, refLabel).map((c, i) => (
                <td key={i}>{c}</td>
              ))}
              <td>
                <StatusPill r={r} />
              </td>
              <RowButtons r={r} act={act} />
            </tr>
          ))}
        </tbody>
      </table>
      {list.length > SHOWN && <p class="muted">{t('md.more', { n: SHOWN, total: list.length })}</p>}
    </>
  );
}
