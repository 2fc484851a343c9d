import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { ComplianceReport, FieldAlert, FieldHome, PatrolKind } from '@linli/gateway/contracts/api/field';
import { PATROL_PHOTO_MAX_BYTES, PATROL_PHOTO_TYPES } from '@linli/gateway/contracts/api/field';
import { translator } from '../i18n';
import { ApiError, type MSession, logout } from './api';
import { fieldApi } from './field-api';
import { type FT, ft } from './field-i18n';
import type { MLang } from './i18n';
import { formatWhen } from './time';

type Tab = 'cases' | 'patrol' | 'report' | 'me';
/** The case list is read again this often while the app is open (and at once after every action). */
const REFRESH_MS = 4_000;

function errText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof TypeError) return 'offline';
  return String(e);
}

/** "3 分 05 秒" / "3 min 05 s": how late, to the second. */
function lateText(sec: number, lang: MLang): string {
  const m = Math.floor(sec / 60);
  const s = String(sec % 60).padStart(m > 0 ? 2 : 1, '0');
  if (lang === 'zh') return m > 0 ? `${m} 分 ${s} 秒` : `${s} 秒`;
  return m > 0 ? `${m} min ${s} s` : `${s} s`;
}

/** The calendar month (YYYY-MM) of now in the zone. */
function monthIn(tz: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit' }).formatToParts(new Date());
  return `${parts.find((p) => p.type === 'year')?.value ?? '1970'}-${parts.find((p) => p.type === 'month')?.value ?? '01'}`;
}

/** Field staff (grid workers, maintenance) on the same phone app: cases of their grids, patrol, the compliance report. */
export function FieldApp({ lang, langButton, s }: { lang: MLang; langButton: preact.ComponentChildren; s: MSession }) {
  const t = useMemo(() => ft(lang), [lang]);
  const [tab, setTab] = useState<Tab>('cases');
  const [home, setHome] = useState<FieldHome | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    fieldApi.home().then(setHome, (e: unknown) => setError(errText(e)));
  }, []);
  const tz = home?.grids[0]?.timezone ?? 'Asia/Shanghai';
  return (
    <div class="m-shell m-field">
      <header class="m-top">
        <h1>{t('field.title')}</h1>
        {langButton}
      </header>
      <main class="m-main">
        {error && <p class="m-error" role="alert">{error}</p>}
        {home && tab === 'cases' && <Cases t={t} lang={lang} home={home} tz={tz} />}
        {home && tab === 'patrol' && <Patrol t={t} home={home} />}
        {home && tab === 'report' && <Report t={t} lang={lang} tz={tz} />}
        {tab === 'me' && (
          <section class="m-me" data-testid="field-me">
            <h2>{t('me.title')}</h2>
            <p>{t('me.account', { name: s.user.displayName })}</p>
            <button type="button" data-action="logout" onClick={() => void logout()}>
              {t('me.logout')}
            </button>
          </section>
        )}
      </main>
      <nav class="m-tabs m-tabs-4">
        {(['cases', 'patrol', 'report', 'me'] as const).map((k) => (
          <button type="button" key={k} data-tab={k} aria-current={tab === k ? 'page' : undefined} onClick={() => setTab(k)}>
            {t(`tab.${k}`)}
          </button>
        ))}
      </nav>
    </div>
  );
}

function Cases({ t, lang, home, tz }: { t: FT; lang: MLang; home: FieldHome; tz: string }) {
  const [alerts, setAlerts] = useState<FieldAlert[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    fieldApi.alerts().then(
      (r) => {
        setAlerts(r.alerts);
        setError(null);
      },
      (e: unknown) => setError(errText(e)),
    );
  }, []);
  useEffect(() => {
    load();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') load();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);
  return (
    <section data-testid="field-cases">
      <p class="m-muted">{t('cases.grids', { grids: home.grids.map((g) => g.name).join('、') })}</p>
      <p class="m-muted">{t('cases.rule', { min: home.onSiteMinutes })}</p>
      {error && <p class="m-error" role="alert">{error}</p>}
      {alerts && alerts.length === 0 && <p class="m-muted">{t('cases.empty')}</p>}
      <ul class="m-list">
        {(alerts ?? []).map((a) => (
          <Case key={a.id} t={t} lang={lang} a={a} tz={tz} onSiteMin={home.onSiteMinutes} changed={load} />
        ))}
      </ul>
    </section>
  );
}

function Case({ t, lang, a, tz, onSiteMin, changed }: { t: FT; lang: MLang; a: FieldAlert; tz: string; onSiteMin: number; changed: () => void }) {
  const tr = translator(lang);
  const [form, setForm] = useState<'none' | 'onsite' | 'outcome'>('none');
  const [msg, setMsg] = useState<string | null>(null);
  const due = Date.parse(a.firstAt) + onSiteMin * 60_000;
  const [late, setLate] = useState(Date.now() > due);
  useEffect(() => {
    if (late || a.onSiteAt !== null) return;
    const timer = setTimeout(() => setLate(true), Math.max(0, due - Date.now()));
    return () => clearTimeout(timer);
  }, [due, late, a.onSiteAt]);
  const text = typeof a.detail.text === 'string' ? a.detail.text : null;

  const confirm = async (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const reason = String(data.get('lateReason') ?? '').trim();
    try {
      await fieldApi.onSite(a.id, String(data.get('note') ?? '').trim() || null, reason || null);
      setForm('none');
      setMsg(null);
      changed();
    } catch (err) {
      // The gateway decides lateness: a 400 naming lateReason shows the field even if this phone's clock disagrees.
      if (err instanceof ApiError && err.status === 400) setLate(true);
      setMsg(errText(err));
    }
  };
  const outcome = async (e: Event) => {
    e.preventDefault();
    const submitter = (e as SubmitEvent).submitter;
    const data = new FormData(e.currentTarget as HTMLFormElement);
    try {
      await fieldApi.outcome(a.id, submitter?.getAttribute('data-resolved') === 'true', String(data.get('outcome') ?? '').trim());
      setForm('none');
      setMsg(t('case.saved'));
      changed();
    } catch (err) {
      setMsg(errText(err));
    }
  };

  return (
    <li class="m-alarm m-case" data-alert={a.id} data-type={a.type} data-status={a.status} data-late={String(late && a.onSiteAt === null)}>
      <div class="m-pass-head">
        <strong>{tr.e.alertType[a.type] ?? a.type}</strong>
        <span class="m-chip">{tr.e.status[a.status]}</span>
      </div>
      <div class="m-case-place">{a.place.label}</div>
      {text && <p class="m-quote">{text}</p>}
      <div class="m-muted">
        {t('case.reported', { time: formatWhen(Date.parse(a.firstAt), tz, lang) })} · {a.type === 'patrol_report' ? t('case.patrol') : t('case.escalated')}
      </div>
      {a.onSiteAt !== null ? (
        <p class="m-answered" data-testid="onsite-done">{t('case.onSite', { by: a.onSiteBy ?? '', time: formatWhen(Date.parse(a.onSiteAt), tz, lang) })}</p>
      ) : late ? (
        <p class="m-waiting" data-testid="late">{t('case.late')}</p>
      ) : (
        <p class="m-muted">{t('case.due', { time: formatWhen(due, tz, lang) })}</p>
      )}
      {a.status === 'cleared' && <p class="m-answered">{t('case.cleared', { note: a.clearNote ?? '' })}</p>}
      {a.status !== 'cleared' && form === 'none' && (
        <div class="m-actions">
          {a.onSiteAt === null && (
            <button type="button" class="m-primary" data-action="onsite" onClick={() => setForm('onsite')}>
              {t('case.onSiteButton')}
            </button>
          )}
          <button type="button" data-action="outcome" onClick={() => setForm('outcome')}>
            {t('case.outcome')}
          </button>
        </div>
      )}
      {form === 'onsite' && (
        <form class="m-form" onSubmit={confirm} data-testid="onsite-form">
          {late && (
            <>
              <p class="m-waiting">{t('case.lateHint')}</p>
              <label>
                {t('case.lateReason')}
                <input name="lateReason" required maxLength={500} />
              </label>
            </>
          )}
          <label>
            {t('case.note')}
            <input name="note" maxLength={1000} />
          </label>
          <div class="m-actions">
            <button type="submit" class="m-primary" data-action="onsite-confirm">
              {t('case.confirm')}
            </button>
            <button type="button" onClick={() => setForm('none')}>
              {t('case.cancel')}
            </button>
          </div>
        </form>
      )}
      {form === 'outcome' && (
        <form class="m-form" onSubmit={outcome} data-testid="outcome-form">
          <label>
            {t('case.outcomeNote')}
            <input name="outcome" required maxLength={1000} />
          </label>
          <div class="m-actions">
            <button type="submit" class="m-primary" data-resolved="true" data-action="resolved">
              {t('case.resolved')}
            </button>
            <button type="submit" data-resolved="false" data-action="pending">
              {t('case.pending')}
            </button>
            <button type="button" onClick={() => setForm('none')}>
              {t('case.cancel')}
            </button>
          </div>
        </form>
      )}
      {msg && <p class="m-note" role="status">{msg}</p>}
    </li>
  );
}

function readPhoto(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const url = typeof r.result === 'string' ? r.result : '';
      resolve(url.slice(url.indexOf(',') + 1));
    };
    r.onerror = () => reject(r.error ?? new Error('could not read the photo'));
    r.readAsDataURL(file);
  });
}

function Patrol({ t, home }: { t: FT; home: FieldHome }) {
  const [kind, setKind] = useState<PatrolKind>('lamp_not_lit');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const file = data.get('photo');
    let photo: { type: (typeof PATROL_PHOTO_TYPES)[number]; data: string } | undefined;
    if (file instanceof File && file.size > 0) {
      const type = PATROL_PHOTO_TYPES.find((x) => x === file.type);
      if (!type) return setMsg({ ok: false, text: t('patrol.photoType') });
      if (file.size > PATROL_PHOTO_MAX_BYTES) return setMsg({ ok: false, text: t('patrol.photoTooBig', { mb: (file.size / 1_000_000).toFixed(1) }) });
      photo = { type, data: await readPhoto(file) };
    }
    setBusy(true);
    try {
      const r = await fieldApi.patrol({
        gridId: String(data.get('gridId') ?? home.grids[0]?.id ?? ''),
        kind,
        place: String(data.get('place') ?? '').trim(),
        text: String(data.get('text') ?? '').trim(),
        ...(photo ? { photo } : {}),
      });
      form.reset();
      setMsg({ ok: true, text: t('patrol.done', { id: r.alertId.slice(0, 8) }) });
    } catch (err) {
      setMsg({ ok: false, text: errText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section data-testid="patrol">
      <h2>{t('patrol.title')}</h2>
      <form class="m-form" onSubmit={submit}>
        <fieldset>
          <legend>{t('patrol.kind')}</legend>
          <div class="m-presets m-presets-3">
            {(['lamp_not_lit', 'broken_door', 'other'] as const).map((k) => (
              <button type="button" key={k} data-kind={k} aria-pressed={kind === k} onClick={() => setKind(k)}>
                {t(`kind.${k}`)}
              </button>
            ))}
          </div>
        </fieldset>
        {home.grids.length > 1 && (
          <label>
            {t('patrol.grid')}
            <select name="gridId">
              {home.grids.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          {t('patrol.place')}
          <input name="place" required maxLength={100} placeholder={t('patrol.placeHint')} />
        </label>
        <label>
          {t('patrol.text')}
          <input name="text" required maxLength={1000} />
        </label>
        <label>
          {t('patrol.photo')}
          <input name="photo" type="file" accept={PATROL_PHOTO_TYPES.join(',')} capture="environment" />
        </label>
        <button type="submit" class="m-primary m-big" data-action="patrol-submit" disabled={busy || home.grids.length === 0}>
          {t('patrol.submit')}
        </button>
      </form>
      {msg && (
        <p class={msg.ok ? 'm-note' : 'm-error'} role="status" data-testid="patrol-msg">
          {msg.text}
        </p>
      )}
    </section>
  );
}

function Report({ t, lang, tz }: { t: FT; lang: MLang; tz: string }) {
  const tr = translator(lang);
  const [month, setMonth] = useState(monthIn(tz));
  const [report, setReport] = useState<ComplianceReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    fieldApi.compliance(month).then(setReport, (e: unknown) => setError(errText(e)));
  }, [month]);
  return (
    <section data-testid="compliance">
      <h2>{t('report.title')}</h2>
      <label>
        {t('report.month')}
        <input type="month" value={month} onChange={(e) => setMonth((e.currentTarget as HTMLInputElement).value || month)} />
      </label>
      {error && <p class="m-error">{error}</p>}
      {(report?.rows ?? []).map((r) => (
        <div key={r.gridId} class="m-alarm m-compliance" data-grid={r.gridId}>
          <div class="m-pass-head">
            <strong>{r.grid}</strong>
            <span class="m-share" data-testid="share">
              {r.share === null ? '—' : `${Math.round(r.share * 100)}%`}
            </span>
          </div>
          <div class="m-muted">{t('report.share')}</div>
          <p>
            {t('report.cases', { n: r.cases })} · {t('report.within', { n: r.withinRule })} · {t('report.late', { n: r.late })} · {t('report.missing', { n: r.missing })}
          </p>
          <p class="m-muted">{t('report.patrol', { n: r.patrolReports })}</p>
          <h3>{t('report.reasons')}</h3>
          {r.lateReasons.length === 0 ? (
            <p class="m-muted">{t('report.none')}</p>
          ) : (
            <ul class="m-list">
              {r.lateReasons.map((l) => (
                <li key={l.alertId} data-testid="late-reason">
                  <strong>{l.place}</strong> · {tr.e.alertType[l.type as keyof typeof tr.e.alertType] ?? l.type} · {t('report.lateBy', { time: lateText(l.lateSec, lang) })}
                  <div class="m-quote">
                    {l.by}：{l.reason}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </div>
      ))}
    </section>
  );
}
