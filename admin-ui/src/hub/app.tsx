import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { HubAlert, HubAlertQuery, HubAlertWithHistory, HubCompound, HubCompoundHistory, HubStatsReply, HubUser } from '@linli/gateway/contracts/api/hub';
import { ApiError, api, login, logout, onSession, session } from './api';
import { errText, fmtTime, scopeText } from './format';
import { ChainLine, HubEscalationLine } from './escalation';
import { CompoundDoors } from './doors';
import { type HubLang, type HubT, codeText, hubTranslator } from './i18n';
import { PasswordForm, Users } from './users';

const LANG_KEY = 'linli.hub.lang';
const REFRESH_MS = 15_000;

function initialLang(): HubLang {
  return localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';
}


function fmtDuration(t: HubT, sec: number | null): string {
  if (sec === null) return '—';
  if (sec < 120) return t('seconds', { n: Math.round(sec) });
  if (sec < 2 * 3600) return t('minutes', { n: Math.round(sec / 60) });
  return t('hours', { n: Math.round(sec / 360) / 10 });
}


/** Loads `load()` now, again every 15 s and whenever `deps` change; the last good value stays shown on an error. */
function usePolled<T>(load: () => Promise<T>, deps: unknown[]): { data: T | null; error: unknown; at: Date | null; reload: () => void } {
  const [state, setState] = useState<{ data: T | null; error: unknown; at: Date | null }>({ data: null, error: null, at: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    const run = () =>
      load().then(
        (data) => live && setState({ data, error: null, at: new Date() }),
        (error: unknown) => live && setState((s) => ({ ...s, error })),
      );
    void run();
    const timer = setInterval(() => void run(), REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((n) => n + 1) };
}

export function HubApp() {
  const [lang, setLang] = useState<HubLang>(initialLang);
  const [, setVersion] = useState(0);
  useEffect(() => onSession(() => setVersion((v) => v + 1)), []);
  useEffect(() => {
    localStorage.setItem(LANG_KEY, lang);
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = hubTranslator(lang)('app.title');
  }, [lang]);
  const t = hubTranslator(lang);
  const toggle = () => setLang(lang === 'zh' ? 'en' : 'zh');
  const s = session();
  if (s === null) return <Login t={t} onLang={toggle} />;
  // Signed in with a one-time password: the hub allows nothing else until it is changed.
  if (s.user.mustChangePassword) {
    return (
      <main class="hub-login">
        <div>
          <PasswordForm t={t} oneTime />
          <button type="button" class="hub-link" onClick={() => void logout()}>{t('logout')}</button>
        </div>
      </main>
    );
  }
  return <Desk t={t} user={s.user} onLang={toggle} />;
}

function Login({ t, onLang }: { t: HubT; onLang: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: JSX.TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    try {
      await login(String(form.get('username') ?? ''), String(form.get('password') ?? ''));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? t('login.failed') : t('login.error', { msg: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="hub-login">
      <form onSubmit={(e) => void submit(e)}>
        <h1>{t('login.title')}</h1>
        <label>
          {t('login.user')}
          <input name="username" autocomplete="username" required />
        </label>
        <label>
          {t('login.password')}
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        {error !== null && <p class="hub-error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{t('login.submit')}</button>
        <button type="button" class="hub-link" onClick={onLang}>{t('lang.switch')}</button>
      </form>
    </main>
  );
}

type View = { tab: 'overview' | 'alerts' | 'stats' | 'users' | 'password' } | { tab: 'history'; compound: string };


function Desk({ t, user, onLang }: { t: HubT; user: HubUser; onLang: () => void }) {
  const [view, setView] = useState<View>({ tab: 'overview' });
  const open = (compound: string) => setView({ tab: 'history', compound });
  const tabs = (['overview', 'alerts', 'stats', ...(user.managesUsers ? (['users'] as const) : [])] as const).map((tab) => (
    <button key={tab} type="button" class={view.tab === tab ? 'active' : ''} aria-pressed={view.tab === tab} onClick={() => setView({ tab })}>
      {t(`tab.${tab}`)}
    </button>
  ));
  return (
    <div class="hub">
      <header>
        <h1>{t('app.title')}</h1>
        <span class="hub-scope" data-testid="hub-scope">{scopeText(t, user)}</span>
        <span class="hub-user">{user.displayName}</span>
        <button type="button" class="hub-link" onClick={() => setView({ tab: 'password' })}>{t('password.change')}</button>
        <button type="button" class="hub-link" onClick={onLang}>{t('lang.switch')}</button>
        <button type="button" class="hub-link" onClick={() => void logout()}>{t('logout')}</button>
      </header>
      <nav>{tabs}</nav>
      <main>
        {view.tab === 'overview' && <Overview t={t} onOpen={open} />}
        {view.tab === 'alerts' && <OpenAlerts t={t} onOpen={open} />}
        {view.tab === 'stats' && <Stats t={t} onOpen={open} />}
        {view.tab === 'users' && <Users t={t} user={user} />}
        {view.tab === 'password' && <PasswordForm t={t} oneTime={false} />}
        {view.tab === 'history' && <History t={t} compound={view.compound} onBack={() => setView({ tab: 'overview' })} />}
      </main>
    </div>
  );
}

const compoundName = (t: HubT, c: { id: string; name: string | null }) => c.name ?? `${c.id}（${t('unregistered')}）`;

function Overview({ t, onOpen }: { t: HubT; onOpen: (id: string) => void }) {
  const { data, error, at } = usePolled(() => api.compounds(), []);
  return (
    <section>
      <Status t={t} error={error} at={at} />
      {data !== null && data.compounds.length === 0 && <p class="hub-empty">{t('compounds.empty')}</p>}
      {data !== null && data.compounds.length > 0 && (
        <div class="hub-scroll">
        <table class="hub-table" data-testid="compound-table">
          <thead>
            <tr>
              <th>{t('col.compound')}</th><th>{t('col.street')}</th><th>{t('col.state')}</th><th>{t('col.open')}</th><th>{t('col.critical')}</th>
              <th>{t('col.lag')}</th><th>{t('col.backlog')}</th><th>{t('col.lastSeen')}</th><th>{t('col.lastReplicated')}</th>
            </tr>
          </thead>
          <tbody>{data.compounds.map((c) => <CompoundRow key={c.id} t={t} c={c} onOpen={onOpen} />)}</tbody>
        </table>
        </div>
      )}
    </section>
  );
}

function CompoundRow({ t, c, onOpen }: { t: HubT; c: HubCompound; onOpen: (id: string) => void }) {
  return (
    <tr data-compound={c.id} data-state={c.state}>
      <td><button type="button" class="hub-link" onClick={() => onOpen(c.id)}>{compoundName(t, c)}</button></td>
      <td>{c.street?.name ?? (c.name === null ? t('unregistered') : '—')}</td>
      <td><span class={`hub-state hub-state-${c.state}`}>{t(`state.${c.state}`)}</span></td>
      <td class={c.openAlerts > 0 ? 'hub-num hub-hot' : 'hub-num'}>{c.openAlerts}</td>
      <td class={c.openCritical > 0 ? 'hub-num hub-hot' : 'hub-num'}>{c.openCritical}</td>
      <td>{fmtDuration(t, c.lagSeconds)}</td>
      <td class="hub-num">{c.backlogRows ?? '—'}</td>
      <td>{fmtTime(t, c.lastSeenAt)}</td>
      <td>{fmtTime(t, c.lastReplicatedAt)}</td>
    </tr>
  );
}

function Status({ t, error, at, onRefresh }: { t: HubT; error: unknown; at: Date | null; onRefresh?: () => void }) {
  return (
    <p class="hub-status">
      {at !== null && <span>{t('updated', { time: fmtTime(t, at.toISOString()) })}</span>}
      {onRefresh && <button type="button" class="hub-link" onClick={onRefresh}>{t('refresh')}</button>}
      {error !== null && <span class="hub-error" role="alert">{errText(t, error)}</span>}
    </p>
  );
}

const AGES = [undefined, 15, 60, 240] as const;
const SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;

function OpenAlerts({ t, onOpen }: { t: HubT; onOpen: (id: string) => void }) {
  const [q, setQ] = useState<HubAlertQuery>({});
  const compounds = usePolled(() => api.compounds(), []);
  const { data, error, at, reload } = usePolled(() => api.alerts(q), [JSON.stringify(q)]);
  const types = [...new Set((data?.alerts ?? []).map((a) => a.type).concat(q.type === undefined ? [] : [q.type]))].sort();
  const set = (patch: Partial<HubAlertQuery>) => setQ({ ...q, ...patch });
  return (
    <section>
      <div class="hub-filters">
        <label>{t('filter.compound')}
          <select name="compound" value={q.compound ?? ''} onChange={(e) => set({ compound: e.currentTarget.value || undefined })}>
            <option value="">{t('filter.all')}</option>
            {(compounds.data?.compounds ?? []).map((c) => <option key={c.id} value={c.id}>{compoundName(t, c)}</option>)}
          </select>
        </label>
        <label>{t('filter.severity')}
          <select name="severity" value={q.severity ?? ''} onChange={(e) => set({ severity: SEVERITIES.find((s) => s === e.currentTarget.value) })}>
            <option value="">{t('filter.all')}</option>
            {SEVERITIES.map((s) => <option key={s} value={s}>{t(`severity.${s}`)}</option>)}
          </select>
        </label>
        <label>{t('filter.type')}
          <select name="type" value={q.type ?? ''} onChange={(e) => set({ type: e.currentTarget.value || undefined })}>
            <option value="">{t('filter.all')}</option>
            {types.map((ty) => <option key={ty} value={ty}>{codeText(t, 'type', ty)}</option>)}
          </select>
        </label>
        <label>{t('filter.age')}
          <select name="age" value={String(q.minAgeMinutes ?? '')} onChange={(e) => set({ minAgeMinutes: AGES.find((a) => String(a ?? '') === e.currentTarget.value) })}>
            {AGES.map((a) => <option key={String(a)} value={String(a ?? '')}>{a === undefined ? t('age.any') : t(`age.${a}`)}</option>)}
          </select>
        </label>
      </div>
      <Status t={t} error={error} at={at} onRefresh={reload} />
      {data !== null && data.alerts.length === 0 && <p class="hub-empty">{t('alerts.empty')}</p>}
      <ul class="hub-alerts" data-testid="open-alerts">
        {(data?.alerts ?? []).map((a) => <AlertCard key={`${a.compound}/${a.id}`} t={t} a={a} onOpen={onOpen} onNoted={reload} />)}
      </ul>
    </section>
  );
}

function AlertCard({ t, a, onOpen, onNoted, children }: { t: HubT; a: HubAlert; onOpen?: (id: string) => void; onNoted: () => void; children?: ComponentChildren }) {
  return (
    <li class={`hub-alert hub-sev-${a.severity}`} data-alert={a.id} data-compound={a.compound}>
      <div class="hub-alert-head">
        <span class="hub-sev">{codeText(t, 'severity', a.severity)}</span>
        <strong>{codeText(t, 'type', a.type)}</strong>
        {onOpen ? (
          <button type="button" class="hub-link" onClick={() => onOpen(a.compound)}>{compoundName(t, { id: a.compound, name: a.compoundName })}</button>
        ) : null}
        {a.place !== null && <span>{a.place}</span>}
        <span class="hub-alert-status">{codeText(t, 'status', a.status)}</span>
      </div>
      <div class="hub-alert-facts">
        <span>{t('alert.raised', { time: fmtTime(t, a.firstAt) })}</span>
        <span>{a.source === 'hub' && a.ackedAt === null ? t('alert.hub') : a.ackedAt !== null ? t('alert.acked', { who: a.ackedBy ?? '—', time: fmtTime(t, a.ackedAt) }) : t('alert.notAcked')}</span>
        {a.escalationLevel > 0 && <span>{t('alert.level', { n: a.escalationLevel })}</span>}
      </div>
      <HubEscalationLine t={t} a={a} onChanged={onNoted} />
      {children}
      <Notes t={t} a={a} onNoted={onNoted} />
    </li>
  );
}

function Notes({ t, a, onNoted }: { t: HubT; a: HubAlert; onNoted: () => void }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(null);
  const save = async () => {
    try {
      await api.annotate(a.compound, a.id, text);
      setEditing(false);
      setText('');
      setError(null);
      onNoted();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div class="hub-notes">
      {a.notes.map((n) => (
        <p key={n.id} class="hub-note" data-testid="hub-note"><span>{n.body}</span> <small>{t('note.by', { who: n.author, time: fmtTime(t, n.at) })}</small></p>
      ))}
      {!editing && <button type="button" class="hub-link" onClick={() => setEditing(true)}>{t('note.add')}</button>}
      {editing && (
        <div class="hub-note-form">
          <textarea name="note" rows={2} maxLength={2000} placeholder={t('note.placeholder')} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          <button type="button" disabled={text.trim() === ''} onClick={() => void save()}>{t('note.submit')}</button>
          <button type="button" class="hub-link" onClick={() => setEditing(false)}>{t('note.cancel')}</button>
          {error !== null && <span class="hub-error" role="alert">{errText(t, error)}</span>}
        </div>
      )}
    </div>
  );
}

function Stats({ t, onOpen }: { t: HubT; onOpen: (id: string) => void }) {
  const [days, setDays] = useState(30);
  const { data, error, at } = usePolled<HubStatsReply>(() => api.stats(days), [days]);
  return (
    <section>
      <div class="hub-filters">
        {[7, 30, 90].map((n) => (
          <button key={n} type="button" class={days === n ? 'active' : ''} aria-pressed={days === n} onClick={() => setDays(n)}>{t('stats.days', { n })}</button>
        ))}
      </div>
      <Status t={t} error={error} at={at} />
      {data !== null && data.compounds.length === 0 && <p class="hub-empty">{t('stats.empty')}</p>}
      {data !== null && data.compounds.length > 0 && (
        <div class="hub-scroll">
        <table class="hub-table" data-testid="stats-table">
          <thead>
            <tr>
              <th>{t('col.compound')}</th><th>{t('col.raised')}</th><th>{t('col.acked')}</th><th>{t('col.cleared')}</th><th>{t('col.unanswered')}</th>
              <th>{t('col.medianAck')}</th><th>{t('col.p90Ack')}</th><th>{t('col.medianClose')}</th>
            </tr>
          </thead>
          <tbody>
            {data.compounds.map((s) => (
              <tr key={s.compound} data-compound={s.compound}>
                <td><button type="button" class="hub-link" onClick={() => onOpen(s.compound)}>{compoundName(t, { id: s.compound, name: s.compoundName })}</button></td>
                <td class="hub-num">{s.raised}</td><td class="hub-num">{s.acknowledged}</td><td class="hub-num">{s.cleared}</td>
                <td class={s.unanswered > 0 ? 'hub-num hub-hot' : 'hub-num'}>{s.unanswered}</td>
                <td>{fmtDuration(t, s.medianAckSeconds)}</td><td>{fmtDuration(t, s.p90AckSeconds)}</td><td>{fmtDuration(t, s.medianCloseSeconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </section>
  );
}

function History({ t, compound, onBack }: { t: HubT; compound: string; onBack: () => void }) {
  const { data, error, at, reload } = usePolled<HubCompoundHistory>(() => api.history(compound), [compound]);
  return (
    <section data-testid="history">
      <p><button type="button" class="hub-link" onClick={onBack}>← {t('history.back')}</button></p>
      {data !== null && <h2>{t('history.title', { name: compoundName(t, data.compound) })}</h2>}
      <ChainLine t={t} compound={compound} />
      <CompoundDoors t={t} compound={compound} />
      <Status t={t} error={error} at={at} onRefresh={reload} />
      {data !== null && data.alerts.length === 0 && <p class="hub-empty">{t('history.empty')}</p>}
      <ul class="hub-alerts">
        {(data?.alerts ?? []).map((a) => (
          <AlertCard key={a.id} t={t} a={a} onNoted={reload}>
            <Changes t={t} a={a} />
          </AlertCard>
        ))}
      </ul>
    </section>
  );
}

function Changes({ t, a }: { t: HubT; a: HubAlertWithHistory }) {
  return (
    <ol class="hub-changes">
      {a.changes.map((c, i) => (
        <li key={i}>
          <span>{fmtTime(t, c.at)}</span> <strong>{codeText(t, 'action', c.action)}</strong> <span>{c.actor}</span>
          {c.note !== null && <em> — {codeText(t, 'code', c.note)}</em>}
        </li>
      ))}
    </ol>
  );
}
