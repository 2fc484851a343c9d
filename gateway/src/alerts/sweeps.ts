import type { Config } from '../config';
import type { LiveHub } from '../live/hub';
import type { FailureLog } from './failure-log';
import type { AlertMetrics } from './metrics';
import type { Lifecycle as AlertLifecycle } from './service';
import type { AlertStore } from './store';
import type { Streetlights } from './streetlights';
import type { Supervision } from './supervision';
import type { Welfare } from './welfare';

const LAMP_SWEEP_MS = 30_000;

/**
 * The periodic work of the alert engine (supervision, escalation, streetlights, welfare), cut out of
 * createAlertsFeature's start so the timers and their intervals read in one place. Returns the timers for stop().
 */
export function startSweeps(
  config: Pick<Config, 'ALERT_SWEEP_MS' | 'WELFARE_CHECK_SEC'>,
  deps: {
    supervision: Supervision;
    streetlights: Streetlights;
    welfare: Welfare;
    lifecycle: Pick<AlertLifecycle, 'escalateDue'>;
    store: AlertStore;
    hub: LiveHub;
    metrics: AlertMetrics;
    escalations: FailureLog;
    now: () => Date;
  },
): NodeJS.Timeout[] {
  const { supervision, streetlights, welfare, lifecycle, store, hub, metrics, escalations, now } = deps;
  // One escalation pass at a time: a slow database must not stack them up.
  let escalating = false;
  const sweep = () => {
    supervision.sweep(now().getTime());
    metrics.open.set(store.all().length);
    metrics.liveClients.set(hub.size);
    if (escalating) return;
    escalating = true;
    lifecycle
      .escalateDue()
      .then(
        () => escalations.ok(),
        (err: unknown) => escalations.failed(err),
      )
      .finally(() => (escalating = false));
  };
  const timers = [
    setInterval(sweep, config.ALERT_SWEEP_MS),
    setInterval(() => streetlights.sweep(now()), Math.max(config.ALERT_SWEEP_MS, Math.min(LAMP_SWEEP_MS, config.ALERT_SWEEP_MS * 30))),
    setInterval(() => void welfare.sweep(), config.WELFARE_CHECK_SEC * 1000),
  ];
  void welfare.sweep();
  return timers;
}
