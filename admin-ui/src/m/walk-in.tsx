import { useEffect, useState } from 'preact/hooks';
import type { ResidentWalkIn } from '@linli/gateway/contracts/api/walk-ins';
import { ApiError, api } from './api';
import type { MT } from './i18n';
import { formatClock } from './time';

/**
 * Walk-in visitors the guard asked this household about (issue 16, item 3): shown on top of every tab, live (the
 * household's stream) and from GET /resident/walk-ins when the app opens; one tap approves or refuses. An answered
 * or run-out request stays until dismissed, so every phone of the flat sees how it ended.
 */
export function WalkInRequests({ t, tz, latest }: { t: MT; tz: string; latest: ResidentWalkIn | null }) {
  const [requests, setRequests] = useState<ResidentWalkIn[]>([]);
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const merge = (w: ResidentWalkIn) => setRequests((rs) => [w, ...rs.filter((r) => r.id !== w.id)]);
  useEffect(() => {
    // Only those still waiting are worth showing when the app opens; answered ones come live.
    api.walkIns().then((r) => setRequests(r.requests.filter((w) => w.state === 'pending')), () => undefined);
  }, []);
  useEffect(() => {
    if (latest) merge(latest);
  }, [latest]);
  // A pending request turns unanswered at its deadline even if the frame saying so is late.
  const [, setNow] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5_000);
    return () => clearInterval(timer);
  }, []);

  const answer = async (w: ResidentWalkIn, a: 'approve' | 'refuse') => {
    setBusy(w.id);
    setError(null);
    try {
      merge(await api.answerWalkIn(w.id, a));
    } catch (e) {
      setError(e instanceof ApiError ? t('error.generic', { msg: e.message }) : t('error.offline'));
      api.walkIns().then((r) => r.requests.forEach(merge), () => undefined);
    } finally {
      setBusy(null);
    }
  };

  const shown = requests.filter((w) => !dismissed.has(w.id));
  if (shown.length === 0) return null;
  return (
    <div class="m-walkins" data-testid="walk-ins">
      {shown.map((w) => {
        const state = w.state === 'pending' && Date.parse(w.answerBy) <= Date.now() ? 'unanswered' : w.state;
        const name = w.visitorName;
        return (
          <section key={w.id} class="m-walkin" data-walk-in={w.id} data-state={state}>
            {state === 'pending' ? (
              <>
                <h2>{t('walkin.title')}</h2>
                <p class="m-walkin-body">{t('walkin.body', { name, phone: w.phoneMasked ? ` (${w.phoneMasked})` : '', reason: w.reason })}</p>
                <p class="m-muted">{t('walkin.until', { time: formatClock(Date.parse(w.answerBy), tz) })}</p>
                <div class="m-walkin-actions">
                  <button type="button" class="m-ok-button" data-action="walk-in-approve" disabled={busy === w.id} onClick={() => void answer(w, 'approve')}>
                    {t('walkin.approve')}
                  </button>
                  <button type="button" class="m-danger" data-action="walk-in-refuse" disabled={busy === w.id} onClick={() => void answer(w, 'refuse')}>
                    {t('walkin.refuse')}
                  </button>
                </div>
              </>
            ) : (
              <div class="m-row">
                <span class="m-grow" data-testid="walk-in-outcome">
                  {t(state === 'approved' ? 'walkin.approved' : state === 'refused' ? 'walkin.refused' : 'walkin.unanswered', { name })}
                </span>
                <button type="button" onClick={() => setDismissed(new Set([...dismissed, w.id]))}>
                  {t('walkin.dismiss')}
                </button>
              </div>
            )}
          </section>
        );
      })}
      {error && <p class="m-error" role="alert">{error}</p>}
    </div>
  );
}
