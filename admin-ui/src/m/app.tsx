import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { ResidentAlarm, ResidentArrival, ResidentHome, Responder } from '@linli/gateway/contracts/api/resident';
import { SystemNote } from '@linli/gateway/contracts/api/alert-notes';
import { translator } from '../i18n';
import { ApiError, type MSession, api, login, onSession, session } from './api';
import { drawQr, spacedCode } from './card';
import { errText } from './errors';
import { type MLang, type MT, initialLang, mt, saveLang } from './i18n';
import { FieldApp } from './field';
import { openLive } from './live';
import { Me } from './me';
import { Visitors } from './visitors';
import { WalkInRequests } from './walk-in';
import type { ResidentWalkIn } from '@linli/gateway/contracts/api/walk-ins';
import { saveHome, savedHome } from './store';
import { formatClock, formatWhen, formatWindow } from './time';

type Tab = 'visitors' | 'alarms' | 'me';

function LangButton({ lang, setLang, t }: { lang: MLang; setLang: (l: MLang) => void; t: MT }) {
  return (
    <button type="button" class="m-lang" data-action="lang" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}>
      {t('lang.switch')}
    </button>
  );
}

export function MApp() {
  const [lang, setLangState] = useState<MLang>(initialLang());
  const [s, setS] = useState<MSession | null>(session());
  const t = useMemo(() => mt(lang), [lang]);
  const setLang = (l: MLang) => {
    saveLang(l);
    setLangState(l);
    document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
  };
  useEffect(() => onSession(() => setS(session())), []);
  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('app.title');
  }, [lang, t]);

  if (location.pathname.startsWith('/m/visit')) return <VisitPage t={t} lang={lang} setLang={setLang} />;
  if (!s) return <Login t={t} lang={lang} setLang={setLang} />;
  if (s.user.role === 'grid_worker') return <FieldApp lang={lang} s={s} langButton={<LangButton lang={lang} setLang={setLang} t={t} />} />;
  return <Home t={t} lang={lang} setLang={setLang} s={s} />;
}

function Login({ t, lang, setLang }: { t: MT; lang: MLang; setLang: (l: MLang) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    setBusy(true);
    setError(null);
    try {
      await login(String(data.get('username') ?? ''), String(data.get('password') ?? ''));
    } catch (err) {
      setError(err instanceof ApiError ? (err.code === 'NOT_RESIDENT' ? t('login.notResident') : t('login.failed')) : t('error.offline'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="m-login">
      <header class="m-top">
        <h1>{t('app.title')}</h1>
        <LangButton lang={lang} setLang={setLang} t={t} />
      </header>
      <form onSubmit={submit} data-testid="m-login">
        <h2>{t('login.title')}</h2>
        <label>
          {t('login.user')}
          <input name="username" autocomplete="username" autocapitalize="off" required />
        </label>
        <label>
          {t('login.password')}
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        {error && <p class="m-error" role="alert">{error}</p>}
        <button type="submit" class="m-primary" disabled={busy}>
          {t('login.submit')}
        </button>
      </form>
    </main>
  );
}

function Home({ t, lang, setLang, s }: { t: MT; lang: MLang; setLang: (l: MLang) => void; s: MSession }) {
  const [tab, setTab] = useState<Tab>('visitors');
  const [home, setHome] = useState<ResidentHome | null>(null);
  const [arrival, setArrival] = useState<ResidentArrival | null>(null);
  const [passTick, setPassTick] = useState(0);
  const [alarmTick, setAlarmTick] = useState(0);
  const [link, setLink] = useState<'connecting' | 'live' | 'down'>('connecting');
  const [walkIn, setWalkIn] = useState<ResidentWalkIn | null>(null);

  useEffect(() => {
    // Offline, the card still needs the compound's name and zone: the last answer is kept on the phone.
    api.home().then(
      (h) => {
        saveHome(s.user.userId, h);
        setHome(h);
      },
      () => setHome(savedHome(s.user.userId)),
    );
  }, [s.user.userId]);
  useEffect(
    () =>
      openLive({
        arrival: (a) => {
          setArrival(a);
          setPassTick((n) => n + 1);
        },
        alarm: () => setAlarmTick((n) => n + 1),
        walkIn: setWalkIn,
        status: setLink,
      }),
    [],
  );
  const tz = home?.community.timezone ?? 'Asia/Shanghai';

  return (
    <div class="m-shell" data-link={link}>
      <header class="m-top">
        <h1>{home ? home.community.name : t('app.title')}</h1>
        <LangButton lang={lang} setLang={setLang} t={t} />
      </header>
      {arrival && (
        <button type="button" class="m-arrival" data-testid="arrival" onClick={() => setArrival(null)}>
          {t('arrival', { name: arrival.visitor, time: formatClock(Date.parse(arrival.at), tz), dir: t(arrival.direction === 'in' ? 'arrival.in' : 'arrival.out'), door: arrival.door })}
        </button>
      )}
      <WalkInRequests t={t} tz={tz} latest={walkIn} />
      <main class="m-main">
        {tab === 'visitors' && <Visitors t={t} lang={lang} s={s} home={home} tick={passTick} />}
        {tab === 'alarms' && <Alarms t={t} lang={lang} tz={tz} tick={alarmTick} />}
        {tab === 'me' && <Me t={t} lang={lang} s={s} home={home} tz={tz} />}
      </main>
      <nav class="m-tabs">
        {(['visitors', 'alarms', 'me'] as const).map((k) => (
          <button type="button" key={k} data-tab={k} aria-current={tab === k ? 'page' : undefined} onClick={() => setTab(k)}>
            {t(`tab.${k}`)}
          </button>
        ))}
      </nav>
    </div>
  );
}

function who(t: MT, r: Responder): string {
  const role = t(`role.${r.role}`);
  // "值班门卫一" already says the role; "王师傅" does not.
  if (!r.name) return role;
  return r.name.startsWith(role) ? r.name : `${role} ${r.name}`;
}

function alarmNote(lang: MLang, note: string | null): string | null {
  if (note === null) return null;
  const code = SystemNote.safeParse(note);
  if (!code.success) return note;
  return translator(lang)(`sysnote.${code.data}`, { target: '', waited: '' });
}

function Alarms({ t, lang, tz, tick }: { t: MT; lang: MLang; tz: string; tick: number }) {
  const [alarms, setAlarms] = useState<ResidentAlarm[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.alarms().then((r) => setAlarms(r.alarms), (e: unknown) => setError(errText(t, e)));
  }, [tick, t]);
  return (
    <section data-testid="alarms">
      <h2>{t('alarms.title')}</h2>
      {error && <p class="m-error">{error}</p>}
      {alarms?.length === 0 && <p class="m-note">{t('alarms.empty')}</p>}
      <ul class="m-list">
        {(alarms ?? []).map((a) => (
          <li key={a.id} class="m-alarm" data-alarm={a.id} data-status={a.status}>
            <strong>{t('alarm.pressed', { time: formatWhen(Date.parse(a.at), tz, lang) })}</strong>
            <div class="m-muted">{a.place}</div>
            {a.acknowledged ? (
              <div class="m-answered" data-testid="alarm-acked">
                ✓ {t('alarm.acked', { time: formatClock(Date.parse(a.acknowledged.at), tz), who: who(t, a.acknowledged.by) })}
                {a.acknowledged.note && <div class="m-quote">“{alarmNote(lang, a.acknowledged.note)}”</div>}
              </div>
            ) : (
              <div class="m-waiting">{t('alarm.waiting')}</div>
            )}
            {a.cancelRequestedAt && <div class="m-muted">{t('alarm.cancel')}</div>}
            {a.cleared && (
              <div class="m-answered" data-testid="alarm-cleared">
                ✓ {t('alarm.cleared', { time: formatClock(Date.parse(a.cleared.at), tz), who: who(t, a.cleared.by) })}
                {a.cleared.note && <div class="m-quote">“{alarmNote(lang, a.cleared.note)}”</div>}
              </div>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function VisitPage({ t, lang, setLang }: { t: MT; lang: MLang; setLang: (l: MLang) => void }) {
  const [view, setView] = useState<Awaited<ReturnType<typeof api.visit>> | 'invalid' | null>(null);
  useEffect(() => {
    const token = location.hash.slice(1);
    api.visit(token).then(setView, () => setView('invalid'));
  }, []);
  const qrRef = useCallback(
    (canvas: HTMLCanvasElement | null) => {
      if (!canvas || view === null || view === 'invalid' || view.qrPayload === null) return;
      const ctx = canvas.getContext('2d');
      if (ctx) drawQr(ctx, view.qrPayload, 0, 0, canvas.width);
    },
    [view],
  );
  return (
    <main class="m-visit" data-testid="visit">
      <header class="m-top">
        <h1>{view && view !== 'invalid' ? view.community : t('visit.title')}</h1>
        <LangButton lang={lang} setLang={setLang} t={t} />
      </header>
      {view === 'invalid' && <p class="m-error">{t('visit.invalid')}</p>}
      {view && view !== 'invalid' && (
        <section data-state={view.state}>
          <h2>{view.visitorName}</h2>
          <p>{t('visit.from', { host: view.host, place: view.place })}</p>
          <p class="m-window">{formatWindow(Date.parse(view.validFrom), Date.parse(view.validUntil), view.timezone, lang)}</p>
          {view.code !== null ? (
            <>
              <p>{t('visit.show')}</p>
              <canvas ref={qrRef} width={320} height={320} class="m-qr" data-testid="visit-qr" />
              <p class="m-code" data-testid="visit-code">{spacedCode(view.code)}</p>
              <p class="m-muted">
                {t('visit.entries', { n: view.entriesLeft })} · {view.doors.join(' → ')}
              </p>
            </>
          ) : (
            <p class="m-error" data-testid="visit-unusable">{t('visit.notUsable', { state: t(`state.${view.state}`) })}</p>
          )}
        </section>
      )}
    </main>
  );
}
