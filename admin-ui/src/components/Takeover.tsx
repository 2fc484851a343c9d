import { TagChips } from './AlertCard';
import { SeverityIcon } from './icons';
import { clock, ago } from '../format';
import { useNow } from '../hooks';
import { placeText, useT } from '../i18n';
import { board, isEmergency } from '../live/board';
import { useStore } from '../store';
import { acknowledge, dialog } from '../ui-state';

/**
 * An unacknowledged critical alert takes over the whole screen, on every page, with the siren, until someone
 * acknowledges it: one click or Enter. A second emergency waiting is said in words.
 */
export function Takeover() {
  const t = useT();
  const { alerts, mode } = useStore(board);
  const now = useNow(1_000);
  const emergencies = alerts.filter(isEmergency);
  const top = emergencies[0];
  if (!top) return null;
  return (
    <div class="takeover" role="alertdialog" aria-modal="true" aria-labelledby="takeover-title" data-alert-id={top.id}>
      <div class="takeover-panel">
        <div class="takeover-head">
          <SeverityIcon severity="critical" size={96} />
          <h1 id="takeover-title">{t('takeover.title')}</h1>
        </div>
        <div class="takeover-type">{t.e.alertType[top.type]}</div>
        <div class="takeover-place">{placeText(t, top.place)}</div>
        <TagChips tags={top.tags} />
        <div class="takeover-time">
          {clock(top.lastAt)} · {ago(t, top.lastAt, now)}
          {top.count > 1 && ` · ${t('alert.count', { n: top.count })}`}
        </div>
        {top.cancelRequestedAt && <div class="takeover-cancel">{t('alert.cancelRequested')}</div>}
        {mode === 'board' ? (
          // A signed-out station's read-only board: nothing here can be acknowledged; the sign-in below says how.
          <p class="takeover-hint" data-testid="takeover-read-only">
            {t('takeover.readOnly')}
          </p>
        ) : (
          <>
            <div class="takeover-actions">
              <button class="btn btn-xxl btn-ack" data-action="takeover-ack" autoFocus onClick={() => void acknowledge(top, undefined, 'takeover')}>
                {t('alert.ack')} <kbd>Enter</kbd>
              </button>
              <button class="btn btn-xl" data-action="takeover-ack-note" onClick={() => dialog.set({ kind: 'ack', alert: top, from: 'takeover' })}>
                {t('alert.ackNote')} <kbd>N</kbd>
              </button>
            </div>
            <p class="takeover-hint">{t('takeover.hint')}</p>
          </>
        )}
        {emergencies.length > 1 && <p class="takeover-more">{t('takeover.more', { n: emergencies.length - 1 })}</p>}
      </div>
    </div>
  );
}
