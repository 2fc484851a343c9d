import { describe, expect, it } from 'vitest';
import { type EscalationView, deadlineAfterAck, escalationDue, firstDeadline } from './escalation';
import { SETTINGS } from './testing';

const t0 = new Date('2026-11-21T12:00:00Z');
const plus = (ms: number) => new Date(t0.getTime() + ms);

describe('escalation', () => {
  it('gives an alarm an acknowledgement deadline by severity, and warnings none', () => {
    expect(firstDeadline('alarm_press', 'critical', SETTINGS, t0)).toEqual({ at: plus(60_000), kind: 'ack' });
    expect(firstDeadline('tamper', 'major', SETTINGS, t0)).toEqual({ at: plus(300_000), kind: 'ack' });
    expect(firstDeadline('clock_drift', 'warning', SETTINGS, t0)).toBeNull();
  });

  it('gives a maintenance fault the five-minute on-site deadline', () => {
    expect(firstDeadline('light_not_lit', 'minor', SETTINGS, t0)).toEqual({ at: plus(300_000), kind: 'on_site' });
  });

  const view = (over: Partial<EscalationView> = {}): EscalationView => ({
    type: 'alarm_press',
    severity: 'critical',
    status: 'open',
    escalationLevel: 0,
    nextDeadlineAt: plus(60_000),
    deadlineKind: 'ack',
    ...over,
  });

  it('escalates one level when the deadline passes, with the reason and the next deadline', () => {
    expect(escalationDue(view(), SETTINGS, plus(59_999))).toBeNull();
    const step = escalationDue(view(), SETTINGS, plus(60_000));
    expect(step).toEqual({ fromLevel: 0, toLevel: 1, target: 'grid_worker', reason: 'escalated_no_ack', waitedSec: 60, next: { at: plus(120_000), kind: 'ack' } });
  });

  it('records the five-minute rule as the reason for a maintenance fault', () => {
    const step = escalationDue(view({ type: 'device_offline', severity: 'major', deadlineKind: 'on_site', nextDeadlineAt: plus(300_000) }), SETTINGS, plus(300_000));
    expect(step).toMatchObject({ reason: 'escalated_no_on_site', waitedSec: 300 });
    expect(step?.next).toEqual({ at: plus(600_000), kind: 'on_site' });
  });

  it('stops at the top of the chain: the street office gets no further deadline', () => {
    const step = escalationDue(view({ escalationLevel: 2 }), SETTINGS, plus(60_000));
    expect(step).toMatchObject({ toLevel: 3, target: 'street_office', next: null });
    expect(escalationDue(view({ escalationLevel: 3 }), SETTINGS, plus(600_000))).toBeNull();
  });

  it('never escalates a cleared alert or one without a deadline', () => {
    expect(escalationDue(view({ status: 'cleared' }), SETTINGS, plus(600_000))).toBeNull();
    expect(escalationDue(view({ nextDeadlineAt: null, deadlineKind: null }), SETTINGS, plus(600_000))).toBeNull();
  });

  it('keeps the on-site deadline running after an acknowledgement, and ends an ack deadline', () => {
    expect(deadlineAfterAck('ack', plus(60_000))).toBeNull();
    expect(deadlineAfterAck('on_site', plus(300_000))).toEqual({ at: plus(300_000), kind: 'on_site' });
  });
});
