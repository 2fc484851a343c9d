import type { BusListener, BusSubscriber, IngestedEvent } from '../bus';
import { alarmRules } from '../rules/alarm';
import { clockRule, healthRule } from '../rules/health';
import { deviceSecurityRules, incidentRule } from '../rules/security';
import type { AlertSettings, Decision } from '../rules/types';
import type { Streetlights } from './streetlights';
import type { Supervision } from './supervision';
import type { Welfare } from './welfare';

/** What the rules decide about one device event (the live path and the outbox sweep judge alike). */
export function decisionsFor(ev: IngestedEvent, settings: AlertSettings): Decision[] {
  return [...alarmRules(ev), ...deviceSecurityRules(ev), ...clockRule(ev, settings)];
}

/**
 * Subscribes the rules to the bus (the zigbee2mqtt controller model: features meet only there). Runs on every
 * ingested event, so it does constant work and no I/O; only decisions go on to the lifecycle's queue.
 */
export function subscribeRules(
  bus: BusSubscriber,
  settings: AlertSettings,
  parts: { judge: (ds: readonly Decision[], outboxId?: number | null) => void; supervision: Supervision; streetlights: Streetlights; welfare: Welfare },
) {
  const { judge, supervision, streetlights, welfare } = parts;

  const onEvent: BusListener<'device-event'> = (ev) => {
    const atMs = ev.receivedAt.getTime();
    if (ev.name === 'presence' && ev.payload.status === 'offline') {
      // The device's own offline status, or its Will published by the broker when the link died.
      supervision.observe(ev.deviceId, ev.kind, { type: 'disconnected', atMs, cause: 'status_offline' });
    } else {
      supervision.observe(ev.deviceId, ev.kind, { type: 'seen', atMs });
    }
    // Each rule picks the channels it is about; the others cost it one comparison.
    if (ev.name === 'lightState') return streetlights.reading(ev.deviceId, ev.payload, ev.receivedAt);
    // A door or barrier opening's outbox entry is door monitoring's to judge ('door-judged' below).
    const opening = ev.name === 'doorState' || ev.name === 'barrierState';
    judge(decisionsFor(ev, settings), opening ? null : (ev.outboxId ?? null));
  };
  const onDoorJudged: BusListener<'door-judged'> = (j) => judge(j.incident ? incidentRule(j.incident) : [], j.outboxId);
  const onHealth: BusListener<'device-health'> = (h) => judge(healthRule(h), h.outboxId ?? null);
  const onPresence: BusListener<'presence'> = (p) =>
    supervision.observe(p.deviceId, p.kind, p.online ? { type: 'connected', atMs: p.at.getTime() } : { type: 'disconnected', atMs: p.at.getTime(), cause: p.cause });
  const onIncident: BusListener<'access-incident'> = (inc) => judge(incidentRule(inc), inc.outboxId ?? null);
  const onDecision: BusListener<'access-decision'> = (d) => {
    if (d.decision === 'grant' && d.householdId !== null) welfare.activity(d.householdId, d.at);
  };

  const onConfig: BusListener<'device-config'> = (c) => supervision.configure(c, c.at.getTime());

  // Removed with every other listener of the feature when it stops (Bus.release).
  bus.on('device-event', onEvent).on('device-config', onConfig).on('device-health', onHealth).on('presence', onPresence).on('access-incident', onIncident).on('door-judged', onDoorJudged).on('access-decision', onDecision);
}
