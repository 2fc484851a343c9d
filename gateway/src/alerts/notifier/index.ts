import { randomUUID } from 'node:crypto';
import { type Alert, AlertNotification } from '../../contracts/api/alerts';
import type { OutboxRow } from '../../db/alerts';

/**
 * How notifications leave the gateway: `Notifier` (api/webhook.ts, shared with the hub). The webhook is the real one;
 * anything else (SMS gateway, a siren box) implements the same call. Delivery, retries and the record are the
 * dispatcher's job, not the notifier's.
 */
export type { Notifier, SendOutcome } from '../../api/webhook';

/** Levels of the chain (index = level) and where each is told, if anywhere. */
export type ChainTargets = ReadonlyArray<{ name: string; url?: string | undefined }>;

/**
 * The outbox rows owed when `alert` reaches `level`: written in the same transaction as the change itself. `route`
 * (alerts/routing.ts) picks who is told — the household's grid worker, stored contacts — and falls back to `chain`.
 */
export function outboxFor(chain: ChainTargets, now: () => Date, route?: (householdId: string | null, level: number) => ChainTargets) {
  return (alert: Alert, level: number, event: 'raised' | 'escalated', reason: string | null): OutboxRow[] => {
    const targets = route ? route(alert.householdId, level) : chain[level] ? [chain[level]] : [];
    return targets.flatMap((target) => {
      if (!target.url) return [];
      const deliveryId = randomUUID();
      const body = AlertNotification.parse({ deliveryId, event: `alert.${event}`, level, levelName: target.name, reason, sentAt: now().toISOString(), alert });
      return [{ id: deliveryId, level, target: target.url, body: JSON.stringify(body) }];
    });
  };
}
