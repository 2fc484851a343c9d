import type { Alert } from '../contracts/api/alerts';
import type { LiveAlertChange } from '../contracts/live';

/**
 * What a signed-out guard station's read-only board receives (docs/security.md, "Guard stations"): what the board
 * shows of an alarm — type, severity, place, household tags, times, state, who acknowledged, escalation — and none
 * of what people typed (acknowledge and clear notes, a change's note) or the rule's parameters. No phone number or
 * name of a resident is ever in an alert; these are the fields where free text could carry one.
 */
export function boardAlert(a: Alert): Alert {
  return { ...a, detail: {}, ackNote: null, clearNote: null };
}

export function boardChange(c: LiveAlertChange): LiveAlertChange {
  return { ...c, note: null, alert: boardAlert(c.alert) };
}
