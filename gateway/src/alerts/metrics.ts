import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../log';
import { failureLog } from './failure-log';

/** The alert engine's metrics, on the gateway's registry (served at /metrics). */
export function alertMetrics(registry: Registry) {
  const registers = [registry];
  return {
    changes: new Counter({ name: 'linli_alert_changes_total', help: 'Alert changes by action and type', labelNames: ['action', 'type'], registers }),
    outboxPending: new Gauge({ name: 'linli_alert_outbox_pending', help: 'Stored events the alert engine has not judged yet (after the last sweep)', registers }),
    outboxRecovered: new Counter({ name: 'linli_alert_outbox_swept_total', help: 'Outbox entries judged by a sweep rather than on arrival (a crash, a failed alert write)', registers }),
    writeFailures: new Counter({ name: 'linli_alert_write_failures_total', help: 'Alert engine writes that failed (escalation sweep, alert change), each attempt counted', labelNames: ['op'], registers }),
    writesFailing: new Gauge({ name: 'linli_alert_writes_failing', help: '1 while an alert engine write keeps failing (logged once at warn, then once when it recovers)', labelNames: ['op'], registers }),
    open: new Gauge({ name: 'linli_alerts_open', help: 'Alerts not cleared', registers }),
    liveClients: new Gauge({ name: 'linli_live_clients', help: 'Connected live-stream clients (guard screens)', registers }),
    liveDropped: new Counter({ name: 'linli_live_dropped_total', help: 'Live clients dropped, by reason (slow reader, no ack, replaced by the same user)', labelNames: ['reason'], registers }),
  };
}

export type AlertMetrics = ReturnType<typeof alertMetrics>;

/**
 * The engine's repeating failures (a database outage makes them fail on every tick): each is warned once, then
 * logged once when it recovers, and counted in linli_alert_write_failures_total / linli_alert_writes_failing by `op`.
 */
export function alertFailureLogs(log: Logger, metrics: AlertMetrics) {
  const failures = (op: string, what: string) =>
    failureLog(log, what, { onFailure: () => metrics.writeFailures.inc({ op }), onState: (failing) => metrics.writesFailing.set({ op }, failing ? 1 : 0) });
  return {
    writes: failures('alert_change', 'storing an alert change'),
    escalations: failures('escalation', 'escalation sweep'),
    outboxReads: failures('outbox_read', 'reading the alert outbox'),
  };
}
