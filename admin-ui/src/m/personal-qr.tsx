import { useEffect, useState } from 'preact/hooks';
import { z } from 'zod';
import type { CredentialView } from '@linli/gateway/contracts/api/credentials';
import { api } from './api';
import { drawQr } from './card';
import type { MT } from './i18n';

/** The personal QR as issued to this phone: the gateway shows the payload once and keeps only its hash. */
const SavedQr = z.object({ userId: z.string(), credentialId: z.string(), payload: z.string() });
type SavedQr = z.infer<typeof SavedQr>;
const KEY = 'linli.m.qr';

function savedQr(userId: string): SavedQr | null {
  try {
    const parsed = SavedQr.safeParse(JSON.parse(localStorage.getItem(KEY) ?? 'null'));
    return parsed.success && parsed.data.userId === userId ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Signing out forgets it, like the passes kept on the phone. */
export function forgetQr(): void {
  localStorage.removeItem(KEY);
}

/** The QR as a PNG drawn on the phone (works without a network): black on white, big modules. */
function qrPng(payload: string): string {
  const c = document.createElement('canvas');
  c.width = 480;
  c.height = 480;
  const ctx = c.getContext('2d');
  if (!ctx) return '';
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, c.width, c.height);
  drawQr(ctx, payload, 0, 0, 480);
  return c.toDataURL('image/png');
}

/**
 * My personal QR credential (issue 16, item 5): a way in without the face. Issued and replaced by the resident here;
 * shown full screen on white; kept on the phone so it shows without a network, like an issued pass.
 */
export function PersonalQr({ t, userId, residentId, creds, reload, say }: { t: MT; userId: string; residentId: string; creds: CredentialView[] | null; reload: () => void; say: (msg: string) => void }) {
  const [saved, setSaved] = useState<SavedQr | null>(savedQr(userId));
  const [showing, setShowing] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const active = creds?.find((c) => c.type === 'qr' && c.status === 'active') ?? null;
  // Offline (no list) the kept code is shown as it is; online, only the one the gateway still holds.
  const mine = saved && (creds === null || active?.id === saved.credentialId) ? saved : null;

  const issue = async () => {
    setConfirm(false);
    setBusy(true);
    try {
      const r = await api.issueQr(residentId);
      const s: SavedQr = { userId, credentialId: r.credential.id, payload: r.qr.payload };
      localStorage.setItem(KEY, JSON.stringify(s));
      setSaved(s);
      setShowing(true);
      reload();
    } catch (e) {
      say(e instanceof Error ? t('error.generic', { msg: e.message }) : String(e));
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    setBusy(true);
    try {
      await api.removeQr(residentId);
      forgetQr();
      setSaved(null);
      say(t('me.qr.removed'));
      reload();
    } catch (e) {
      say(e instanceof Error ? t('error.generic', { msg: e.message }) : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-testid="personal-qr" data-issued={String(active !== null)}>
      <p class="m-muted">{t('me.qr.intro')}</p>
      <div class="m-qr-actions">
        {mine && (
          <button type="button" class="m-primary m-big" data-action="qr-show" onClick={() => setShowing(true)}>
            {t('me.qr.show')}
          </button>
        )}
        {active && !mine && <p class="m-note">{t('me.qr.elsewhere')}</p>}
        {!active && creds !== null && (
          <button type="button" class="m-primary" data-action="qr-issue" disabled={busy} onClick={() => void issue()}>
            {t('me.qr.issue')}
          </button>
        )}
        {active &&
          (confirm ? (
            <div class="m-confirm">
              <p>{t('me.qr.rotateConfirm')}</p>
              <button type="button" class="m-danger" data-action="qr-rotate-confirm" disabled={busy} onClick={() => void issue()}>
                {t('me.qr.rotate')}
              </button>
              <button type="button" onClick={() => setConfirm(false)}>
                ←
              </button>
            </div>
          ) : (
            <button type="button" data-action="qr-rotate" onClick={() => setConfirm(true)}>
              {t('me.qr.rotate')}
            </button>
          ))}
        {active && (
          <button type="button" class="m-danger" data-action="qr-remove" disabled={busy} onClick={() => void remove()}>
            {t('me.qr.remove')}
          </button>
        )}
      </div>
      {showing && mine && <QrScreen t={t} payload={mine.payload} close={() => setShowing(false)} />}
    </div>
  );
}

function QrScreen({ t, payload, close }: { t: MT; payload: string; close: () => void }) {
  const [src] = useState(() => qrPng(payload));
  useEffect(() => {
    // Keep the screen on while the code is shown (where the browser allows it).
    let lock: WakeLockSentinel | null = null;
    if ('wakeLock' in navigator) navigator.wakeLock.request('screen').then((l) => (lock = l), () => undefined);
    return () => void lock?.release().catch(() => undefined);
  }, []);
  return (
    <div class="m-qr-full" role="dialog" data-testid="personal-qr-screen">
      <p>
        <strong>{t('me.qr')}</strong>
      </p>
      <img src={src} alt={t('me.qr')} data-testid="personal-qr-image" />
      <p>{t('me.qr.bright')}</p>
      <p class="m-muted">{t('me.qr.offline')}</p>
      <button type="button" class="m-primary" data-action="qr-close" onClick={close}>
        {t('me.qr.close')}
      </button>
    </div>
  );
}
