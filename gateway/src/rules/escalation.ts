import type { SystemNote } from '../contracts/api/alert-notes';
import type { AlertType, DeadlineKind, Severity } from '../contracts/api/alerts';
import { type AlertSettings, type Decision, TYPES, keyOf } from './types';

export interface Deadline {
  at: Date;
  kind: DeadlineKind;
}

/**
 * The first deadline of a new alert. A maintenance fault under the five-minute rule (docs/domain.md) waits for a worker
 * on site; everything else waits for an acknowledgement, by severity. null: this alert never escalates.
 */
export function firstDeadline(type: AlertType, severity: Severity, s: Pick<AlertSettings, 'ackSec' | 'onSiteMin'>, from: Date): Deadline | null {
  if (TYPES[type].onSite) return { at: new Date(from.getTime() + s.onSiteMin * 60_000), kind: 'on_site' };
  const sec = s.ackSec[severity];
  return sec > 0 ? { at: new Date(from.getTime() + sec * 1000), kind: 'ack' } : null;
}

export interface EscalationView {
  type: AlertType;
  severity: Severity;
  status: 'open' | 'acknowledged' | 'cleared';
  escalationLevel: number;
  nextDeadlineAt: Date | null;
  deadlineKind: DeadlineKind | null;
}

export interface EscalationStep {
  fromLevel: number;
  toLevel: number;
  target: string;
  /** A code (contracts/api/alert-notes.ts); the wait and the target are in `waitedSec` and `target`. */
  reason: SystemNote;
  /** How long nobody answered before this step. */
  waitedSec: number;
  /** The deadline at the new level; null at the top of the chain. */
  next: Deadline | null;
}

/**
 * What happens when an alert's deadline passes: one step up the chain, with the reason recorded. The caller applies
 * it only if the stored level is still `fromLevel` (a conditional update), so a restart never fires it twice.
 */
export function escalationDue(a: EscalationView, s: Pick<AlertSettings, 'ackSec' | 'onSiteMin' | 'chain'>, now: Date): EscalationStep | null {
  if (a.status === 'cleared' || a.nextDeadlineAt === null || a.deadlineKind === null) return null;
  if (now.getTime() < a.nextDeadlineAt.getTime()) return null;
  const top = s.chain.length - 1;
  if (a.escalationLevel >= top) return null;
  const toLevel = a.escalationLevel + 1;
  const reason: SystemNote = a.deadlineKind === 'on_site' ? 'escalated_no_on_site' : 'escalated_no_ack';
  const waitedSec = a.deadlineKind === 'on_site' ? s.onSiteMin * 60 : s.ackSec[a.severity];
  let next: Deadline | null = null;
  if (toLevel < top) {
    const waitMs = a.deadlineKind === 'on_site' ? s.onSiteMin * 60_000 : s.ackSec[a.severity] * 1000;
    next = waitMs > 0 ? { at: new Date(now.getTime() + waitMs), kind: a.deadlineKind } : null;
  }
  return { fromLevel: a.escalationLevel, toLevel, target: s.chain[toLevel] ?? `level_${toLevel}`, reason, waitedSec, next };
}

/** After an acknowledgement: an ack deadline ends; an on-site deadline keeps running until a worker is there. */
export function deadlineAfterAck(kind: DeadlineKind | null, at: Date | null): Deadline | null {
  return kind === 'on_site' && at !== null ? { at, kind } : null;
}


/**
 * The escalation chain as configured (checked at start): when no level above the guard station has a notification
 * channel, an escalated alert reaches nobody, so that is itself a maintenance alert the guard sees and acknowledges
 * (one per gateway, kept while the configuration stays so); a chain that works again clears it.
 */
export function chainRule(chain: { levels: readonly string[]; working: boolean }, at: Date): Decision[] {
  const key = keyOf('escalation_unreachable', 'gateway');
  if (chain.working) return [{ kind: 'end', key, at, note: 'back_to_normal' }];
  return [
    {
      kind: 'raise',
      type: 'escalation_unreachable',
      severity: 'warning',
      key,
      deviceId: null,
      householdId: null,
      at,
      detail: { levels: chain.levels.length },
      mode: 'state',
      place: 'gateway',
    },
  ];
}
