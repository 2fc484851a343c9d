import type { AccessIncident } from '../bus';

export interface MonitorSettings {
  /** A grant or remote open covers one opening that starts within this long. */
  grantWindowMs: number;
  heldOpenMs: number;
  denialCount: number;
  denialWindowMs: number;
}

/** One door's (or barrier's) monitoring state. Plain data: the reducer below returns a new one. */
export interface DoorWatch {
  open: boolean;
  openedAt: number | null;
  heldReported: boolean;
  /** Expiry times of grants / remote opens not yet used by an opening. */
  allowances: number[];
  denials: number[];
  denialsReportedAt: number | null;
}

export const closedDoor = (): DoorWatch => ({ open: false, openedAt: null, heldReported: false, allowances: [], denials: [], denialsReportedAt: null });

/** Causes a terminal reports for an opening (door/state and barrier/state, normalised). */
export type OpenCause = 'grant' | 'remote' | 'exit_button' | 'key' | 'manual' | 'unknown';

export type MonitorInput =
  | { type: 'grant'; at: number }
  | { type: 'remote'; at: number }
  | { type: 'deny'; at: number }
  /** late: the event reached the gateway long after the device's time (sent after an outage). */
  | { type: 'door'; state: 'open' | 'closed'; cause: OpenCause; at: number; late: boolean }
  | { type: 'tick'; at: number };

export type IncidentDraft = Pick<AccessIncident, 'type' | 'detail'>;

// Openings the door itself explains without a gateway decision: the request-to-exit button (egress) and a
// mechanical key or the barrier's manual control in the guard booth (staff).
const SELF_EXPLAINED: ReadonlySet<OpenCause> = new Set(['exit_button', 'key', 'manual']);

/**
 * Door monitoring as a pure reducer (state, input, settings) → (state, incidents):
 * - forced entry: the door opened with no grant or guard remote-open shortly before, and no exit button or key;
 *   a terminal that claims "grant" when the gateway granted nothing counts as forced too, unless the report is late
 *   (the terminal decided offline and its decisions are reconciled from its upload);
 * - held open: open for longer than the limit (reported once per opening);
 * - repeated denials: `denialCount` denials within the window (reported at most once per window).
 */
export function step(w: DoorWatch, input: MonitorInput, s: MonitorSettings): { watch: DoorWatch; incidents: IncidentDraft[] } {
  const live = (at: number) => w.allowances.filter((until) => until >= at);
  switch (input.type) {
    case 'grant':
    case 'remote':
      return { watch: { ...w, allowances: [...live(input.at), input.at + s.grantWindowMs] }, incidents: [] };
    case 'deny': {
      const denials = [...w.denials.filter((t) => input.at - t < s.denialWindowMs), input.at];
      const due = denials.length >= s.denialCount && (w.denialsReportedAt === null || input.at - w.denialsReportedAt >= s.denialWindowMs);
      if (!due) return { watch: { ...w, denials }, incidents: [] };
      const detail = { count: denials.length, windowSec: Math.round(s.denialWindowMs / 1000) };
      return { watch: { ...w, denials, denialsReportedAt: input.at }, incidents: [{ type: 'repeated_denials', detail }] };
    }
    case 'door': {
      if (input.state === 'closed') return { watch: { ...w, open: false, openedAt: null, heldReported: false }, incidents: [] };
      if (w.open) return { watch: w, incidents: [] }; // a repeated "open" is the same opening
      const allowances = live(input.at);
      const opened = { ...w, open: true, openedAt: input.at, heldReported: false };
      if (allowances.length > 0) return { watch: { ...opened, allowances: allowances.slice(1) }, incidents: [] };
      if (SELF_EXPLAINED.has(input.cause)) return { watch: { ...opened, allowances }, incidents: [] };
      if (input.late && input.cause !== 'unknown') return { watch: { ...opened, allowances }, incidents: [] };
      const detail = { cause: input.cause, late: input.late };
      return { watch: { ...opened, allowances }, incidents: [{ type: 'forced_entry', detail }] };
    }
    case 'tick': {
      if (!w.open || w.heldReported || w.openedAt === null || input.at - w.openedAt < s.heldOpenMs) return { watch: w, incidents: [] };
      const detail = { openSec: Math.round((input.at - w.openedAt) / 1000), limitSec: Math.round(s.heldOpenMs / 1000) };
      return { watch: { ...w, heldReported: true }, incidents: [{ type: 'held_open', detail }] };
    }
  }
}

/** A door or barrier report as door monitoring reads it (barrier raised = open). */
export type DoorReport = { state: 'open' | 'closed'; cause: OpenCause; at: number; late: boolean };

/**
 * Judges an opening again from what was stored (after a crash between its commit and its judgement): the door's
 * state before the window, its reports and its grants / remote opens inside the window, replayed through `step`
 * in time order, then the opening itself. Only a forced entry is returned (held open and denials have their own
 * timers and rows). A grant whose decision row was not committed yet makes the opening look forced: after a crash
 * door monitoring errs towards a guard looking, never towards silence.
 */
export function judgeStoredOpening(
  history: { before: DoorReport | null; reports: DoorReport[]; grants: number[] },
  opening: DoorReport,
  s: MonitorSettings,
): IncidentDraft | null {
  const inputs: MonitorInput[] = [
    ...history.grants.map((at): MonitorInput => ({ type: 'grant', at })),
    ...history.reports.map((r): MonitorInput => ({ type: 'door', ...r })),
  ].sort((a, b) => a.at - b.at);
  let w: DoorWatch = history.before?.state === 'open' ? { ...closedDoor(), open: true, openedAt: history.before.at } : closedDoor();
  for (const i of inputs) w = step(w, i, s).watch;
  return step(w, { type: 'door', ...opening }, s).incidents.find((i) => i.type === 'forced_entry') ?? null;
}
