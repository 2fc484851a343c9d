import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { ComplianceReport, FieldAlert, FieldHome, PatrolKind } from '@linli/gateway/contracts/api/field';
import { PATROL_PHOTO_MAX_BYTES, PATROL_PHOTO_TYPES } from '@linli/gateway/contracts/api/field';
import { translator } from '../i18n';
import { type MSession, logout } from './api';
import { plainErrText as errText } from './errors';
import { Case } from './field-case';
import { fieldApi } from './field-api';
import { type FT, ft } from './field-i18n';
import type { MLang } from './i18n';

type Tab = 'cases' | 'patrol' | 'report' | 'me';
/** The case list is read again this often while the app is open (and at once after every action). */
const REFRESH_MS = 4_000;

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

/** The photo picked for a patrol report, if any, checked against the contract's types and size before it is read. */
async function patrolPhoto(t: FT, file: FormDataEntryValue | null): Promise<{ photo?: { type: (typeof PATROL_PHOTO_TYPES)[number]; data: string } } | { refused: string }> {
  if (!(file instanceof File) || file.size === 0) return {};
  const type = PATROL_PHOTO_TYPES.find((x) => x === file.type);
  if (!type) return { refused: t('patrol.photoType') };
  if (file.size > PATROL_PHOTO_MAX_BYTES) return { refused: t('patrol.photoTooBig', { mb: (file.size / 1_000_000).toFixed(1) }) };
  return { photo: { type, data: await readPhoto(file) } };
}

function KindPicker({ t, kind, setKind }: { t: FT; kind: PatrolKind; setKind: (k: PatrolKind) => void }) {
  return (
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
  );
}

function Patrol({ t, home }: { t: FT; home: FieldHome }) {
  const [kind, setKind] = useState<PatrolKind>('lamp_not_lit');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const checked = await patrolPhoto(t, data.get('photo'));
    if ('refused' in checked) return setMsg({ ok: false, text: checked.refused });
    const { photo } = checked;
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
        <KindPicker t={t} kind={kind} setKind={setKind} />
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
