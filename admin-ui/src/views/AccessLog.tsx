import type { AccessLogEntry, AccessLogQuery } from '@linli/gateway/contracts/api/site';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { dateTime, dayStart, localDay } from '../format';
import { useLoad } from '../hooks';
import { label, useT } from '../i18n';
import { sitePlan } from '../site-data';

const PAGE = 100;
const CREDENTIALS = ['face', 'card', 'pin', 'qr', 'plate', 'remote'] as const;
type Credential = (typeof CREDENTIALS)[number];
type Range = 'today' | 'week' | 'custom';

/** Who went through which door: search by flat, door or name, filter by result, way in and day. */
export function AccessLogView() {
  const t = useT();
  const [q, setQ] = useState('');
  const [typed, setTyped] = useState('');
  const [deviceId, setDeviceId] = useState('');
  const [decision, setDecision] = useState<'' | 'grant' | 'deny'>('');
  const [credentialType, setCredentialType] = useState<Credential | ''>('');
  const [range, setRange] = useState<Range>('today');
  const [from, setFrom] = useState(localDay());
  const [to, setTo] = useState(localDay());
  const [entries, setEntries] = useState<AccessLogEntry[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [plan] = useLoad(sitePlan, 'site');

  // Search as the guard types, a moment after the last key.
  useEffect(() => {
    const timer = setTimeout(() => setQ(typed.trim()), 300);
    return () => clearTimeout(timer);
  }, [typed]);

  const query = (): Partial<AccessLogQuery> => {
    const today = localDay();
    const start = range === 'today' ? today : range === 'week' ? localDay(new Date(Date.now() - 6 * 86_400_000)) : from;
    const end = range === 'custom' ? to : today;
    const next = new Date(Date.parse(dayStart(end)) + 86_400_000).toISOString();
    return {
      ...(q ? { q } : {}),
      ...(deviceId ? { deviceId } : {}),
      ...(decision ? { decision } : {}),
      ...(credentialType ? { credentialType } : {}),
      from: dayStart(start),
      to: next,
      limit: PAGE,
    };
  };
  const key = JSON.stringify([q, deviceId, decision, credentialType, range, from, to]);
  useEffect(() => {
    let alive = true;
    api.accessLog(query()).then(
      (r) => {
        if (!alive) return;
        setEntries(r.entries);
        setTotal(r.total);
        setError(null);
      },
      (err: unknown) => alive && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      alive = false;
    };
  }, [key]);

  const more = async () => {
    const r = await api.accessLog({ ...query(), offset: entries.length });
    setEntries((e) => [...e, ...r.entries]);
    setTotal(r.total);
  };

  const doors = plan.state === 'ok' ? plan.value.devices.filter((d) => d.kind === 'face_terminal' || d.kind === 'vehicle_gate') : [];
  return (
    <div class="access-log">
      <h1 class="view-title">
        {t('log.title')} <span class="muted">{t('log.total', { n: total })}</span>
      </h1>
      <div class="toolbar">
        <label class="field" style={{ flex: '1 1 16rem' }}>
          <span>{t('log.search')}</span>
          <input type="search" class="input-lg" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} placeholder="3-2-501" name="q" />
        </label>
        <label class="field">
          <span>{t('log.door')}</span>
          <select value={deviceId} onChange={(e) => setDeviceId(e.currentTarget.value)} name="door">
            <option value="">{t('log.allDoors')}</option>
            {doors.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('log.decision')}</span>
          <select value={decision} onChange={(e) => setDecision(e.currentTarget.value === 'grant' ? 'grant' : e.currentTarget.value === 'deny' ? 'deny' : '')} name="decision">
            <option value="">{t('log.all')}</option>
            <option value="grant">{t('log.grant')}</option>
            <option value="deny">{t('log.deny')}</option>
          </select>
        </label>
        <label class="field">
          <span>{t('log.credential')}</span>
          <select value={credentialType} onChange={(e) => setCredentialType(CREDENTIALS.find((c) => c === e.currentTarget.value) ?? '')} name="credential">
            <option value="">{t('log.all')}</option>
            {CREDENTIALS.map((c) => (
              <option key={c} value={c}>
                {t.e.credential[c]}
              </option>
            ))}
          </select>
        </label>
        <div class="field">
          <span>&nbsp;</span>
          <div style={{ display: 'flex', gap: '0.3rem' }}>
            <button class={`btn ${range === 'today' ? 'btn-primary' : ''}`} onClick={() => setRange('today')}>
              {t('log.today')}
            </button>
            <button class={`btn ${range === 'week' ? 'btn-primary' : ''}`} onClick={() => setRange('week')}>
              {t('log.week')}
            </button>
          </div>
        </div>
        <label class="field">
          <span>{t('log.from')}</span>
          <input type="date" value={range === 'custom' ? from : ''} onChange={(e) => (setFrom(e.currentTarget.value), setRange('custom'))} />
        </label>
        <label class="field">
          <span>{t('log.to')}</span>
          <input type="date" value={range === 'custom' ? to : ''} onChange={(e) => (setTo(e.currentTarget.value), setRange('custom'))} />
        </label>
      </div>
      {error && <p class="error-text">{t('common.error', { msg: error })}</p>}
      {entries.length === 0 ? (
        <p class="empty">{t('log.none')}</p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th>{t('log.time')}</th>
              <th>{t('log.door')}</th>
              <th>{t('log.direction')}</th>
              <th>{t('log.person')}</th>
              <th>{t('device.household')}</th>
              <th>{t('log.credential')}</th>
              <th>{t('log.decision')}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id} data-decision={e.decision}>
                <td class="num">{dateTime(e.at)}</td>
                <td>{e.deviceName}</td>
                <td>{e.direction === 'out' ? t('log.out') : t('log.in')}</td>
                <td>{e.person ? `${e.person.kind === 'resident' ? t('log.resident') : t('log.visitor')} ${e.person.name}` : t('log.unknownPerson')}</td>
                <td>{e.householdLabel ?? '–'}</td>
                <td>{label(t.e.credential, e.credentialType)}</td>
                <td>
                  <span class={e.decision}>{e.decision === 'grant' ? `✓ ${t('log.grant')}` : `✗ ${t('log.deny')}`}</span> · {label(t.e.reason, e.reason)}
                  {e.offline && <span class="pill pill-muted"> {t('log.offlineMark')}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {entries.length < total && (
        <p>
          <button class="btn btn-lg" onClick={() => void more()}>
            {t('log.more')}
          </button>
        </p>
      )}
    </div>
  );
}
