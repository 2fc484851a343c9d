import { StationList, StationView } from '@linli/gateway/contracts/api/station';
import { useState } from 'preact/hooks';
import { call } from '../../api';
import { LoadedTable } from '../../components/LoadedTable';
import { dateTime, localDay } from '../../format';
import { useLoad } from '../../hooks';
import { useT } from '../../i18n';
import { loadStation, registerStation, station } from '../../session';
import { useStore } from '../../store';
import { toast } from '../../ui-state';

const stationsApi = {
  list: () => call(StationList, 'GET', '/api/v1/stations'),
  revoke: (id: string) => call(StationView, 'POST', `/api/v1/stations/${encodeURIComponent(id)}/revoke`),
};

/**
 * Guard stations (admins; docs/admin-ui.md, "Guard stations"): every registered browser with its name, when it was
 * registered, last used (its read-only board's last ticket) and when it expires; this browser registered with a name
 * typed here (no browser prompt); a station revoked in two clicks, which ends its PIN sign-in and its board at once.
 */
export function Stations() {
  const t = useT();
  const here = useStore(station);
  const [list, reload] = useLoad(() => stationsApi.list(), 'stations');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState<string | null>(null);
  const now = Date.now();

  const register = async (e: Event) => {
    e.preventDefault();
    const v = name.trim();
    if (!v) return;
    setBusy(true);
    const r = await registerStation(v);
    setBusy(false);
    toast(r ? t('station.registered', { name: r.name }) : t('station.registerFailed'), r ? 'ok' : 'error');
    if (r) {
      setName('');
      reload();
    }
  };
  const revoke = async (s: StationView) => {
    try {
      await stationsApi.revoke(s.id);
      toast(t('stations.revokedToast', { name: s.name }));
      setConfirming(null);
      reload();
      void loadStation();
    } catch (err) {
      toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
    }
  };

  return (
    <div class="admin-page" data-testid="stations">
      <h1 class="view-title">{t('stations.title')}</h1>
      <p class="muted">{t('stations.hint')}</p>
      {here?.registered ? (
        <p class="chip chip-station stations-here" data-testid="stations-here">
          {t('stations.thisOne', { name: here.name ?? '' })}
        </p>
      ) : (
        <form class="card admin-form station-register" onSubmit={(e) => void register(e)} data-testid="station-register">
          <h2>{t('stations.registerTitle')}</h2>
          <div class="station-register-row">
            <label class="field">
              <span>{t('stations.name')}</span>
              <input name="station-name" value={name} maxLength={60} placeholder={t('stations.namePlaceholder')} onInput={(e) => setName(e.currentTarget.value)} required />
            </label>
            <button class="btn btn-lg btn-primary" type="submit" disabled={busy || name.trim() === ''} data-action="register-station-submit">
              {t('stations.register')}
            </button>
          </div>
        </form>
      )}
      <LoadedTable
        loaded={list}
        rows={(v) => v.stations}
        empty={t('stations.none')}
        head={[t('stations.col.name'), t('stations.col.created'), t('stations.col.lastUsed'), t('stations.col.expires'), t('stations.col.state'), null]}
        row={(s) => <StationRow key={s.id} s={s} here={here?.id === s.id} now={now} confirming={confirming === s.id} setConfirming={setConfirming} revoke={revoke} />}
      />
    </div>
  );
}

/** One registered station: its state, and the revoke button that asks once more before it acts. */
function StationRow(props: {
  s: StationView;
  here: boolean;
  now: number;
  confirming: boolean;
  setConfirming: (id: string | null) => void;
  revoke: (s: StationView) => Promise<void>;
}) {
  const t = useT();
  const { s, setConfirming } = props;
  const state = s.revokedAt ? 'revoked' : Date.parse(s.expiresAt) <= props.now ? 'expired' : 'active';
  return (
    <tr data-station={s.id} data-state={state}>
      <td>
        <b>{s.name}</b> {props.here && <span class="pill pill-ok">{t('stations.this')}</span>}
      </td>
      <td>
        {dateTime(s.createdAt)} <span class="muted">{s.createdBy}</span>
      </td>
      <td data-col="last-used">{s.lastSeenAt ? dateTime(s.lastSeenAt) : t('stations.never')}</td>
      {/* A year ahead by default: the full date (ISO), not a month and day that look like today's. */}
      <td>{localDay(new Date(s.expiresAt))}</td>
      <td>
        <span class={`pill ${state === 'active' ? 'pill-ok' : 'pill-bad'}`}>{t(`stations.${state}`)}</span>
        {s.revokedAt && <span class="muted"> {dateTime(s.revokedAt)}</span>}
      </td>
      <td class="row-actions">
        {state === 'active' &&
          (props.confirming ? (
            <>
              <button class="btn btn-sm btn-danger" data-action="revoke-confirm" onClick={() => void props.revoke(s)}>
                {t('stations.revokeConfirm')}
              </button>
              <button class="btn btn-sm" onClick={() => setConfirming(null)}>
                {t('stations.cancel')}
              </button>
            </>
          ) : (
            <button class="btn btn-sm" data-action="revoke" onClick={() => setConfirming(s.id)}>
              {t('stations.revoke')}
            </button>
          ))}
      </td>
    </tr>
  );
}
