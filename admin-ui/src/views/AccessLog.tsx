import type { AccessLogEntry, AccessLogQuery, SiteDevice } from '@linli/gateway/contracts/api/site';
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

/** What the guard narrowed the log down to (`q` is the search text once typing paused). */
interface Filters {
  q: string;
  deviceId: string;
  decision: '' | 'grant' | 'deny';
  credentialType: Credential | '';
  range: Range;
  from: string;
  to: string;
}
type Patch = (p: Partial<Filters>) => void;

/** The API's query for the filters: today, the last seven days or the days picked, up to the end of the last one. */
function queryOf(f: Filters): Partial<AccessLogQuery> {
  const today = localDay();
  const start = f.range === 'today' ? today : f.range === 'week' ? localDay(new Date(Date.now() - 6 * 86_400_000)) : f.from;
  const end = f.range === 'custom' ? f.to : today;
  const next = new Date(Date.parse(dayStart(end)) + 86_400_000).toISOString();
  return {
    ...(f.q ? { q: f.q } : {}),
    ...(f.deviceId ? { deviceId: f.deviceId } : {}),
    ...(f.decision ? { decision: f.decision } : {}),
    ...(f.credentialType ? { credentialType: f.credentialType } : {}),
    from: dayStart(start),
    to: next,
    limit: PAGE,
  };
}

/** The filters, with the search applied as the guard types, a moment after the last key. */
function useFilters() {
  const [typed, setTyped] = useState('');
  const [f, setF] = useState<Filters>({ q: '', deviceId: '', decision: '', credentialType: '', range: 'today', from: localDay(), to: localDay() });
  const patch: Patch = (p) => setF((prev) => ({ ...prev, ...p }));
  useEffect(() => {
    const timer = setTimeout(() => patch({ q: typed.trim() }), 300);
    return () => clearTimeout(timer);
  }, [typed]);
  return { f, patch, typed, setTyped };
}

/** The first page of entries for the filters (again when they change), and the next pages on demand. */
function useEntries(f: Filters) {
  const [entries, setEntries] = useState<AccessLogEntry[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    api.accessLog(queryOf(f)).then(
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
  }, [JSON.stringify(f)]);
  const more = async () => {
    const r = await api.accessLog({ ...queryOf(f), offset: entries.length });
    setEntries((e) => [...e, ...r.entries]);
    setTotal(r.total);
  };
  return { entries, total, error, more };
}

/** Result and way in. */
function KindFilters({ f, patch }: { f: Filters; patch: Patch }) {
  const t = useT();
  return (
    <>
      <label class="field">
        <span>{t('log.decision')}</span>
        <select value={f.decision} onChange={(e) => patch({ decision: e.currentTarget.value === 'grant' ? 'grant' : e.currentTarget.value === 'deny' ? 'deny' : '' })} name="decision">
          <option value="">{t('log.all')}</option>
          <option value="grant">{t('log.grant')}</option>
          <option value="deny">{t('log.deny')}</option>
        </select>
      </label>
      <label class="field">
        <span>{t('log.credential')}</span>
        <select value={f.credentialType} onChange={(e) => patch({ credentialType: CREDENTIALS.find((c) => c === e.currentTarget.value) ?? '' })} name="credential">
          <option value="">{t('log.all')}</option>
          {CREDENTIALS.map((c) => (
            <option key={c} value={c}>
              {t.e.credential[c]}
            </option>
          ))}
        </select>
      </label>
    </>
  );
}

/** Today, the last seven days, or days picked (picking one makes the range custom). */
function DayFilters({ f, patch }: { f: Filters; patch: Patch }) {
  const t = useT();
  return (
    <>
      <div class="field">
        <span>&nbsp;</span>
        <div style={{ display: 'flex', gap: '0.3rem' }}>
          <button class={`btn ${f.range === 'today' ? 'btn-primary' : ''}`} onClick={() => patch({ range: 'today' })}>
            {t('log.today')}
          </button>
          <button class={`btn ${f.range === 'week' ? 'btn-primary' : ''}`} onClick={() => patch({ range: 'week' })}>
            {t('log.week')}
          </button>
        </div>
      </div>
      <label class="field">
        <span>{t('log.from')}</span>
        <input type="date" value={f.range === 'custom' ? f.from : ''} onChange={(e) => patch({ from: e.currentTarget.value, range: 'custom' })} />
      </label>
      <label class="field">
        <span>{t('log.to')}</span>
        <input type="date" value={f.range === 'custom' ? f.to : ''} onChange={(e) => patch({ to: e.currentTarget.value, range: 'custom' })} />
      </label>
    </>
  );
}

function Toolbar({ f, patch, typed, setTyped, doors }: { f: Filters; patch: Patch; typed: string; setTyped: (v: string) => void; doors: SiteDevice[] }) {
  const t = useT();
  return (
    <div class="toolbar">
      <label class="field" style={{ flex: '1 1 16rem' }}>
        <span>{t('log.search')}</span>
        <input type="search" class="input-lg" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} placeholder="3-2-501" name="q" />
      </label>
      <label class="field">
        <span>{t('log.door')}</span>
        <select value={f.deviceId} onChange={(e) => patch({ deviceId: e.currentTarget.value })} name="door">
          <option value="">{t('log.allDoors')}</option>
          {doors.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
      </label>
      <KindFilters f={f} patch={patch} />
      <DayFilters f={f} patch={patch} />
    </div>
  );
}

function EntryTable({ entries }: { entries: AccessLogEntry[] }) {
  const t = useT();
  return (
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
  );
}

/** Who went through which door: search by flat, door or name, filter by result, way in and day. */
export function AccessLogView() {
  const t = useT();
  const { f, patch, typed, setTyped } = useFilters();
  const { entries, total, error, more } = useEntries(f);
  const [plan] = useLoad(sitePlan, 'site');
  const doors = plan.state === 'ok' ? plan.value.devices.filter((d) => d.kind === 'face_terminal' || d.kind === 'vehicle_gate') : [];
  return (
    <div class="access-log">
      <h1 class="view-title">
        {t('log.title')} <span class="muted">{t('log.total', { n: total })}</span>
      </h1>
      <Toolbar f={f} patch={patch} typed={typed} setTyped={setTyped} doors={doors} />
      {error && <p class="error-text">{t('common.error', { msg: error })}</p>}
      {entries.length === 0 ? <p class="empty">{t('log.none')}</p> : <EntryTable entries={entries} />}
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
