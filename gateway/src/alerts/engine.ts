import type { Bus, IngestedEvent } from '../bus';
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
  bus: Bus,
  settings: AlertSettings,
  parts: { judge: (ds: readonly Decision[], outboxId?: number | null) => void; supervision: Supervision; streetlights: Streetlights; welfare: Welfare },
) {
  const { judge, supervision, streetlights, welfare } = parts;

  const onEvent: Parameters<typeof bus.on<'device-event'>>[1] = (ev) => {
    const atMs = ev.receivedAt.getTime();
    if (ev.name === 'presence' && ev.payload.status === 'offline') {
      // The device's own offline status, or its Will published by the broker when the link died.
      supervision.observe(ev.deviceId, ev.kind, { type: 'disconnected', atMs, cause: 'status_offline' });
    } else {
      supervision.observe(ev.deviceId, ev.kind, { type: 'seen', atMs });
    }
    // Each rule picks the channels it is about; the others cost it one comparison.
    if (ev.name === 'lightState') return streetlights.reading(ev.deviceId, ev.payload, ev.receivedAt);
    judge(decisionsFor(ev, settings), ev.outboxId ?? null);
  };
  const onHealth: Parameters<typeof bus.on<'device-health'>>[1] = (h) => judge(healthRule(h), h.outboxId ?? null);
  const onPresence: Parameters<typeof bus.on<'presence'>>[1] = (p) =>
    supervision.observe(p.deviceId, p.kind, p.online ? { type: 'connected', atMs: p.at.getTime() } : { type: 'disconnected', atMs: p.at.getTime(), cause: p.cause });
  const onIncident: Parameters<typeof bus.on<'access-incident'>>[1] = (inc) => judge(incidentRule(inc), inc.outboxId ?? null);
  const onDecision: Parameters<typeof bus.on<'access-decision'>>[1] = (d) => {
    if (d.decision === 'grant' && d.householdId !== null) welfare.activity(d.householdId, d.at);
  };

  const onConfig: Parameters<typeof bus.on<'device-config'>>[1] = (c) => supervision.configure(c, c.at.getTime());

  bus.on('device-event', onEvent);
  bus.on('device-config', onConfig);
  bus.on('device-health', onHealth);
  bus.on('presence', onPresence);
  bus.on('access-incident', onIncident);
  bus.on('access-decision', onDecision);
  return () => {
    bus.off('device-event', onEvent);
    bus.off('device-config', onConfig);
    bus.off('device-health', onHealth);
    bus.off('presence', onPresence);
    bus.off('access-incident', onIncident);
    bus.off('access-decision', onDecision);
  };
}
