import type { Alert } from '@linli/gateway/contracts/api/alerts';
import type { CallOutcome } from '@linli/gateway/contracts/api/contacts';
import { useLoad } from '../hooks';
import { applyLocal } from '../live/board';
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { type MessageKey, placeText, useT } from '../i18n';
import { board } from '../live/board';
import { useStore } from '../store';
import { acknowledge, clear, dialog, lastShown, onSite, toast, toasts } from '../ui-state';
import { TagChips } from './AlertCard';
import { ContactList } from './ContactList';
import { SeverityIcon } from './icons';
import { PinDialog } from './Station';

/**
 * What a dialog acts on, in large type: severity, type and place. If the guard just acknowledged a different alert
 * from the full-screen takeover, the dialog says so, naming the one just seen, so a reset never lands unnoticed on
 * another household.
 */
function DialogSubject({ alert }: { alert: Alert }) {
  const t = useT();
  const shownId = useStore(lastShown);
  const { alerts } = useStore(board);
  const shown = shownId !== null && shownId !== alert.id ? alerts.find((a) => a.id === shownId) : undefined;
  return (
    <div class={`dialog-subject sev-${alert.severity}`} data-alert-id={alert.id}>
      <div class="dialog-subject-head">
        <SeverityIcon severity={alert.severity} size={44} />
        <span class="dialog-subject-type">
          {t.e.severity[alert.severity]} · {t.e.alertType[alert.type]}
        </span>
      </div>
      <div class="dialog-subject-place" data-testid="dialog-place">
        {placeText(t, alert.place)}
      </div>
      <TagChips tags={alert.tags} />
      {shown && (
        <p class="dialog-other" role="alert" data-testid="dialog-other">
          {t('dialog.notJustShown', { place: placeText(t, shown.place), type: t.e.alertType[shown.type] })}
        </p>
      )}
    </div>
  );
}

const NOTE_PRESETS: MessageKey[] = ['preset.onTheWay', 'preset.called', 'preset.handled', 'preset.falseAlarm', 'preset.repair', 'preset.police'];
const DOOR_PRESETS: MessageKey[] = ['door.preset.courier', 'door.preset.visitor', 'door.preset.card', 'door.preset.emergency'];

/** A note with one-click phrases (digits pick one), Enter submits, Esc cancels: two keystrokes for a guard who knows. */
function NoteForm(props: { subject?: ComponentChildren; title: string; label: string; presets: MessageKey[]; required: number; submit: (note: string) => Promise<boolean>; tooShort: string }) {
  const t = useT();
  const [note, setNoteState] = useState('');
  // Keys arrive faster than renders: "3" then Enter must submit the phrase "3" picked, so the handlers read the
  // note from a ref that changes at once, not from the last render's state.
  const current = useRef('');
  const setNote = (v: string) => {
    current.current = v;
    setNoteState(v);
  };
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  // Focus in the same task as the dialog appears (a layout effect, not an effect, which waits for a paint): while a
  // dialog is open the board ignores keys, so a "3" typed right after R would otherwise go nowhere.
  useLayoutEffect(() => input.current?.focus(), []);

  const send = async (text: string) => {
    const v = text.trim();
    if (v.length < props.required) {
      setError(props.tooShort);
      input.current?.focus();
      return;
    }
    setBusy(true);
    const ok = await props.submit(v);
    setBusy(false);
    if (ok) dialog.set(null);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') dialog.set(null);
    // A digit in an empty field picks that phrase.
    const n = Number(e.key);
    if (current.current === '' && Number.isInteger(n) && n >= 1 && n <= props.presets.length) {
      e.preventDefault();
      const key = props.presets[n - 1];
      if (key) setNote(t(key));
    }
  };
  return (
    <form
      class="dialog"
      role="dialog"
      aria-modal="true"
      aria-label={props.title}
      onKeyDown={onKey}
      onSubmit={(e) => {
        e.preventDefault();
        void send(current.current);
      }}
    >
      <h2>{props.title}</h2>
      {props.subject}
      <div class="presets">
        {props.presets.map((key, i) => (
          <button type="button" key={key} class="btn btn-lg preset" onClick={() => void send(t(key))}>
            <kbd>{i + 1}</kbd> {t(key)}
          </button>
        ))}
      </div>
      <label class="field">
        <span>{props.label}</span>
        <input ref={input} class="input-lg" value={note} maxLength={200} onInput={(e) => setNote(e.currentTarget.value)} name="note" />
      </label>
      {error && <p class="error-text">{error}</p>}
      <div class="dialog-actions">
        <button type="button" class="btn btn-lg" onClick={() => dialog.set(null)}>
          {t('dialog.cancel')} <kbd>Esc</kbd>
        </button>
        <button type="submit" class="btn btn-lg btn-primary" disabled={busy} data-action="submit">
          {t('dialog.submit')} <kbd>Enter</kbd>
        </button>
      </div>
    </form>
  );
}

const OUTCOMES: CallOutcome[] = ['reached_safe', 'reached_needs_help', 'no_answer', 'unreachable'];

/**
 * Calling the household: its contacts with masked names and numbers; "显示号码" shows one full number (the gateway
 * audits it) as a tel: link; a digit records what came of the call in the alert's history. C then 1: two keys.
 */
function CallDialog({ alert, householdId, shown: shownBefore }: { alert: Alert; householdId?: string | undefined; shown?: Record<string, string> | undefined }) {
  const t = useT();
  const hh = householdId ?? alert.householdId ?? '';
  const [list] = useLoad(() => api.contacts(hh), hh);
  const [shown, setShown] = useState<Record<string, string>>(shownBefore ?? {});
  // A number already shown on the map's door panel is the one the guard is calling.
  const [picked, setPicked] = useState<string | null>(Object.keys(shownBefore ?? {}).at(-1) ?? null);
  const [busy, setBusy] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => root.current?.focus(), []);
  const contacts = list.state === 'ok' ? list.value.contacts : [];
  const target = picked ?? contacts.find((c) => c.hasPhone)?.id ?? contacts[0]?.id ?? null;

  const reveal = async (contactId: string) => {
    try {
      const r = await api.revealPhone(hh, contactId, alert.id);
      setShown((m) => ({ ...m, [contactId]: r.phone }));
      setPicked(contactId);
      // The clicked button is replaced by the number: keep the keys (a digit records the outcome) in the dialog.
      root.current?.focus();
    } catch (err) {
      toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
    }
  };
  const record = async (outcome: CallOutcome) => {
    if (target === null || busy) return;
    setBusy(true);
    try {
      applyLocal(await api.recordCall(alert.id, target, outcome));
      toast(t('call.recorded', { outcome: t(`call.${outcome}`) }));
      dialog.set(null);
    } catch (err) {
      toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
    } finally {
      setBusy(false);
    }
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') dialog.set(null);
    const n = Number(e.key);
    const outcome = Number.isInteger(n) && n >= 1 ? OUTCOMES[n - 1] : undefined;
    if (outcome) {
      e.preventDefault();
      void record(outcome);
    }
  };
  return (
    <div class="dialog" role="dialog" aria-modal="true" aria-label={t('call.title')} tabIndex={-1} ref={root} onKeyDown={onKey} data-testid="call-dialog">
      <h2>{t('call.title')}</h2>
      <DialogSubject alert={alert} />
      {list.state === 'loading' && <p class="muted">{t('common.loading')}</p>}
      {list.state === 'error' && <p class="error-text">{t('common.error', { msg: list.message })}</p>}
      {list.state === 'ok' && contacts.length === 0 && <p class="warn-text">{t('call.none')}</p>}
      <ContactList contacts={contacts} shown={shown} picked={target} buttonClass="btn btn-lg" reveal={(id) => void reveal(id)} />
      <p class="muted">{t('call.outcomeHint')}</p>
      <div class="presets">
        {OUTCOMES.map((o, i) => (
          <button type="button" key={o} class="btn btn-lg preset" data-outcome={o} disabled={busy || target === null} onClick={() => void record(o)}>
            <kbd>{i + 1}</kbd> {t(`call.${o}`)}
          </button>
        ))}
      </div>
      <div class="dialog-actions">
        <button type="button" class="btn btn-lg" onClick={() => dialog.set(null)}>
          {t('dialog.cancel')} <kbd>Esc</kbd>
        </button>
      </div>
    </div>
  );
}

export function Dialogs() {
  const t = useT();
  const d = useStore(dialog);
  if (!d) return null;
  let body;
  switch (d.kind) {
    case 'ack':
      body = <NoteForm subject={<DialogSubject alert={d.alert} />} title={t('dialog.ackTitle')} label={t('dialog.noteLabel')} presets={NOTE_PRESETS} required={0} tooShort="" submit={(note) => acknowledge(d.alert, note || undefined, d.from ?? 'board')} />;
      break;
    case 'clear':
      body = (
        <NoteForm
          subject={<DialogSubject alert={d.alert} />}
          title={d.alert.latched ? t('dialog.resetTitle') : t('dialog.clearTitle')}
          label={t('dialog.noteLabel')}
          presets={NOTE_PRESETS}
          required={1}
          tooShort={t('dialog.noteRequired')}
          submit={(note) => clear(d.alert, note)}
        />
      );
      break;
    case 'on-site-late':
      body = <NoteForm subject={<DialogSubject alert={d.alert} />} title={t('dialog.lateTitle')} label={t('dialog.lateLabel')} presets={[]} required={2} tooShort={t('dialog.lateRequired')} submit={(reason) => onSite(d.alert, reason)} />;
      break;
    case 'call':
      body = <CallDialog alert={d.alert} householdId={d.householdId} shown={d.shown} />;
      break;
    case 'open-door':
      body = (
        <NoteForm
          title={t('door.openTitle', { name: d.name })}
          label={t('door.reason')}
          presets={DOOR_PRESETS}
          required={4}
          tooShort={t('door.reasonShort')}
          submit={async (reason) => {
            try {
              await api.openDoor(d.deviceId, reason);
              toast(t('door.sent'));
              return true;
            } catch (err) {
              toast(err instanceof ApiError && err.status === 409 ? t('door.offline') : t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
              return false;
            }
          }}
        />
      );
      break;
    case 'pin':
      body = <PinDialog />;
      break;
    case 'help':
      body = (
        <div class="dialog" role="dialog" aria-modal="true" aria-label={t('help.title')}>
          <h2>{t('help.title')}</h2>
          <p class="help-keys">{t('board.keys')}</p>
          <p class="help-keys">1–6: {[t('nav.board'), t('nav.map'), t('nav.log'), t('nav.visitors'), t('nav.devices'), t('nav.stats')].join(' · ')}</p>
          <div class="dialog-actions">
            <button class="btn btn-lg btn-primary" autoFocus onClick={() => dialog.set(null)}>
              {t('help.close')}
            </button>
          </div>
        </div>
      );
      break;
  }
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && dialog.set(null)}>
      {body}
    </div>
  );
}

export function Toasts() {
  const list = useStore(toasts);
  return (
    <div class="toasts" aria-live="assertive">
      {list.map((x) => (
        <div key={x.id} class={`toast toast-${x.tone}`}>
          {x.text}
        </div>
      ))}
    </div>
  );
}
