import type { DeviceKind } from '@linli/gateway/contracts';
import type { DeviceStateView, SiteDevice } from '@linli/gateway/contracts/api/site';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { isDoor, stateText } from '../components/DevicePanel';
import { Dot } from '../components/icons';
import { ago } from '../format';
import { useLoad, useNow } from '../hooks';
import { useT } from '../i18n';
import { board } from '../live/board';
import { navigate } from '../router';
import { sitePlan } from '../site-data';
import { useStore } from '../store';
import { dialog } from '../ui-state';
import { STATE_POLL_MS } from './SitePlan';

const KINDS: DeviceKind[] = ['face_terminal', 'vehicle_gate', 'streetlight', 'outdoor_alarm', 'indoor_alarm'];

interface RowProps {
  d: SiteDevice;
  s: DeviceStateView | null;
  online: boolean;
  problem: boolean;
  /** Its open alarms, if any. */
  alerts: number | undefined;
  now: number;
}

function DeviceRow({ d, s, online: on, problem, alerts, now }: RowProps) {
  const t = useT();
  return (
    <tr class={problem ? 'row-problem' : ''} data-device-row={d.id}>
      <td>
        <a href={`/map/${d.id}`} onClick={(e) => (e.preventDefault(), navigate(`/map/${encodeURIComponent(d.id)}`))}>
          {d.name}
        </a>
      </td>
      <td>{t.e.deviceKind[d.kind]}</td>
      <td>{d.householdLabel ?? t.e.placeKind[d.placeKind]}</td>
      <td>
        <Dot tone={on ? 'ok' : 'bad'} />
        {on ? t('device.online') : t('device.offline')}
      </td>
      <td class="num">{s?.lastSeenAt ? ago(t, s.lastSeenAt, now) : '–'}</td>
      <td>{stateText(t, d, s) || '–'}</td>
      <td class="num">{alerts ?? ''}</td>
      <td>
        {isDoor(d) && (
          <button class="btn btn-sm" disabled={!on} data-action="open-door" onClick={() => dialog.set({ kind: 'open-door', deviceId: d.id, name: d.name })}>
            {t('devices.open')}
          </button>
        )}
      </td>
    </tr>
  );
}

/** Every device and its health: online, last seen, its state, open alarms; doors can be opened from here. */
export function Devices() {
  const t = useT();
  const [plan] = useLoad(sitePlan, 'site');
  const [states] = useLoad(api.deviceStates, 'states', STATE_POLL_MS * 2);
  const { alerts } = useStore(board);
  const now = useNow(10_000);
  const [kind, setKind] = useState<DeviceKind | ''>('');
  const [problems, setProblems] = useState(false);
  if (plan.state !== 'ok') return <p class="muted">{plan.state === 'error' ? t('common.error', { msg: plan.message }) : t('common.loading')}</p>;

  const byId = new Map(states.state === 'ok' ? states.value.devices.map((d) => [d.id, d]) : []);
  const openAlerts = new Map<string, number>();
  for (const a of alerts) if (a.deviceId) openAlerts.set(a.deviceId, (openAlerts.get(a.deviceId) ?? 0) + 1);
  const rows = plan.value.devices
    .map((d) => {
      const s = byId.get(d.id) ?? null;
      const online = s?.online ?? false;
      const problem = !online || (openAlerts.get(d.id) ?? 0) > 0 || Boolean(s?.lamp?.fault);
      return { d, s, online, problem };
    })
    .filter((r) => (kind === '' || r.d.kind === kind) && (!problems || r.problem))
    // Problems first, then by kind and name: the guard reads down until it is all green.
    .sort((a, b) => Number(b.problem) - Number(a.problem) || KINDS.indexOf(a.d.kind) - KINDS.indexOf(b.d.kind) || a.d.id.localeCompare(b.d.id));
  const total = plan.value.devices.length;
  const online = plan.value.devices.filter((d) => byId.get(d.id)?.online).length;

  return (
    <div class="devices">
      <h1 class="view-title">{t('devices.title')}</h1>
      <p class="summary">{t('devices.summary', { total, online, offline: total - online })}</p>
      <div class="toolbar">
        <label class="field">
          <span>{t('device.kind')}</span>
          <select value={kind} onChange={(e) => setKind(KINDS.find((k) => k === e.currentTarget.value) ?? '')}>
            <option value="">{t('devices.all')}</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t.e.deviceKind[k]}
              </option>
            ))}
          </select>
        </label>
        <label class="btn" style={{ display: 'inline-flex', alignItems: 'center', gap: '0.4rem' }}>
          <input type="checkbox" checked={problems} onChange={(e) => setProblems(e.currentTarget.checked)} style={{ width: '1.2rem', height: '1.2rem' }} />
          {t('devices.onlyProblems')}
        </label>
      </div>
      <table class="table">
        <thead>
          <tr>
            <th>{t('devices.name')}</th>
            <th>{t('device.kind')}</th>
            <th>{t('device.place')}</th>
            <th>{t('device.online')}</th>
            <th>{t('device.lastSeen')}</th>
            <th>{t('device.state')}</th>
            <th>{t('device.alerts')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <DeviceRow key={r.d.id} {...r} alerts={openAlerts.get(r.d.id)} now={now} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
