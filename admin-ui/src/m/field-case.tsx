import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { FieldAlert } from '@linli/gateway/contracts/api/field';
import { translator } from '../i18n';
import { ApiError } from './api';
import { plainErrText as errText } from './errors';
import { fieldApi } from './field-api';
import type { FT } from './field-i18n';
import type { MLang } from './i18n';
import { formatWhen } from './time';

/** One case of a field worker's grids (field.tsx): on site (with a reason when late), then its outcome. */

/** Late once the on-site deadline passed without anyone on site: a timer flips it at the deadline. */
function useLate(a: FieldAlert, due: number) {
  const [late, setLate] = useState(Date.now() > due);
  useEffect(() => {
    if (late || a.onSiteAt !== null) return;
    const timer = setTimeout(() => setLate(true), Math.max(0, due - Date.now()));
    return () => clearTimeout(timer);
  }, [due, late, a.onSiteAt]);
  return [late, setLate] as const;
}

/** A case form's buttons: its submit buttons, then cancel. */
function FormButtons({ t, cancel, children }: { t: FT; cancel: () => void; children: ComponentChildren }) {
  return (
    <div class="m-actions">
      {children}
      <button type="button" onClick={cancel}>
        {t('case.cancel')}
      </button>
    </div>
  );
}

function OnSiteForm({ t, late, submit, cancel }: { t: FT; late: boolean; submit: (e: Event) => void; cancel: () => void }) {
  return (
    <form class="m-form" onSubmit={submit} data-testid="onsite-form">
      {late && (
        <>
          <p class="m-waiting">{t('case.lateHint')}</p>
          <label>
            {t('case.lateReason')}
            <input name="lateReason" required maxLength={500} />
          </label>
        </>
      )}
      <label>
        {t('case.note')}
        <input name="note" maxLength={1000} />
      </label>
      <FormButtons t={t} cancel={cancel}>
        <button type="submit" class="m-primary" data-action="onsite-confirm">
          {t('case.confirm')}
        </button>
      </FormButtons>
    </form>
  );
}

function OutcomeForm({ t, submit, cancel }: { t: FT; submit: (e: Event) => void; cancel: () => void }) {
  return (
    <form class="m-form" onSubmit={submit} data-testid="outcome-form">
      <label>
        {t('case.outcomeNote')}
        <input name="outcome" required maxLength={1000} />
      </label>
      <FormButtons t={t} cancel={cancel}>
        <button type="submit" class="m-primary" data-resolved="true" data-action="resolved">
          {t('case.resolved')}
        </button>
        <button type="submit" data-resolved="false" data-action="pending">
          {t('case.pending')}
        </button>
      </FormButtons>
    </form>
  );
}

/** What the case says about being on site: who and when, late, or by when. */
function OnSiteLine({ t, lang, a, tz, late, due }: { t: FT; lang: MLang; a: FieldAlert; tz: string; late: boolean; due: number }) {
  if (a.onSiteAt !== null) return <p class="m-answered" data-testid="onsite-done">{t('case.onSite', { by: a.onSiteBy ?? '', time: formatWhen(Date.parse(a.onSiteAt), tz, lang) })}</p>;
  if (late) return <p class="m-waiting" data-testid="late">{t('case.late')}</p>;
  return <p class="m-muted">{t('case.due', { time: formatWhen(due, tz, lang) })}</p>;
}

export function Case({ t, lang, a, tz, onSiteMin, changed }: { t: FT; lang: MLang; a: FieldAlert; tz: string; onSiteMin: number; changed: () => void }) {
  const tr = translator(lang);
  const [form, setForm] = useState<'none' | 'onsite' | 'outcome'>('none');
  const [msg, setMsg] = useState<string | null>(null);
  const due = Date.parse(a.firstAt) + onSiteMin * 60_000;
  const [late, setLate] = useLate(a, due);
  const text = typeof a.detail.text === 'string' ? a.detail.text : null;

  const confirm = async (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const reason = String(data.get('lateReason') ?? '').trim();
    try {
      await fieldApi.onSite(a.id, String(data.get('note') ?? '').trim() || null, reason || null);
      setForm('none');
      setMsg(null);
      changed();
    } catch (err) {
      // The gateway decides lateness: a 400 naming lateReason shows the field even if this phone's clock disagrees.
      if (err instanceof ApiError && err.status === 400) setLate(true);
      setMsg(errText(err));
    }
  };
  const outcome = async (e: Event) => {
    e.preventDefault();
    const submitter = (e as SubmitEvent).submitter;
    const data = new FormData(e.currentTarget as HTMLFormElement);
    try {
      await fieldApi.outcome(a.id, submitter?.getAttribute('data-resolved') === 'true', String(data.get('outcome') ?? '').trim());
      setForm('none');
      setMsg(t('case.saved'));
      changed();
    } catch (err) {
      setMsg(errText(err));
    }
  };

  return (
    <li class="m-alarm m-case" data-alert={a.id} data-type={a.type} data-status={a.status} data-late={String(late && a.onSiteAt === null)}>
      <div class="m-pass-head">
        <strong>{tr.e.alertType[a.type] ?? a.type}</strong>
        <span class="m-chip">{tr.e.status[a.status]}</span>
      </div>
      <div class="m-case-place">{a.place.label}</div>
      {text && <p class="m-quote">{text}</p>}
      <div class="m-muted">
        {t('case.reported', { time: formatWhen(Date.parse(a.firstAt), tz, lang) })} · {a.type === 'patrol_report' ? t('case.patrol') : t('case.escalated')}
      </div>
      <OnSiteLine t={t} lang={lang} a={a} tz={tz} late={late} due={due} />
      {a.status === 'cleared' && <p class="m-answered">{t('case.cleared', { note: a.clearNote ?? '' })}</p>}
      {a.status !== 'cleared' && form === 'none' && (
        <div class="m-actions">
          {a.onSiteAt === null && (
            <button type="button" class="m-primary" data-action="onsite" onClick={() => setForm('onsite')}>
              {t('case.onSiteButton')}
            </button>
          )}
          <button type="button" data-action="outcome" onClick={() => setForm('outcome')}>
            {t('case.outcome')}
          </button>
        </div>
      )}
      {form === 'onsite' && <OnSiteForm t={t} late={late} submit={(e) => void confirm(e)} cancel={() => setForm('none')} />}
      {form === 'outcome' && <OutcomeForm t={t} submit={(e) => void outcome(e)} cancel={() => setForm('none')} />}
      {msg && <p class="m-note" role="status">{msg}</p>}
    </li>
  );
}
