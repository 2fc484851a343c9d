import { GridList } from '@linli/gateway/contracts/api/admin';
import { GridWorkerList } from '@linli/gateway/contracts/api/field';
import { UserList, type UserView } from '@linli/gateway/contracts/api/users';
import { z } from 'zod';
import { useState } from 'preact/hooks';
import { ApiError, call } from '../../api';
import { useLoad } from '../../hooks';
import { useT } from '../../i18n';
import { toast } from '../../ui-state';

const enc = encodeURIComponent;
const gridApi = {
  grids: () => call(GridList, 'GET', '/api/v1/admin/grids'),
  workers: (gridId: string) => call(GridWorkerList, 'GET', `/api/v1/field/grids/${enc(gridId)}/workers`),
  add: (gridId: string, username: string) => call(GridWorkerList, 'POST', `/api/v1/field/grids/${enc(gridId)}/workers`, { username }),
  remove: (gridId: string, userId: string) => call(z.null(), 'DELETE', `/api/v1/field/grids/${enc(gridId)}/workers/${enc(userId)}`),
  /** Admins only (a property manager types the user name). */
  fieldAccounts: () => call(UserList, 'GET', '/api/v1/users?role=grid_worker'),
};

type Worker = z.infer<typeof GridWorkerList>['workers'][number];

function WorkerTable({ workers, remove }: { workers: Worker[]; remove: (w: Worker) => void }) {
  const t = useT();
  return (
    <table class="table" data-testid="grid-worker-list">
      <thead>
        <tr>
          <th>{t('gridWorkers.name')}</th>
          <th>{t('gridWorkers.username')}</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {workers.length === 0 && (
          <tr>
            <td colSpan={3} class="muted">
              {t('gridWorkers.none')}
            </td>
          </tr>
        )}
        {workers.map((w) => (
          <tr key={w.userId} data-worker={w.username}>
            <td>
              <b>{w.displayName}</b>
            </td>
            <td>{w.username}</td>
            <td class="row-actions">
              <button class="btn btn-sm" data-action="remove-worker" onClick={() => remove(w)}>
                {t('gridWorkers.remove')}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Adding a grid_worker account by name (the names of every such account offered as you type). */
function AddWorker({ gridId, accounts, added }: { gridId: string | null; accounts: UserView[]; added: () => void }) {
  const t = useT();
  const [username, setUsername] = useState('');
  const [error, setError] = useState<string | null>(null);
  const add = async (e: Event) => {
    e.preventDefault();
    if (!gridId || !username.trim()) return;
    setError(null);
    try {
      await gridApi.add(gridId, username.trim());
      setUsername('');
      added();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  return (
    <form class="card admin-form" onSubmit={(e) => void add(e)} data-testid="grid-worker-add">
      <label class="field">
        <span>{t('gridWorkers.add')}</span>
        <input name="username" list="grid-worker-accounts" value={username} maxLength={64} placeholder="gw-…" onInput={(e) => setUsername(e.currentTarget.value)} required />
      </label>
      <datalist id="grid-worker-accounts">
        {accounts.map((u) => <option key={u.id} value={u.username}>{u.displayName}</option>)}
      </datalist>
      {error && <p class="error-text">{error}</p>}
      <button class="btn btn-lg btn-primary" type="submit" data-action="add-worker">
        {t('gridWorkers.addSubmit')}
      </button>
    </form>
  );
}

/**
 * Grid workers (网格员) per grid (issue 16, item 6's administration): which grid_worker accounts receive a grid's
 * escalated cases on the phone app. Adds and removes through /api/v1/field/grids/{id}/workers (audited there).
 */
export function GridWorkers() {
  const t = useT();
  const [grids] = useLoad(() => gridApi.grids(), 'grid-workers:grids');
  const [accounts] = useLoad(() => gridApi.fieldAccounts().catch(() => ({ users: [] })), 'grid-workers:accounts');
  const [gridId, setGridId] = useState<string | null>(null);
  const chosen = gridId ?? (grids.state === 'ok' ? (grids.value.grids[0]?.id ?? null) : null);
  const [workers, reload] = useLoad(() => (chosen ? gridApi.workers(chosen) : Promise.resolve({ workers: [] })), `grid-workers:${chosen ?? ''}`);

  const remove = async (userId: string, name: string) => {
    if (!chosen) return;
    try {
      await gridApi.remove(chosen, userId);
      toast(t('gridWorkers.removed', { name }));
      reload();
    } catch (err) {
      toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
    }
  };

  return (
    <div class="admin-page" data-testid="grid-workers">
      <h1 class="view-title">{t('gridWorkers.title')}</h1>
      <p class="muted">{t('gridWorkers.hint')}</p>
      {grids.state !== 'ok' ? (
        <p class="muted">{grids.state === 'loading' ? t('common.loading') : t('common.error', { msg: grids.message })}</p>
      ) : grids.value.grids.length === 0 ? (
        <p class="muted">{t('gridWorkers.noGrids')}</p>
      ) : (
        <>
          <label class="field">
            <span>{t('gridWorkers.grid')}</span>
            <select name="grid" value={chosen ?? ''} onChange={(e) => setGridId(e.currentTarget.value)}>
              {grids.value.grids.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name} ({t('gridWorkers.households', { n: g.households })})
                </option>
              ))}
            </select>
          </label>
          {workers.state === 'ok' && <WorkerTable workers={workers.value.workers} remove={(w) => void remove(w.userId, w.displayName)} />}
          <AddWorker gridId={chosen} accounts={accounts.state === 'ok' ? accounts.value.users : []} added={reload} />
        </>
      )}
    </div>
  );
}
