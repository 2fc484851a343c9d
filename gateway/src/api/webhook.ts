// The signed webhook (docs/alerts.md "Notifications (webhooks)"): sign, verify, and one signed POST with a timeout.
// Pure HTTP, no storage and no alert knowledge, so both features that notify people use it: the cell's escalation
// (alerts/notifier/) and the district hub's (hub/notify.ts). Features may not import each other (eslint.layers.js),
// hence its place in the HTTP kit below them.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-linli-signature';
export const TIMESTAMP_HEADER = 'x-linli-timestamp';
export const DELIVERY_HEADER = 'x-linli-delivery';

/** One notification attempt's outcome. Never an exception: a receiver that is down is an expected outcome. */
export type SendOutcome = { ok: true; status: number } | { ok: false; error: string; retryable: boolean };

/** How a notification leaves the process; the webhook below is the real one. */
export interface Notifier {
  send(n: { deliveryId: string; target: string; body: string; attempt: number }): Promise<SendOutcome>;
}

/** `sha256=` + hex HMAC-SHA256 of `<timestamp>.<raw body>`: the timestamp is signed too, so a replay is detectable. */
export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers (and the tests): constant-time check of the signature and the timestamp's age. */
export function verify(secret: string, headers: { timestamp: string | undefined; signature: string | undefined }, body: string, nowSec: number, toleranceSec = 300): boolean {
  const { timestamp, signature } = headers;
  if (timestamp === undefined || signature === undefined || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowSec - Number(timestamp)) > toleranceSec) return false;
  const expected = Buffer.from(sign(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** 408, 425 and 429 say "later"; other 4xx say "never" (a wrong URL or secret does not fix itself by retrying). */
const retryableStatus = (s: number) => s >= 500 || s === 408 || s === 425 || s === 429;

/** The wait before retry `attempt` + 1: exponential up to backoffMaxMs, half of it fixed and half jitter. */
export function backoff(opts: { backoffMs: number; backoffMaxMs: number }, attempt: number, random: () => number): number {
  const ceiling = Math.min(opts.backoffMaxMs, opts.backoffMs * 2 ** (attempt - 1));
  // Half fixed, half jitter: receivers that come back are not hit by every gateway at once.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Posts the body to the target URL, signed, with a timeout. */
export function webhookNotifier(opts: { secret: string; timeoutMs: number; now?: () => Date; userAgent?: string }): Notifier {
  const now = opts.now ?? (() => new Date());
  return {
    async send({ deliveryId, target, body }): Promise<SendOutcome> {
      const timestamp = String(Math.floor(now().getTime() / 1000));
      try {
        const res = await fetch(target, {
          method: 'POST',
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'user-agent': opts.userAgent ?? 'linli-gateway',
            [DELIVERY_HEADER]: deliveryId,
            [TIMESTAMP_HEADER]: timestamp,
            [SIGNATURE_HEADER]: sign(opts.secret, timestamp, body),
          },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        // Drain the body so the connection can be reused; its content is not needed.
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return { ok: true, status: res.status };
        return { ok: false, error: `HTTP ${res.status}`, retryable: retryableStatus(res.status) };
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
        return { ok: false, error: `${e.name === 'TimeoutError' ? 'timeout' : e.message}${cause}`, retryable: true };
      }
    },
  };
}
