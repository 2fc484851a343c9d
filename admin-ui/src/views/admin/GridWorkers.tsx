import { GridList } from '@linli/gateway/contracts/api/admin';
import { GridWorkerList } from '@linli/gateway/contracts/api/field';
import { UserList } from '@linli/gateway/contracts/api/users';
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
  const [username, setUsername] = useState('');
  const [error, setError] = useState<string | null>(null);

  const add = async (e: Event) => {
    e.preventDefault();
    if (!chosen || !username.trim()) return;
    setError(null);
    try {
      await gridApi.add(chosen, username.trim());
      setUsername('');
      reload();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
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
          {workers.state === 'ok' && (
            <table class="table" data-testid="grid-worker-list">
              <thead>
                <tr>
                  <th>{t('gridWorkers.name')}</th>
                  <th>{t('gridWorkers.username')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {workers.value.workers.length === 0 && (
                  <tr>
                    <td colSpan={3} class="muted">
                      {t('gridWorkers.none')}
                    </td>
                  </tr>
                )}
                {workers.value.workers.map((w) => (
                  <tr key={w.userId} data-worker={w.username}>
                    <td>
                      <b>{w.displayName}</b>
                    </td>
                    <td>{w.username}</td>
                    <td class="row-actions">
                      <button class="btn btn-sm" data-action="remove-worker" onClick={() => void remove(w.userId, w.displayName)}>
                        {t('gridWorkers.remove')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <form class="card admin-form" onSubmit={(e) => void add(e)} data-testid="grid-worker-add">
            <label class="field">
              <span>{t('gridWorkers.add')}</span>
              <input name="username" list="grid-worker-accounts" value={username} maxLength={64} placeholder="gw-…" onInput={(e) => setUsername(e.currentTarget.value)} required />
            </label>
            <datalist id="grid-worker-accounts">
              {accounts.state === 'ok' && accounts.value.users.map((u) => <option key={u.id} value={u.username}>{u.displayName}</option>)}
            </datalist>
            {error && <p class="error-text">{error}</p>}
            <button class="btn btn-lg btn-primary" type="submit" data-action="add-worker">
              {t('gridWorkers.addSubmit')}
            </button>
          </form>
        </>
      )}
    </div>
  );
}
