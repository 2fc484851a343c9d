import type { EscalationLevel } from '../config';
import type { AlertSourceRepo } from '../db/alert-sources';
import type { OutboxRepo } from '../db/outbox';
import type { Logger } from '../log';
import { chainRule } from '../rules/escalation';
import { escalationChain } from './escalation-chain';
import type { Lifecycle as AlertLifecycle } from './service';
import type { AlertStore } from './store';
import type { Streetlights } from './streetlights';
import type { Supervision } from './supervision';

/**
 * What createAlertsFeature does before it returns: loads the open alerts and the supervised devices into memory,
 * drops outbox entries whose event row is gone, and judges the escalation chain itself (a chain with no channel above
 * the guard station is a maintenance alert the guard sees, cleared once it works). Resolves with the supervised devices.
 */
export async function loadAlertState(deps: {
  store: AlertStore;
  sources: AlertSourceRepo;
  supervision: Supervision;
  streetlights: Streetlights;
  outbox: OutboxRepo;
  lifecycle: Pick<AlertLifecycle, 'judge'>;
  chain: readonly EscalationLevel[];
  log: Logger;
  now: () => Date;
}): Promise<{ devices: number }> {
  const { store, log, now } = deps;
  await store.load();
  const devices = await deps.sources.supervisedDevices();
  deps.supervision.load(devices, store.all(), now().getTime());
  deps.streetlights.load(store.all());
  const orphans = await deps.outbox.dropOrphans();
  if (orphans > 0) log.warn({ orphans }, 'alert outbox entries without their event row dropped');
  const chain = escalationChain(deps.chain);
  deps.lifecycle.judge(chainRule({ levels: chain.levels.map((l) => l.name), working: chain.working }, now()));
  return { devices: devices.length };
}
