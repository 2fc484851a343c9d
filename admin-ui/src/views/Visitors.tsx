import type { PassCreated, PassState } from '@linli/gateway/contracts/api/passes';
import { ApiError } from '../api';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { clock, dateTime, localDay } from '../format';
import { useLoad } from '../hooks';
import { useT } from '../i18n';
import { toast } from '../ui-state';
import type { WalkInRequestView } from '@linli/gateway/contracts/api/walk-ins';
import { WalkInWait } from './WalkInAsk';

const TONE: Record<PassState, string> = { active: 'pill-ok', upcoming: 'pill-warn', expired: 'pill-muted', used_up: 'pill-muted', revoked: 'pill-bad' };

/** The visitors residents invited for a day: who, to which flat, when, and whether the pass still opens a door. */
export function Visitors() {
  const t = useT();
  const [date, setDate] = useState(localDay());
  const [list, reload] = useLoad(() => api.expectedVisitors(date), date, 30_000);

  const revoke = async (id: string, name: string) => {
    if (!window.confirm(t('visitors.revokeConfirm', { name }))) return;
    try {
      await api.revokePass(id);
      reload();
    } catch (err) {
      toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
    }
  };

  const [walkIn, setWalkIn] = useState(false);
  return (
    <div class="visitors">
      <h1 class="view-title">
        {t('visitors.title')}
        {list.state === 'ok' && <span class="muted">{t('visitors.count', { n: list.value.visitors.length })}</span>}
        <button class="btn btn-lg btn-primary" data-action="walk-in" onClick={() => setWalkIn(true)}>
          {t('walkIn.button')}
        </button>
      </h1>
      {walkIn && (
        <WalkInForm
          close={() => setWalkIn(false)}
          done={() => {
            setDate(localDay());
            reload();
          }}
        />
      )}
      <div class="toolbar">
        <label class="field">
          <span>{t('visitors.date')}</span>
          <input type="date" value={date} onChange={(e) => setDate(e.currentTarget.value || localDay())} />
        </label>
        <div class="field">
          <span>&nbsp;</span>
          <button class="btn" onClick={() => setDate(localDay())}>
            {t('log.today')}
          </button>
        </div>
      </div>
      {list.state !== 'ok' ? (
        <p class="muted">{list.state === 'loading' ? t('common.loading') : t('common.error', { msg: list.message })}</p>
      ) : list.value.visitors.length === 0 ? (
        <p class="empty">{t('visitors.none')}</p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th>{t('visitors.name')}</th>
              <th>{t('visitors.household')}</th>
              <th>{t('visitors.window')}</th>
              <th>{t('visitors.entries')}</th>
              <th>{t('visitors.plate')}</th>
              <th>{t('visitors.phone')}</th>
              <th>{t('visitors.state')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.value.visitors.map((v) => (
              <tr key={v.id} data-pass={v.id}>
                <td style={{ fontWeight: 700, fontSize: '1.1rem' }}>{v.visitorName}</td>
                <td>{v.householdLabel}</td>
                <td class="num">
                  {dateTime(v.validFrom)} – {clock(v.validUntil).slice(0, 5)}
                </td>
                <td class="num">
                  {v.entriesUsed} / {v.maxEntries}
                </td>
                <td>{v.plate ?? '–'}</td>
                <td class="num">{v.phoneMasked ?? '–'}</td>
                <td>
                  <span class={`pill ${TONE[v.state]}`}>{t.e.passState[v.state]}</span>
                </td>
                <td>
                  {(v.state === 'active' || v.state === 'upcoming') && (
                    <button class="btn btn-sm" onClick={() => void revoke(v.id, v.visitorName)}>
                      {t('visitors.revoke')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/**
 * A visitor at the gate without a pass: name, the last four of the ID number if shown, the host's flat, the reason,
 * and the guard's confirmation that the host was phoned. The answer is a pass for one entry within 30 minutes; its code
 * is shown once, large, for the gate keypad.
 */
function WalkInForm({ close, done }: { close: () => void; done: () => void }) {
  const t = useT();
  const [f, setF] = useState({ visitorName: '', idLast4: '', household: '', reason: '', phoned: false });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [made, setMade] = useState<PassCreated | null>(null);
  const [asking, setAsking] = useState<WalkInRequestView | null>(null);
  const set = (k: keyof typeof f) => (e: { currentTarget: HTMLInputElement }) => setF({ ...f, [k]: k === 'phoned' ? e.currentTarget.checked : e.currentTarget.value });
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!f.phoned) {
      setError(t('walkIn.phoneFirst'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const p = await api.walkIn({ visitorName: f.visitorName.trim(), household: f.household.trim(), reason: f.reason.trim(), hostConfirmed: 'phone', ...(f.idLast4.trim() ? { idLast4: f.idLast4.trim() } : {}) });
      setMade(p);
      done();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('login.error'));
    } finally {
      setBusy(false);
    }
  };
  // Ask the household in the app instead of phoning: the same facts, no phone confirmation needed.
  const ask = async (e: { currentTarget: HTMLButtonElement }) => {
    const form = e.currentTarget.form;
    if (form && !form.reportValidity()) return;
    setBusy(true);
    setError(null);
    try {
      setAsking(await api.askWalkIn({ visitorName: f.visitorName.trim(), household: f.household.trim(), reason: f.reason.trim(), ...(f.idLast4.trim() ? { idLast4: f.idLast4.trim() } : {}) }));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('login.error'));
    } finally {
      setBusy(false);
    }
  };
  if (asking && !made) {
    return (
      <WalkInWait
        request={asking}
        onPass={(p) => {
          setMade(p);
          done();
        }}
        phoneInstead={() => setAsking(null)}
        close={close}
      />
    );
  }
  if (made) {
    return (
      <section class="walk-in panel" data-testid="walk-in-done">
        <h2>{t('walkIn.doneTitle', { name: made.visitorName })}</h2>
        <p class="walk-in-code" data-testid="walk-in-code">
          {made.code}
        </p>
        <p>{t('walkIn.doneBody', { until: clock(made.validUntil).slice(0, 5) })}</p>
        <button class="btn btn-lg" onClick={close}>
          {t('help.close')}
        </button>
      </section>
    );
  }
  return (
    <form class="walk-in panel" data-testid="walk-in-form" onSubmit={(e) => void submit(e)}>
      <h2>{t('walkIn.title')}</h2>
      <div class="walk-in-fields">
        <label class="field">
          <span>{t('walkIn.name')}</span>
          <input class="input-lg" name="visitorName" required maxLength={32} value={f.visitorName} onInput={set('visitorName')} />
        </label>
        <label class="field">
          <span>{t('walkIn.idLast4')}</span>
          <input class="input-lg" name="idLast4" maxLength={4} inputMode="numeric" value={f.idLast4} onInput={set('idLast4')} />
        </label>
        <label class="field">
          <span>{t('walkIn.household')}</span>
          <input class="input-lg" name="household" required placeholder="3-2-501" value={f.household} onInput={set('household')} />
        </label>
        <label class="field">
          <span>{t('walkIn.reason')}</span>
          <input class="input-lg" name="reason" required maxLength={100} value={f.reason} onInput={set('reason')} />
        </label>
      </div>
      <label class="check">
        <input type="checkbox" name="phoned" checked={f.phoned} onChange={set('phoned')} /> {t('walkIn.phoned')}
      </label>
      {error && <p class="error-text">{error}</p>}
      <div class="dialog-actions">
        <button type="button" class="btn btn-lg" onClick={close}>
          {t('dialog.cancel')}
        </button>
        <button type="button" class="btn btn-lg" disabled={busy} data-action="walk-in-ask" onClick={(e) => void ask(e)}>
          {t('walkIn.ask')}
        </button>
        <button type="submit" class="btn btn-lg btn-primary" disabled={busy} data-action="walk-in-submit">
          {t('walkIn.submit')}
        </button>
      </div>
    </form>
  );
}
