import type { PassCreated } from '@linli/gateway/contracts/api/passes';
import type { WalkInRequestView } from '@linli/gateway/contracts/api/walk-ins';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { clock } from '../format';
import { useT } from '../i18n';

/**
 * The guard asked the host household in the app (issue 16, item 3): wait for the answer with a long poll (the
 * gateway answers the moment the household taps), then on approval collect the one-entry pass — shown like a phoned
 * walk-in's. A refusal or no answer by the deadline says so; no answer sends the guard back to the phone.
 */
export function WalkInWait({ request, onPass, phoneInstead, close }: { request: WalkInRequestView; onPass: (p: PassCreated) => void; phoneInstead: () => void; close: () => void }) {
  const t = useT();
  const [r, setR] = useState(request);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    let failures = 0;
    void (async () => {
      let current = request;
      while (!stopped && current.state === 'pending') {
        try {
          current = await api.walkInRequest(current.id, 'pending', 20);
          failures = 0;
          if (!stopped) setR(current);
        } catch (err) {
          failures++;
          if (!stopped) setError(err instanceof Error ? err.message : String(err));
          await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 1_000 * failures)));
        }
      }
      if (stopped || current.state !== 'approved') return;
      try {
        onPass(await api.walkInPass(current.id));
      } catch (err) {
        if (!stopped) setError(err instanceof ApiError ? err.message : String(err));
      }
    })();
    return () => {
      stopped = true;
    };
    // One wait per request (the parent's callbacks do not change it).
  }, [request.id]);

  return (
    <section class="walk-in panel" data-testid="walk-in-wait" data-state={r.state}>
      {r.state === 'pending' && (
        <>
          <h2>{t('walkIn.waiting', { household: r.householdLabel })}</h2>
          <p>
            <strong style={{ fontSize: '1.3rem' }}>{r.visitorName}</strong> · {r.reason}
          </p>
          <p class="muted">{t('walkIn.waitUntil', { until: clock(r.answerBy).slice(0, 5) })}</p>
        </>
      )}
      {r.state === 'approved' && <h2>{t('walkIn.approvedBy', { who: r.answeredBy ?? '' })}</h2>}
      {r.state === 'refused' && (
        <>
          <h2 class="error-text">{t('walkIn.refusedTitle', { name: r.visitorName })}</h2>
          <p>{t('walkIn.refusedBody')}</p>
        </>
      )}
      {r.state === 'unanswered' && (
        <>
          <h2 class="error-text">{t('walkIn.unansweredTitle', { name: r.visitorName })}</h2>
          <p>{t('walkIn.unansweredBody')}</p>
        </>
      )}
      {error && <p class="error-text">{error}</p>}
      <div class="dialog-actions">
        {r.state === 'unanswered' && (
          <button type="button" class="btn btn-lg btn-primary" data-action="walk-in-phone-instead" onClick={phoneInstead}>
            {t('walkIn.phoneInstead')}
          </button>
        )}
        <button type="button" class="btn btn-lg" onClick={close}>
          {t('help.close')}
        </button>
      </div>
    </section>
  );
}
