import type { PassCreated } from '@linli/gateway/contracts/api/passes';
import type { WalkInRequestView } from '@linli/gateway/contracts/api/walk-ins';
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { clock } from '../format';
import { useT } from '../i18n';
import { WalkInWait } from './WalkInAsk';

type Fields = { visitorName: string; idLast4: string; household: string; reason: string; phoned: boolean };
type Setter = (k: keyof Fields) => (e: { currentTarget: HTMLInputElement }) => void;

/** The walk-in's facts as the API takes them (the ID digits only when given). */
function facts(f: Fields) {
  return { visitorName: f.visitorName.trim(), household: f.household.trim(), reason: f.reason.trim(), ...(f.idLast4.trim() ? { idLast4: f.idLast4.trim() } : {}) };
}

/** Registering the walk-in after phoning the host, or asking the household in the app instead. */
function useWalkIn(done: () => void) {
  const t = useT();
  const [f, setF] = useState<Fields>({ visitorName: '', idLast4: '', household: '', reason: '', phoned: false });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [made, setMade] = useState<PassCreated | null>(null);
  const [asking, setAsking] = useState<WalkInRequestView | null>(null);
  const set: Setter = (k) => (e) => setF({ ...f, [k]: k === 'phoned' ? e.currentTarget.checked : e.currentTarget.value });
  const run = async (call: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await call();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('login.error'));
    } finally {
      setBusy(false);
    }
  };
  const issued = (p: PassCreated) => {
    setMade(p);
    done();
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!f.phoned) {
      setError(t('walkIn.phoneFirst'));
      return;
    }
    await run(async () => issued(await api.walkIn({ ...facts(f), hostConfirmed: 'phone' })));
  };
  // Ask the household in the app instead of phoning: the same facts, no phone confirmation needed.
  const ask = async (e: { currentTarget: HTMLButtonElement }) => {
    const form = e.currentTarget.form;
    if (form && !form.reportValidity()) return;
    await run(async () => setAsking(await api.askWalkIn(facts(f))));
  };
  return { f, set, error, busy, made, asking, setAsking, issued, submit, ask };
}

/** The pass: its code shown once, large, for the gate keypad. */
function WalkInDone({ made, close }: { made: PassCreated; close: () => void }) {
  const t = useT();
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

function WalkInFields({ f, set }: { f: Fields; set: Setter }) {
  const t = useT();
  return (
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
  );
}

/**
 * A visitor at the gate without a pass: name, the last four of the ID number if shown, the host's flat, the reason,
 * and the guard's confirmation that the host was phoned. The answer is a pass for one entry within 30 minutes; its code
 * is shown once, large, for the gate keypad.
 */
export function WalkInForm({ close, done }: { close: () => void; done: () => void }) {
  const t = useT();
  const { f, set, error, busy, made, asking, setAsking, issued, submit, ask } = useWalkIn(done);
  if (asking && !made) return <WalkInWait request={asking} onPass={issued} phoneInstead={() => setAsking(null)} close={close} />;
  if (made) return <WalkInDone made={made} close={close} />;
  return (
    <form class="walk-in panel" data-testid="walk-in-form" onSubmit={(e) => void submit(e)}>
      <h2>{t('walkIn.title')}</h2>
      <WalkInFields f={f} set={set} />
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
