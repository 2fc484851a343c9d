import { useNow } from '../hooks';
import { useT } from '../i18n';
import { board } from '../live/board';
import { clock } from '../format';
import { hardExpiry, reloginAsked, session } from '../session';
import { useStore } from '../store';

/** Ten minutes before the sign-in ends (renewal stopped: the shift's maximum, or the gateway unreachable). */
const WARN_MS = 10 * 60_000;

/**
 * A warning across the bottom of the screen, over the takeover too, from ten minutes before the sign-in ends: when,
 * and a button to sign in again now (the board keeps running meanwhile).
 */
export function ExpiryWarning() {
  const t = useT();
  const s = useStore(session);
  const hard = useStore(hardExpiry);
  const now = useNow(1_000);
  if (!s) return null;
  // While renewal works the sign-in lasts until the shift's maximum; before the first answer, its current expiry.
  const end = hard ?? s.expiresAt;
  const left = Date.parse(end) - now;
  if (left > WARN_MS) return null;
  return (
    <div class="expiry-warning" role="alert" data-testid="expiry-warning">
      <span>{t('session.expiring', { min: Math.max(0, Math.ceil(left / 60_000)), time: clock(end) })}</span>
      <button class="btn btn-lg" data-action="relogin" onClick={() => reloginAsked.set(true)}>
        {t('session.relogin')}
      </button>
    </div>
  );
}

/** The status in the header: always visible, green only when the live link is really up. */
export function LinkIndicator() {
  const t = useT();
  const { link } = useStore(board);
  const label = link.status === 'live' ? t('link.live') : link.status === 'down' ? t('link.down') : t('link.connecting');
  return (
    <div class={`link-indicator link-${link.status}`} data-testid="link-indicator" data-status={link.status} role="status" aria-live="polite">
      <span class="link-dot" aria-hidden="true" />
      {label}
    </div>
  );
}

/** The gateway cannot store anything (database locked, disk full): alarms still arrive, marked 未保存. */
export function DatabaseBanner() {
  const t = useT();
  const { database } = useStore(board);
  if (database?.database !== 'degraded') return null;
  const reason = database.reason === 'locked' || database.reason === 'disk_full' ? t(`db.reason.${database.reason}`) : `${t('db.reason.other')} (${database.reason ?? '?'})`;
  return (
    <div class="db-banner" role="alert" data-testid="db-banner" data-reason={database.reason ?? ''}>
      <strong>⚠ {t('db.degradedTitle')}</strong>
      <span>{t('db.degradedBody', { reason })}</span>
    </div>
  );
}

/** A link that is down covers the whole screen: alarms cannot arrive, and the guard must know it at a glance. */
export function LinkDownOverlay() {
  const t = useT();
  const { link, mode } = useStore(board);
  const s = useStore(session);
  const now = useNow(1_000);
  if (link.status !== 'down') return null;
  const sec = Math.max(0, Math.round((now - link.since) / 1000));
  // Signed out on a browser that is not a registered station: nothing reconnects, and the screen says so.
  const signedOut = s === null && mode === 'none';
  return (
    <div class="link-down" role="alert" data-testid="link-down" data-signed-out={signedOut ? 'true' : 'false'}>
      <div class="link-down-panel">
        <div class="link-down-icon" aria-hidden="true">⚠</div>
        <h1>{t(signedOut ? 'link.signedOutTitle' : 'link.downTitle')}</h1>
        <p class="link-down-body">{t(signedOut ? 'link.downSignedOut' : 'link.downBody')}</p>
        {!signedOut && <p class="link-down-since">{t('link.downSince', { sec, n: link.attempts })}</p>}
        <p class="link-down-advice">{t(signedOut ? 'link.downSignedOutAdvice' : 'link.downAdvice')}</p>
      </div>
    </div>
  );
}
