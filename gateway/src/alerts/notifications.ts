import type { Config } from '../config';
import type { PrismaClient } from '../db/client';
import { notificationRepo } from '../db/notifications';
import type { Logger } from '../log';
import type { AlertSettings } from '../rules/types';
import type { Actions } from './actions';
import type { Notifier } from './notifier';
import { createDispatcher } from './notifier/dispatcher';
import { webhookNotifier } from './notifier/webhook';
import { createPoliceLink } from './police-link';

/**
 * Who hears of an alert beyond the guard station: the escalation chain's webhooks (the dispatcher works their outbox)
 * and the community police link. Both send through one notifier — the webhook when WEBHOOK_SECRET is set, a refusal
 * that says so otherwise, or the one a test passes — and write each outcome into the alert's history.
 */
export function alertNotifications(
  config: Config,
  deps: { prisma: PrismaClient; notifier: Notifier | undefined; actions: Actions; settings: AlertSettings; log: Logger; now: () => Date },
) {
  const { actions, log, now } = deps;
  const notifier =
    deps.notifier ??
    (config.WEBHOOK_SECRET !== undefined
      ? webhookNotifier({ secret: config.WEBHOOK_SECRET, timeoutMs: config.WEBHOOK_TIMEOUT_MS, now })
      : { send: async () => ({ ok: false as const, error: 'no WEBHOOK_SECRET configured', retryable: false }) });
  const police = createPoliceLink({
    url: config.POLICE_LINK_URL,
    devices: new Set(config.POLICE_LINK_DEVICES),
    notifier,
    record: (id, ok, note, detail) => actions.recordNotification(id, ok, note, detail),
    log: log.child({ part: 'police' }),
    now,
  });
  const dispatcher = createDispatcher(
    { maxAttempts: config.WEBHOOK_MAX_ATTEMPTS, backoffMs: config.WEBHOOK_BACKOFF_MS, backoffMaxMs: config.WEBHOOK_BACKOFF_MAX_MS, chain: deps.settings.chain },
    { repo: notificationRepo(deps.prisma), notifier, record: actions.recordNotification, log: log.child({ part: 'notifier' }), now },
  );
  return { police, dispatcher };
}
