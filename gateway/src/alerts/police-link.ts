import { randomUUID } from 'node:crypto';
import { type Alert, type Detail, PoliceNotification, type PoliceReply } from '../contracts/api/alerts';
import type { StoredChange } from '../db/alerts';
import { boardAlert } from '../live/board-view';
import type { Logger } from '../log';
import type { Notifier } from './notifier';

export interface PoliceLinkDeps {
  /** The community police's endpoint; undefined: no channel (said so on the board and in the history). */
  url: string | undefined;
  /** Alarm points linked to the police: their alarms are sent when raised. */
  devices: ReadonlySet<string>;
  notifier: Notifier;
  /** Writes the outcome into the alert's history (and so its audit row and the live stream). */
  record: (alertId: string, ok: boolean, note: string, detail: Detail) => Promise<void>;
  log: Logger;
  now: () => Date;
  /** Attempts for one notification (retryable failures only), a second apart. */
  attempts?: number;
}

/**
 * 警民一键通 (docs/alerts.md, "Police link"): an alarm of a police-linked point, or a guard's "转报警 110", is posted
 * to the community police at once — not through the escalation chain's outbox and deadlines. The outcome
 * (police_delivered, police_failed, police_no_channel) is a note code in the alert's history with `channel: police`.
 * The body carries the alert without people's notes (live/board-view.ts).
 */
export function createPoliceLink(deps: PoliceLinkDeps) {
  const attempts = deps.attempts ?? 3;

  async function send(alert: Alert, reason: 'linked_point' | 'guard_request', requestedBy: string): Promise<PoliceReply> {
    const base = { channel: 'police', reason, requestedBy };
    if (deps.url === undefined) {
      await deps.record(alert.id, false, 'police_no_channel', base);
      return { outcome: 'no_channel', error: null };
    }
    const deliveryId = randomUUID();
    const body = JSON.stringify(PoliceNotification.parse({ deliveryId, event: 'police.alarm', reason, requestedBy, sentAt: deps.now().toISOString(), alert: boardAlert(alert) }));
    let error = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const out = await deps.notifier.send({ deliveryId, target: deps.url, body, attempt });
      if (out.ok) {
        deps.log.info({ alertId: alert.id, deliveryId, reason, requestedBy, attempt }, 'police notified');
        await deps.record(alert.id, true, 'police_delivered', { ...base, deliveryId, status: out.status });
        return { outcome: 'delivered', error: null };
      }
      error = out.error;
      if (!out.retryable) break;
      if (attempt < attempts) await new Promise((r) => setTimeout(r, 1_000));
    }
    deps.log.error({ alertId: alert.id, deliveryId, reason, error }, 'police notification failed');
    await deps.record(alert.id, false, 'police_failed', { ...base, deliveryId, error });
    return { outcome: 'failed', error };
  }

  return {
    /** Every stored change: a raised alarm of a police-linked point goes out now. */
    onChange(change: StoredChange): void {
      const id = change.alert.deviceId;
      if (change.action !== 'raised' || id === null || !deps.devices.has(id)) return;
      void send(change.alert, 'linked_point', 'system').catch((err: unknown) => deps.log.error({ err, alertId: change.alert.id }, 'police link failed'));
    },
    /** A guard's 转报警 110. */
    request: (alert: Alert, guard: string) => send(alert, 'guard_request', guard),
  };
}

export type PoliceLink = ReturnType<typeof createPoliceLink>;
