// The hub's outbox sender (docs/scale-out.md "Escalation at the hub"): hub_notification rows are written in the same
// transaction as the step that owes them (hub/escalation.ts); this loop sends them through the signed webhook
// (api/webhook.ts, the cell's format). A row is claimed with its attempt counted before the call (at-least-once:
// receivers deduplicate on x-linli-delivery) and leased for the call, so a second hub writer does not send it at
// the same time and a writer that dies mid-call leaves it to be retried. Retries back off like the cell's; a delivery
// that gives up is logged at error level, without its URL (it may hold a token) or the secret.
import type { Pool } from 'pg';
import { z } from 'zod';
import { type Notifier, backoff } from '../api/webhook';
import type { Logger } from '../log';
import { every } from '../runtime/every';

export interface HubNotifySettings {
  maxAttempts: number;
  backoffMs: number;
  backoffMaxMs: number;
  timeoutMs: number;
  checkMs: number;
  /** Each attempt's outcome, for /metrics. */
  counted?: (outcome: 'delivered' | 'retry' | 'failed') => void;
}

const Claimed = z.object({
  id: z.string(),
  compound: z.string(),
  alert_id: z.string(),
  level: z.number().int(),
  level_name: z.string(),
  target: z.string(),
  body: z.string(),
  attempts: z.number().int(),
});
type Claimed = z.infer<typeof Claimed>;

async function attempt(pool: Pool, notifier: Notifier, s: HubNotifySettings, d: Claimed, log: Logger, random: () => number): Promise<void> {
  const outcome = await notifier.send({ deliveryId: d.id, target: d.target, body: d.body, attempt: d.attempts });
  const fields = { deliveryId: d.id, compound: d.compound, alertId: d.alert_id, escalationLevel: d.level, levelName: d.level_name, attempts: d.attempts };
  if (outcome.ok) {
    await pool.query("UPDATE hub_notification SET status = 'delivered', delivered_at = now(), next_at = NULL, last_error = NULL WHERE id = $1", [d.id]);
    s.counted?.('delivered');
    log.info({ ...fields, status: outcome.status }, 'hub: notification delivered');
    return;
  }
  if (outcome.retryable && d.attempts < s.maxAttempts) {
    const wait = backoff(s, d.attempts, random);
    await pool.query('UPDATE hub_notification SET next_at = $2, last_error = $3 WHERE id = $1', [d.id, new Date(Date.now() + wait), outcome.error]);
    s.counted?.('retry');
    log.warn({ ...fields, error: outcome.error, retryInMs: wait }, 'hub: notification failed; will retry');
    return;
  }
  await pool.query("UPDATE hub_notification SET status = 'failed', next_at = NULL, last_error = $2 WHERE id = $1", [d.id, outcome.error]);
  s.counted?.('failed');
  log.error({ ...fields, error: outcome.error }, 'hub: notification failed for good; tell the level by phone');
}

/** Sends the due outbox rows, several at a time; `kick()` after a step sends new rows at once. */
export function createHubNotifier(pool: Pool, notifier: Notifier, s: HubNotifySettings, log: Logger, random: () => number = Math.random) {
  let running = false;
  let busy: Promise<void> | null = null;
  let again = false;
  let loop: ReturnType<typeof every> | null = null;
  // A claimed row is not due again until its call can no longer be in flight.
  const leaseMs = s.timeoutMs + 30_000;

  async function pass(): Promise<void> {
    do {
      again = false;
      const res = await pool.query(
        `UPDATE hub_notification SET attempts = attempts + 1, next_at = $2
          WHERE id IN (SELECT id FROM hub_notification WHERE status = 'pending' AND next_at <= $1
                        ORDER BY next_at LIMIT 20 FOR UPDATE SKIP LOCKED)
          RETURNING id, compound, alert_id, level, level_name, target, body, attempts`,
        [new Date(), new Date(Date.now() + leaseMs)],
      );
      const claimed = res.rows.map((r) => Claimed.parse(r));
      await Promise.all(claimed.map((d) => attempt(pool, notifier, s, d, log, random).catch((err: unknown) => log.error({ err, deliveryId: d.id }, 'hub: notification attempt crashed'))));
      if (claimed.length === 20) again = true;
    } while (again && running);
  }

  function kick(): void {
    if (!running) return;
    if (busy) {
      again = true;
      return;
    }
    busy = pass()
      .catch((err: unknown) => log.warn({ err }, 'hub: sending notifications failed; retrying'))
      .finally(() => {
        busy = null;
      });
  }

  return {
    kick,
    start() {
      running = true;
      loop = every(s.checkMs, async () => {
        kick();
        await busy;
      });
    },
    async stop() {
      running = false;
      await loop?.stop();
      await busy;
    },
  };
}
