import { useCallback, useEffect, useState } from 'preact/hooks';
import type { CredentialView } from '@linli/gateway/contracts/api/credentials';
import type { ResidentHome } from '@linli/gateway/contracts/api/resident';
import { type MSession, api, logout } from './api';
import { errText } from './errors';
import type { MLang, MT } from './i18n';
import { PersonalQr, forgetQr } from './personal-qr';
import { forgetPasses } from './store';
import { formatWhen } from './time';

/** The "me" tab: the household, the resident's credentials, face consent, personal QR, password, signing out. */

function credText(t: MT, c: CredentialView): string {
  const name = t(`me.cred.${c.type}`);
  // Never more than the gateway's hint: the last digits of a card (shown masked), the plate; nothing of a PIN or face.
  const hint = c.type === 'pin' ? '••••••' : c.type === 'card' ? `••••${c.hint ?? ''}` : c.type === 'face' ? '' : (c.hint ?? '');
  return `${name} ${hint}`.trim();
}

type Consent = { on: boolean; at: string | null };

/** Face consent as recorded on paper at the office; the resident may withdraw it here (two taps). */
function FaceConsent({ t, lang, tz, consent, withdraw }: { t: MT; lang: MLang; tz: string; consent: Consent; withdraw: () => Promise<void> }) {
  const [confirm, setConfirm] = useState(false);
  return (
    <div data-testid="face-consent" data-consent={String(consent.on)}>
      <p>{consent.on ? t('me.face.on', { time: consent.at ? formatWhen(Date.parse(consent.at), tz, lang) : '' }) : t('me.face.off')}</p>
      {consent.on &&
        (confirm ? (
          <div class="m-confirm">
            <p>{t('me.face.withdrawConfirm')}</p>
            <button
              type="button"
              class="m-danger"
              data-action="withdraw-confirm"
              onClick={() => {
                setConfirm(false);
                void withdraw();
              }}
            >
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
  );
}

function PasswordForm({ t }: { t: MT }) {
  const [pwMsg, setPwMsg] = useState<string | null>(null);
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
  );
}

/** The resident's credentials and face consent, loaded together (again after a change). */
function useMine(t: MT, residentId: string) {
  const [creds, setCreds] = useState<CredentialView[] | null>(null);
  const [consent, setConsent] = useState<Consent | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const load = useCallback(() => {
    api.credentials(residentId).then((r) => setCreds(r.credentials), (e: unknown) => setMsg(errText(t, e)));
    api.me(residentId).then((r) => setConsent({ on: r.faceConsent, at: r.faceConsentAt }), (e: unknown) => setMsg(errText(t, e)));
  }, [residentId, t]);
  useEffect(load, [load]);
  const withdraw = async () => {
    try {
      const r = await api.faceConsent(residentId, false);
      setConsent({ on: r.faceConsent, at: r.faceConsentAt });
      setMsg(t('me.face.withdrawn'));
      load();
    } catch (e) {
      setMsg(errText(t, e));
    }
  };
  return { creds, consent, msg, setMsg, load, withdraw };
}

export function Me({ t, lang, s, home, tz }: { t: MT; lang: MLang; s: MSession; home: ResidentHome | null; tz: string }) {
  const residentId = s.user.residentId ?? '';
  const { creds, consent, msg, setMsg, load, withdraw } = useMine(t, residentId);
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
      {consent && <FaceConsent t={t} lang={lang} tz={tz} consent={consent} withdraw={withdraw} />}
      {msg && <p class="m-note" data-testid="me-msg">{msg}</p>}
      <h3>{t('me.qr')}</h3>
      <PersonalQr t={t} userId={s.user.userId} residentId={residentId} creds={creds} reload={load} say={setMsg} />
      <h3>{t('me.password')}</h3>
      <PasswordForm t={t} />
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
