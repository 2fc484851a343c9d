import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { CredentialView } from '@linli/gateway/contracts/api/credentials';
import type { PassView } from '@linli/gateway/contracts/api/passes';
import type { ResidentAlarm, ResidentArrival, ResidentHome, Responder } from '@linli/gateway/contracts/api/resident';
import { SystemNote } from '@linli/gateway/contracts/api/alert-notes';
import { translator } from '../i18n';
import { ApiError, type MSession, api, login, logout, onSession, session } from './api';
import { canvasPng, drawCard, drawQr, spacedCode } from './card';
import { type MLang, type MT, initialLang, mt, saveLang } from './i18n';
import { FieldApp } from './field';
import { openLive } from './live';
import { PersonalQr, forgetQr } from './personal-qr';
import { WalkInRequests } from './walk-in';
import type { ResidentWalkIn } from '@linli/gateway/contracts/api/walk-ins';
import { type SavedPass, forgetPasses, saveHome, savePass, savedHome, savedPasses } from './store';
import { type Preset, formatClock, formatWhen, formatWindow, fromLocalInput, presetWindow, toLocalInput } from './time';

type Tab = 'visitors' | 'alarms' | 'me';

function errText(t: MT, e: unknown): string {
  if (e instanceof ApiError) return t('error.generic', { msg: e.message });
  if (e instanceof TypeError) return t('error.offline');
  return t('error.generic', { msg: String(e) });
}

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

function passLabel(t: MT, p: PassView): string {
  if (p.state === 'revoked') return t('state.revoked');
  if (p.state === 'expired') return t('state.expired');
  if (p.entriesUsed > 0) return t('state.entered', { n: p.entriesUsed });
  return t('state.upcoming');
}

function Visitors({ t, lang, s, home, tick }: { t: MT; lang: MLang; s: MSession; home: ResidentHome | null; tick: number }) {
  const [passes, setPasses] = useState<PassView[] | null>(null);
  const [offline, setOffline] = useState(false);
  const [view, setView] = useState<{ kind: 'list' } | { kind: 'invite' } | { kind: 'card'; pass: SavedPass }>({ kind: 'list' });
  const [confirm, setConfirm] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const tz = home?.community.timezone ?? 'Asia/Shanghai';
  const saved = savedPasses(s.user.userId);

  const load = useCallback(() => {
    api.passes().then(
      (r) => {
        setPasses(r.passes);
        setOffline(false);
      },
      (e: unknown) => {
        if (e instanceof TypeError) setOffline(true);
        else setError(errText(t, e));
      },
    );
  }, [t]);
  useEffect(load, [load, tick]);

  const revoke = async (id: string) => {
    setConfirm(null);
    try {
      await api.revoke(id);
      load();
    } catch (e) {
      setError(errText(t, e));
    }
  };

  if (view.kind === 'invite' && home) return <Invite t={t} lang={lang} s={s} home={home} done={(p) => { load(); setView(p ? { kind: 'card', pass: p } : { kind: 'list' }); }} />;
  if (view.kind === 'card' && home) return <Card t={t} lang={lang} home={home} pass={view.pass} done={() => setView({ kind: 'list' })} />;

  const rows: Array<{ id: string; visitorName: string; validFrom: string; validUntil: string; label: string; revocable: boolean }> = offline
    ? saved.map((p) => ({ ...p, label: '', revocable: false }))
    : (passes ?? []).map((p) => ({ ...p, label: passLabel(t, p), revocable: p.state === 'active' || p.state === 'upcoming' }));
  return (
    <section data-testid="visitors">
      <button type="button" class="m-primary m-big" data-action="invite" disabled={!home || offline} onClick={() => setView({ kind: 'invite' })}>
        ＋ {t('visitors.invite')}
      </button>
      {offline && <p class="m-note" data-testid="offline">{t('visitors.offline')}</p>}
      {error && <p class="m-error" role="alert">{error}</p>}
      {rows.length === 0 && passes !== null && <p class="m-note">{t('visitors.empty')}</p>}
      <ul class="m-list">
        {rows.map((p) => {
          const mine = saved.find((x) => x.id === p.id);
          return (
            <li key={p.id} class="m-pass" data-pass={p.id}>
              <div class="m-pass-head">
                <strong>{p.visitorName}</strong>
                {p.label && <span class="m-chip" data-testid="pass-state">{p.label}</span>}
              </div>
              <div class="m-muted">{formatWindow(Date.parse(p.validFrom), Date.parse(p.validUntil), tz, lang)}</div>
              <div class="m-row">
                {mine && (
                  <button type="button" data-action="show-card" onClick={() => setView({ kind: 'card', pass: mine })}>
                    {t('pass.card')}
                  </button>
                )}
                {p.revocable &&
                  (confirm === p.id ? (
                    <span class="m-confirm">
                      <span>{t('pass.revokeConfirm')}</span>
                      <button type="button" class="m-danger" data-action="revoke-confirm" onClick={() => void revoke(p.id)}>
                        {t('pass.revoke')}
                      </button>
                    </span>
                  ) : (
                    <button type="button" class="m-danger" data-action="revoke" onClick={() => setConfirm(p.id)}>
                      {t('pass.revoke')}
                    </button>
                  ))}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function Invite({ t, lang, s, home, done }: { t: MT; lang: MLang; s: MSession; home: ResidentHome; done: (p: SavedPass | null) => void }) {
  const tz = home.community.timezone;
  const [preset, setPreset] = useState<Preset | 'custom'>('tonight');
  const initial = presetWindow('tonight', Date.now(), tz);
  const [from, setFrom] = useState(toLocalInput(initial.from, tz));
  const [until, setUntil] = useState(toLocalInput(initial.until, tz));
  const [plate, setPlate] = useState('');
  const doorsFor = (withPlate: boolean) => [...home.defaultDoors, ...(withPlate ? home.vehicleDoors : [])];
  const [entries, setEntries] = useState(home.defaultDoors.length || 1);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const doors = doorsFor(plate.trim() !== '');

  const pick = (p: Preset | 'custom') => {
    setPreset(p);
    if (p === 'custom') return;
    const w = presetWindow(p, Date.now(), tz);
    setFrom(toLocalInput(w.from, tz));
    setUntil(toLocalInput(w.until, tz));
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const window = preset === 'custom' ? { from: fromLocalInput(from, tz), until: fromLocalInput(until, tz) } : presetWindow(preset, Date.now(), tz);
    if (window.from === null || window.until === null) return;
    const phone = String(data.get('phone') ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      const created = await api.createPass({
        visitorName: String(data.get('visitorName') ?? ''),
        ...(phone ? { phone } : {}),
        ...(plate.trim() ? { plate: plate.trim().toUpperCase() } : {}),
        // "Now" is the gateway's: a start within the next minute is sent as no start at all.
        ...(window.from > Date.now() + 60_000 ? { validFrom: new Date(window.from).toISOString() } : {}),
        validUntil: new Date(window.until).toISOString(),
        maxEntries: entries,
      });
      let linkUrl: string | null = null;
      try {
        const { token } = await api.visitLink(created.id, created.code);
        linkUrl = `${location.origin}/m/visit#${token}`;
      } catch {
        linkUrl = null;
      }
      const saved: SavedPass = { id: created.id, userId: s.user.userId, visitorName: created.visitorName, validFrom: created.validFrom, validUntil: created.validUntil, code: created.code, qrPayload: created.qr.payload, link: linkUrl };
      savePass(saved);
      done(saved);
    } catch (err) {
      setError(errText(t, err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="m-form" data-testid="invite-form" onSubmit={submit}>
      <h2>{t('invite.title')}</h2>
      <label>
        {t('invite.name')}
        <input name="visitorName" required maxLength={32} />
      </label>
      <label>
        {t('invite.phone')}
        <input name="phone" type="tel" inputMode="numeric" pattern="1[3-9][0-9]{9}" />
      </label>
      <label>
        {t('invite.plate')}
        <input name="plate" value={plate} onInput={(e) => setPlate((e.currentTarget as HTMLInputElement).value)} autocapitalize="characters" />
      </label>
      <fieldset>
        <legend>{t('invite.when')}</legend>
        <div class="m-presets">
          {(['today', 'tonight', 'tomorrow', 'custom'] as const).map((p) => (
            <button type="button" key={p} data-preset={p} aria-pressed={preset === p} onClick={() => pick(p)}>
              {t(`preset.${p}`)}
            </button>
          ))}
        </div>
        {preset === 'custom' ? (
          <div class="m-custom">
            <label>
              {t('invite.from')}
              <input type="datetime-local" name="from" value={from} onInput={(e) => setFrom((e.currentTarget as HTMLInputElement).value)} />
            </label>
            <label>
              {t('invite.until')}
              <input type="datetime-local" name="until" value={until} onInput={(e) => setUntil((e.currentTarget as HTMLInputElement).value)} />
            </label>
          </div>
        ) : (
          <p class="m-window" data-testid="invite-window">
            {(() => {
              const w = presetWindow(preset, Date.now(), tz);
              return formatWindow(w.from, w.until, tz, lang);
            })()}
          </p>
        )}
        <p class="m-muted">{t('invite.tz', { tz })}</p>
      </fieldset>
      <label>
        {t('invite.entries')}
        <div class="m-stepper">
          <button type="button" aria-label="-" onClick={() => setEntries((n) => Math.max(1, n - 1))}>
            −
          </button>
          <output name="entries" data-testid="entries">{entries}</output>
          <button type="button" aria-label="+" onClick={() => setEntries((n) => Math.min(20, n + 1))}>
            ＋
          </button>
        </div>
      </label>
      <p class="m-muted" data-testid="invite-doors">
        {t('invite.doorsDefault', { doors: doors.map((d) => d.name).join(' → ') })}
      </p>
      {error && <p class="m-error" role="alert">{error}</p>}
      <div class="m-row">
        <button type="button" onClick={() => done(null)}>
          ←
        </button>
        <button type="submit" class="m-primary m-grow" data-action="invite-submit" disabled={busy}>
          {t('invite.submit')}
        </button>
      </div>
    </form>
  );
}

function Card({ t, lang, home, pass, done }: { t: MT; lang: MLang; home: ResidentHome; pass: SavedPass; done: () => void }) {
  const [png, setPng] = useState<{ blob: Blob; url: string } | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const tz = home.community.timezone;
  useEffect(() => {
    const canvas = drawCard(
      {
        community: home.community.name,
        title: t('card.title'),
        hostLabel: t('card.host'),
        host: `${home.resident.maskedName} · ${home.household.building}${home.household.unit}${lang === 'zh' ? '单元' : ''}`,
        visitorLabel: t('card.visitor'),
        visitor: pass.visitorName,
        windowLabel: t('card.window'),
        window: formatWindow(Date.parse(pass.validFrom), Date.parse(pass.validUntil), tz, lang),
        codeLabel: t('card.code'),
        code: pass.code,
        hint: t('card.hint'),
      },
      pass.qrPayload,
    );
    let cancelled = false;
    void canvasPng(canvas).then((blob) => {
      const reader = new FileReader();
      reader.onload = () => {
        if (!cancelled && typeof reader.result === 'string') setPng({ blob, url: reader.result });
      };
      reader.readAsDataURL(blob);
    });
    return () => {
      cancelled = true;
    };
  }, [home, pass, lang, t, tz]);

  const file = png ? new File([png.blob], `invite-${pass.visitorName}.png`, { type: 'image/png' }) : null;
  const canShare = file !== null && typeof navigator.canShare === 'function' && navigator.canShare({ files: [file] });
  const share = async () => {
    if (!file) return;
    try {
      await navigator.share({ files: [file], title: t('card.title'), ...(pass.link ? { text: pass.link } : {}) });
    } catch {
      // The resident closed the share sheet.
    }
  };
  const copy = async () => {
    if (!pass.link) return;
    try {
      await navigator.clipboard.writeText(pass.link);
      setNote(t('card.linkCopied'));
    } catch {
      setNote(pass.link);
    }
  };
  return (
    <section class="m-card" data-testid="card">
      <p class="m-note">{t('card.once')}</p>
      {png ? <img src={png.url} alt={t('card.title')} data-testid="card-image" /> : <div class="m-card-wait" />}
      <div class="m-actions">
        {canShare && (
          <button type="button" class="m-primary" data-action="share" onClick={() => void share()}>
            {t('card.share')}
          </button>
        )}
        {png && (
          <a class="m-button" href={png.url} download={`invite-${pass.visitorName}.png`} data-action="save">
            {t('card.save')}
          </a>
        )}
        {pass.link && (
          <button type="button" data-action="copy-link" data-link={pass.link} onClick={() => void copy()}>
            {t('card.link')}
          </button>
        )}
        {note && <p class="m-note" data-testid="link-note">{note}</p>}
        <button type="button" data-action="card-done" onClick={done}>
          {t('card.done')}
        </button>
      </div>
    </section>
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

function credText(t: MT, c: CredentialView): string {
  const name = t(`me.cred.${c.type}`);
  // Never more than the gateway's hint: the last digits of a card (shown masked), the plate; nothing of a PIN or face.
  const hint = c.type === 'pin' ? '••••••' : c.type === 'card' ? `••••${c.hint ?? ''}` : c.type === 'face' ? '' : (c.hint ?? '');
  return `${name} ${hint}`.trim();
}

function Me({ t, lang, s, home, tz }: { t: MT; lang: MLang; s: MSession; home: ResidentHome | null; tz: string }) {
  const residentId = s.user.residentId ?? '';
  const [creds, setCreds] = useState<CredentialView[] | null>(null);
  const [consent, setConsent] = useState<{ on: boolean; at: string | null } | null>(null);
  const [confirm, setConfirm] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  const [pwMsg, setPwMsg] = useState<string | null>(null);
  const load = useCallback(() => {
    api.credentials(residentId).then((r) => setCreds(r.credentials), (e: unknown) => setMsg(errText(t, e)));
    api.me(residentId).then((r) => setConsent({ on: r.faceConsent, at: r.faceConsentAt }), (e: unknown) => setMsg(errText(t, e)));
  }, [residentId, t]);
  useEffect(load, [load]);

  const withdraw = async () => {
    setConfirm(false);
    try {
      const r = await api.faceConsent(residentId, false);
      setConsent({ on: r.faceConsent, at: r.faceConsentAt });
      setMsg(t('me.face.withdrawn'));
      load();
    } catch (e) {
      setMsg(errText(t, e));
    }
  };
  const changePassword = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    try {
      await api.changePassword(String(data.get('current') ?? ''), String(data.get('next') ?? ''));
      form.reset();
      setPwMsg(t('me.password.done'));
    } catch (err) {
      setPwMsg(errText(t, err));
    }
  };
  return (
    <section data-testid="me" class="m-me">
      <h2>{t('me.title')}</h2>
      {home && (
        <p>
          {t('me.household')}: {home.household.building}
          {home.household.unit}
          {lang === 'zh' ? '单元' : '-'}
          {home.household.room} · {home.resident.maskedName}
        </p>
      )}
      <h3>{t('me.credentials')}</h3>
      <ul class="m-list m-creds" data-testid="credentials">
        {(creds ?? []).map((c) => (
          <li key={c.id} data-cred={c.type}>
            {credText(t, c)}
            {c.status === 'suspended' && <span class="m-chip">{t('me.cred.suspended')}</span>}
          </li>
        ))}
      </ul>
      <h3>{t('me.face')}</h3>
      {consent && (
        <div data-testid="face-consent" data-consent={String(consent.on)}>
          <p>{consent.on ? t('me.face.on', { time: consent.at ? formatWhen(Date.parse(consent.at), tz, lang) : '' }) : t('me.face.off')}</p>
          {consent.on &&
            (confirm ? (
              <div class="m-confirm">
                <p>{t('me.face.withdrawConfirm')}</p>
                <button type="button" class="m-danger" data-action="withdraw-confirm" onClick={() => void withdraw()}>
                  {t('me.face.withdraw')}
                </button>
                <button type="button" onClick={() => setConfirm(false)}>
                  ←
                </button>
              </div>
            ) : (
              <button type="button" class="m-danger" data-action="withdraw" onClick={() => setConfirm(true)}>
                {t('me.face.withdraw')}
              </button>
            ))}
          {!consent.on && <p class="m-muted">{t('me.face.give')}</p>}
        </div>
      )}
      {msg && <p class="m-note" data-testid="me-msg">{msg}</p>}
      <h3>{t('me.qr')}</h3>
      <PersonalQr t={t} userId={s.user.userId} residentId={residentId} creds={creds} reload={load} say={setMsg} />
      <h3>{t('me.password')}</h3>
      <form class="m-form" onSubmit={changePassword} data-testid="password-form">
        <label>
          {t('me.password.current')}
          <input name="current" type="password" autocomplete="current-password" required />
        </label>
        <label>
          {t('me.password.new')}
          <input name="next" type="password" autocomplete="new-password" minLength={10} required />
        </label>
        <button type="submit">{t('me.password.submit')}</button>
        {pwMsg && <p class="m-note">{pwMsg}</p>}
      </form>
      <h3>{t('me.privacy')}</h3>
      <p class="m-privacy">{t('privacy.text')}</p>
      <button
        type="button"
        data-action="logout"
        onClick={() => {
          forgetPasses(s.user.userId);
          forgetQr();
          void logout();
        }}
      >
        {t('me.logout')}
      </button>
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
