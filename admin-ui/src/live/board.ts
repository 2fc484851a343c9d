import type { Alert } from '@linli/gateway/contracts/api/alerts';
import type { LiveAlertChange, LiveStatus, LiveUnsaved } from '@linli/gateway/contracts/live';
import { session } from '../session';
import { siren } from '../siren';
import { createStore } from '../store';
import { AlertLink, type LinkState } from './link';
import { loadChain, outcomes, policeOfNote, refreshOutcome, setPolice } from './notify';

export interface BoardState {
  /** Not cleared, most urgent first. */
  alerts: Alert[];
  link: LinkState;
  /** Whether the board holds data from the gateway yet (a snapshot or a resume has arrived). */
  loaded: boolean;
  /** Alarms received but not stored yet (database outage): shown marked 未保存 until the gateway says saved. */
  unsaved: LiveUnsaved[];
  /** The gateway's database status; degraded shows the banner. */
  database: LiveStatus | null;
  /**
   * Where the board's frames come from: a signed-in guard (`staff`); a registered guard station nobody is signed in
   * on (`board`: read-only, alarms still shown and sounded); or nothing at all (`none`: signed out on a browser that
   * is not a registered station — what is on screen is frozen, no new alarm can arrive).
   */
  mode: 'staff' | 'board' | 'none';
}

const initial = (): BoardState => ({
  alerts: [],
  link: { status: 'connecting', since: Date.now(), attempts: 0, resumed: null },
  loaded: false,
  unsaved: [],
  database: null,
  mode: 'none',
});
export const board = createStore<BoardState>(initial());

function applyUnsaved(list: LiveUnsaved[], u: LiveUnsaved): LiveUnsaved[] {
  // The device resends an unacknowledged press: one entry per press (device + event id).
  const rest = list.filter((x) => x.deviceId !== u.deviceId || x.eventId !== u.eventId);
  return u.state === 'unsaved' ? [u, ...rest] : rest;
}

const STATUS_ORDER = { open: 0, acknowledged: 1, cleared: 2 } as const;

/**
 * The board's order: what still needs someone first (open before acknowledged), then the gateway's priority
 * (severity, raised for an elderly person living alone), then the newest.
 */
export function byUrgency(a: Alert, b: Alert): number {
  return STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || b.priority - a.priority || Date.parse(b.lastAt) - Date.parse(a.lastAt);
}

/** An unacknowledged critical alert: takes over the screen and sounds the siren until acknowledged. */
export const isEmergency = (a: Alert) => a.severity === 'critical' && a.status === 'open';

function applyChange(alerts: Alert[], c: LiveAlertChange): Alert[] {
  const rest = alerts.filter((a) => a.id !== c.alert.id);
  if (c.alert.status !== 'cleared') rest.push(c.alert);
  return rest.sort(byUrgency);
}

let link: AlertLink | null = null;

/**
 * The id of the last change seen per alert. A change that leaves the alert itself as it was (a note-only row: a
 * notification's outcome, a call to the household) still moves it, so the detail pane reloads the history.
 */
export const lastChange = createStore<Record<string, number>>({});

export function startBoard(onUnauthorized: () => void, mode: 'staff' | 'board' = 'staff'): void {
  if (link) return;
  // The escalation chain's names need a sign-in; a read-only board shows the alarms without per-step outcomes.
  const chainLoaded = mode === 'staff' ? loadChain() : Promise.resolve();
  board.set((b) => ({ ...b, mode }));
  link = new AlertLink(
    { token: () => (mode === 'staff' ? (session.get()?.token ?? null) : null), mode },
    {
      snapshot: (s) => {
        board.set((b) => ({ ...b, alerts: [...s.alerts].sort(byUrgency), loaded: true }));
        // Who was told, per escalation step, for every alert on the board (most need no request: no channel).
        outcomes.set({});
        if (mode === 'staff') void chainLoaded.then(() => Promise.all(s.alerts.map(refreshOutcome)));
      },
      change: (c) => {
        board.set((b) => ({ ...b, alerts: applyChange(b.alerts, c), loaded: true }));
        lastChange.set((m) => ({ ...m, [c.alert.id]: c.id }));
        setPolice(c.alert.id, policeOfNote(c.note));
        if (c.alert.status === 'cleared') outcomes.set(({ [c.alert.id]: _gone, ...rest }) => rest);
        else if (mode === 'staff' && (c.action === 'raised' || c.action === 'escalated' || c.action === 'notified' || c.action === 'notification_failed')) void chainLoaded.then(() => refreshOutcome(c.alert));
        if ((c.action === 'raised' || c.action === 'repeated') && c.alert.severity !== 'critical' && c.alert.severity !== 'warning') siren.chime();
      },
      status: (s) => board.set((b) => ({ ...b, link: s, loaded: b.loaded || s.status === 'live' })),
      connected: () => board.set((b) => ({ ...b, unsaved: [], database: null })),
      unsaved: (u) => board.set((b) => ({ ...b, unsaved: applyUnsaved(b.unsaved, u) })),
      database: (s) => board.set((b) => ({ ...b, database: s })),
      unauthorized: onUnauthorized,
    },
  );
  link.start();
}

/**
 * Stops the live link. After a logout the board empties; after a sign-in that ended by itself (`keep`) what was on
 * screen stays — the takeover and the siren included — and the link counts as down, so its tone sounds and the
 * screen says no new alarm can arrive until someone signs in.
 */
export function stopBoard(keep = false): void {
  link?.stop();
  link = null;
  if (keep) board.set((b) => ({ ...b, mode: 'none', link: { status: 'down', since: Date.now(), attempts: 0, resumed: null } }));
  else board.set(() => initial());
}

/** After an action the gateway's answer is applied at once; the live frame that follows changes nothing more. */
export function applyLocal(alert: Alert): void {
  board.set((b) => {
    const rest = b.alerts.filter((a) => a.id !== alert.id);
    if (alert.status !== 'cleared') rest.push(alert);
    return { ...b, alerts: rest.sort(byUrgency) };
  });
}

board.subscribe((b) => {
  // An alarm not yet stored is still an alarm: the siren sounds for it too.
  siren.set(b.alerts.some(isEmergency) || b.unsaved.length > 0);
  siren.setLinkDown(b.link.status === 'down');
  document.documentElement.dataset.link = b.link.status;
});
