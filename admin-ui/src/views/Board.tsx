import type { Alert, AlertDetail } from '@linli/gateway/contracts/api/alerts';
import type { EscalationChain, NotifyOutcome } from '@linli/gateway/contracts/api/escalation';
import type { LiveUnsaved } from '@linli/gateway/contracts/live';
import { useEffect } from 'preact/hooks';
import { api } from '../api';
import { AlertCard, Deadline, TagChips, levelName } from '../components/AlertCard';
import { useBoardCompound } from '../components/CompoundPicker';
import { DatabaseBanner } from '../components/LinkBanner';
import { SeverityIcon } from '../components/icons';
import { clock, dateTime } from '../format';
import { type Loaded, useLoad, useNow } from '../hooks';
import { placeText, useT } from '../i18n';
import { noteText } from '../notes';
import { board, lastChange } from '../live/board';
import { chain, outcomes, police as policeStore, policeOf, setPolice, stepOutcomes } from '../live/notify';
import { navigate } from '../router';
import { useStore } from '../store';
import { acknowledge, dialog, onSite, selected, toast } from '../ui-state';
import { PatrolFacts } from '../components/PatrolFacts';

/** Keys that work on the board; the takeover and the dialogs handle their own. */
export function boardKeys(e: KeyboardEvent, alerts: Alert[]): boolean {
  const current = alerts.find((a) => a.id === selected.get()) ?? alerts[0];
  const idx = current ? alerts.indexOf(current) : -1;
  switch (e.key) {
    case 'ArrowDown':
    case 'j': {
      const next = alerts[Math.min(alerts.length - 1, idx + 1)];
      if (next) selected.set(next.id);
      return true;
    }
    case 'ArrowUp':
    case 'k': {
      const prev = alerts[Math.max(0, idx - 1)];
      if (prev) selected.set(prev.id);
      return true;
    }
    case 'a':
    case 'A':
    case 'Enter':
      if (current?.status === 'open') void acknowledge(current);
      return current !== undefined;
    case 'n':
    case 'N':
      if (current?.status === 'open') dialog.set({ kind: 'ack', alert: current });
      return current !== undefined;
    case 'r':
    case 'R':
      if (current) dialog.set({ kind: 'clear', alert: current });
      return current !== undefined;
    case 'c':
    case 'C':
      if (current) callHousehold(current);
      return current !== undefined;
    case 's':
    case 'S':
      if (current && current.deadlineKind === 'on_site' && current.onSiteAt === null) void onSite(current);
      return current !== undefined;
    case 'm':
    case 'M':
      if (current) navigate(`/map${current.deviceId ? `/${encodeURIComponent(current.deviceId)}` : ''}`);
      return current !== undefined;
    default:
      return false;
  }
}

/** An alert at a unit door (no household of its own): its households are picked on the door's panel. */
const doorAlert = (a: Alert) => a.householdId === null && a.place.kind === 'unit_door' && a.deviceId !== null;

/** C: the household's call dialog; for a unit door's alert, the door's panel on the map with its flats. */
function callHousehold(a: Alert): void {
  if (a.householdId) dialog.set({ kind: 'call', alert: a });
  else if (doorAlert(a) && a.deviceId) navigate(`/map/${encodeURIComponent(a.deviceId)}`);
}

export function Board() {
  const t = useT();
  const { alerts: every, loaded, unsaved } = useStore(board);
  // Several compounds: the list can show one compound's alarms (the takeover still shows every emergency).
  const { alerts, picker } = useBoardCompound(every);
  const sel = useStore(selected);
  const now = useNow(1_000);
  const current = alerts.find((a) => a.id === sel) ?? alerts[0] ?? null;

  // Keep the selection on an alert that still exists.
  useEffect(() => {
    if (current && current.id !== sel) selected.set(current.id);
  }, [current?.id, sel]);

  const open = alerts.filter((a) => a.status === 'open').length;
  const c = useStore(chain);
  return (
    <div class="board">
      <section class="board-list" aria-label={t('board.title')}>
        {c && !c.working && (
          <p class="chain-warning" role="status" data-testid="chain-warning">
            {t('notify.chainBroken')}
          </p>
        )}
        <h1 class="view-title">
          {t('board.title')} <span class="big-count" data-testid="open-count">{t('board.count', { n: alerts.length })}</span>
          {open > 0 && <span class="open-count">{t.e.status.open} {open}</span>}
        </h1>
        {picker}
        <DatabaseBanner />
        {unsaved.length > 0 && (
          <ul class="alert-list unsaved-list" aria-label={t('alert.unsaved')}>
            {unsaved.map((u) => (
              <UnsavedCard key={`${u.deviceId}:${u.eventId}`} u={u} now={now} />
            ))}
          </ul>
        )}
        {alerts.length === 0 && unsaved.length === 0 ? (
          <div class="empty">
            <div class="empty-check" aria-hidden="true">✓</div>
            <p class="empty-title">{loaded ? t('board.empty') : t('common.loading')}</p>
            {loaded && <p>{t('board.emptyHint')}</p>}
          </div>
        ) : (
          <ul class="alert-list" role="listbox">
            {alerts.map((a) => (
              <AlertCard key={a.id} alert={a} selected={a.id === current?.id} now={now} onSelect={() => selected.set(a.id)} />
            ))}
          </ul>
        )}
        <p class="keys-hint">{t('board.keys')}</p>
      </section>
      <section class="board-detail">{current ? <AlertDetailPane alert={current} now={now} /> : <p class="muted">{t('board.selectHint')}</p>}</section>
    </div>
  );
}

/** An alarm the gateway received but could not store yet: as loud as any critical alarm, marked 未保存. */
function UnsavedCard({ u, now }: { u: LiveUnsaved; now: number }) {
  const t = useT();
  return (
    <li class="alert-card sev-critical st-open unsaved" data-unsaved-device={u.deviceId} data-event-id={u.eventId}>
      <div class="sev-band">
        <SeverityIcon severity="critical" />
        <span class="sev-word">{t.e.severity.critical}</span>
      </div>
      <div class="card-main">
        <div class="card-line1">
          <span class="alert-type">{t.e.alertType[u.type]}</span>
          <span class="unsaved-badge" data-testid="unsaved-badge">
            {t('alert.unsaved')}
          </span>
          <TagChips tags={u.tags} />
        </div>
        <div class="place">{placeText(t, u.place)}</div>
        <div class="card-line3">
          <span class="time" title={u.at}>
            {clock(u.at)} · {Math.max(0, Math.round((now - Date.parse(u.at)) / 1000))}s
          </span>
          <span class="muted">{t('alert.unsavedHint')}</span>
        </div>
      </div>
    </li>
  );
}

export function AlertActions({ alert, big = false }: { alert: Alert; big?: boolean }) {
  const t = useT();
  const cls = big ? 'btn btn-xl' : 'btn btn-lg';
  return (
    <div class="actions">
      {alert.status === 'open' && (
        <button class={`${cls} btn-primary`} data-action="ack" onClick={() => void acknowledge(alert)}>
          {t('alert.ack')} <kbd>A</kbd>
        </button>
      )}
      {alert.status === 'open' && (
        <button class={cls} data-action="ack-note" onClick={() => dialog.set({ kind: 'ack', alert })}>
          {t('alert.ackNote')} <kbd>N</kbd>
        </button>
      )}
      <button class={`${cls} ${alert.status === 'acknowledged' ? 'btn-primary' : ''}`} data-action="clear" onClick={() => dialog.set({ kind: 'clear', alert })}>
        {alert.latched ? t('alert.reset') : t('alert.clear')} <kbd>R</kbd>
      </button>
      {(alert.householdId || doorAlert(alert)) && (
        <button class={cls} data-action="call" onClick={() => callHousehold(alert)}>
          {t('call.button')} <kbd>C</kbd>
        </button>
      )}
      {alert.deadlineKind === 'on_site' && alert.onSiteAt === null && (
        <button class={cls} data-action="on-site" onClick={() => void onSite(alert)}>
          {t('alert.onSite')} <kbd>S</kbd>
        </button>
      )}
      {alert.status !== 'cleared' && (
        <button class={`${cls} btn-police`} data-action="police" onClick={() => void reportToPolice(t, alert)}>
          {t('police.button')}
        </button>
      )}
      <button class={cls} data-action="map" onClick={() => navigate(`/map${alert.deviceId ? `/${encodeURIComponent(alert.deviceId)}` : ''}`)}>
        {t('alert.onMap')} <kbd>M</kbd>
      </button>
    </div>
  );
}

/** 转报警 110 (警民一键通): confirmed first; the outcome is said at once and lands in the history. */
async function reportToPolice(t: ReturnType<typeof useT>, alert: Alert): Promise<void> {
  if (!window.confirm(t('police.confirm'))) return;
  try {
    const r = await api.police(alert.id);
    toast(t(`police.${r.outcome}`), r.outcome === 'delivered' ? 'ok' : 'error');
  } catch (err) {
    toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
  }
}

/** What the alert is and where, in large type. */
function DetailHead({ alert }: { alert: Alert }) {
  const t = useT();
  return (
    <header class="detail-head">
      <SeverityIcon severity={alert.severity} size={56} />
      <div>
        <div class="detail-type">
          {t.e.severity[alert.severity]} · {t.e.alertType[alert.type]}
        </div>
        {/* The device's id is for technicians: a tooltip, not text on the guard's screen. */}
        <div class="detail-place" title={alert.deviceId ?? undefined}>
          {placeText(t, alert.place)}
        </div>
        <TagChips tags={alert.tags} />
      </div>
    </header>
  );
}

/** When it was raised and last seen, who acknowledged it and what is still due. */
function DetailFacts({ alert, now }: { alert: Alert; now: number }) {
  const t = useT();
  return (
    <dl class="facts">
      <dt>{t('alert.raisedAt')}</dt>
      <dd>{dateTime(alert.firstAt)}</dd>
      <dt>{t('alert.lastAt')}</dt>
      <dd>
        {clock(alert.lastAt)} {alert.count > 1 && `(${t('alert.count', { n: alert.count })})`}
      </dd>
      <dt>{t('device.state')}</dt>
      <dd>
        {alert.status === 'open' ? t.e.status.open : t('alert.ackedBy', { who: alert.ackedBy ?? '' })} <Deadline alert={alert} now={now} />
      </dd>
      {alert.cancelRequestedAt && (
        <>
          <dt />
          <dd class="warn-text">{t('alert.cancelRequested')}</dd>
        </>
      )}
      {alert.ackNote && (
        <>
          <dt>{t('alert.note')}</dt>
          <dd>{alert.ackNote}</dd>
        </>
      )}
    </dl>
  );
}

/** Who was told, per escalation step. */
function NotifySteps({ steps, c }: { steps: Record<number, NotifyOutcome>; c: EscalationChain }) {
  const t = useT();
  return (
    <>
      <h2 class="sub-title">{t('notify.title')}</h2>
      <ol class="notify-steps" data-testid="notify-steps">
        {Object.entries(steps).map(([level, o]) => (
          <li key={level} class={`notify-step notify-${o}`} data-level={level} data-notify={o}>
            <span class="notify-level">{levelName(t, c.levels[Number(level)]?.name ?? level)}</span>
            {/* Level 0 without a channel is this screen itself: it was shown, not "nobody told". */}
            <span class="notify-outcome">{level === '0' && o === 'no_channel' ? t('notify.screen') : t(`notify.${o}`)}</span>
          </li>
        ))}
      </ol>
    </>
  );
}

/** The alert's history, newest first. */
function AlertHistory({ detail, c }: { detail: Loaded<AlertDetail>; c: EscalationChain | null }) {
  const t = useT();
  if (detail.state === 'loading') return <p class="muted">{t('common.loading')}</p>;
  if (detail.state === 'error') return <p class="error-text">{t('common.error', { msg: detail.message })}</p>;
  return (
    <ol class="history">
      {[...detail.value.history].reverse().map((h) => (
        <li key={h.id}>
          <span class="h-time">{clock(h.at)}</span>
          <span class="h-action">{t.e.action[h.action]}</span>
          <span class="h-actor">{h.actor.startsWith('device:') ? t('alert.device') : h.actor === 'system' ? '' : h.actor}</span>
          {h.note !== null && <span class="h-note">{noteText(t, h, c)}</span>}
        </li>
      ))}
    </ol>
  );
}

function AlertDetailPane({ alert, now }: { alert: Alert; now: number }) {
  const t = useT();
  const told = useStore(outcomes)[alert.id];
  const rev = useStore(lastChange)[alert.id] ?? 0;
  const c = useStore(chain);
  const key = [alert.id, alert.status, alert.count, alert.ackedAt, alert.onSiteAt, alert.escalationLevel, alert.cancelRequestedAt, rev, JSON.stringify(told ?? null)].join('|');
  const [detail] = useLoad(() => api.alert(alert.id), key);
  const steps = detail.state === 'ok' && c ? stepOutcomes(alert, detail.value.history, c) : null;
  // The latest police-link outcome in the history (delivered, failed, no_channel), if it was ever used for this alert;
  // what the history says is shared with the card (live/notify.ts).
  const fromHistory = detail.state === 'ok' ? policeOf(detail.value.history) : null;
  useEffect(() => setPolice(alert.id, fromHistory), [alert.id, fromHistory]);
  const known = useStore(policeStore)[alert.id];
  const police = fromHistory ?? known ?? null;
  const showSteps = steps !== null && c !== null && (alert.escalationLevel > 0 || c.levels[0]?.channel !== null);
  return (
    <article class={`detail sev-${alert.severity}`} data-alert-id={alert.id}>
      <DetailHead alert={alert} />
      <DetailFacts alert={alert} now={now} />
      <PatrolFacts alert={alert} />
      <AlertActions alert={alert} />
      {police && (
        <p class={`police-status police-${police}`} data-testid="police-status" data-police={police}>
          {t('police.status')}：{t(`police.${police}`)}
        </p>
      )}
      {showSteps && <NotifySteps steps={steps} c={c} />}
      <h2 class="sub-title">{t('alert.history')}</h2>
      <AlertHistory detail={detail} c={c} />
    </article>
  );
}
