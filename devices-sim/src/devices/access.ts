import type { AccessReply, OfflineDecision } from '@linli/gateway/contracts';
import type { Sent, SimDevice } from './sim-device';

/** The answer to an access request or plate read: the validated reply, or why there was none. */
export type AccessOutcome =
  | { ok: true; requestId: string; reply: AccessReply }
  | { ok: false; requestId: string; reason: 'timeout' | 'not_sent' };

export const granted = (o: AccessOutcome): boolean => o.ok && o.reply.decision === 'grant';

/** The contract's cap per offline-log message (it keeps the body under the gateway's 8 KiB limit). */
const OFFLINE_LOG_PAGE = 30;

/** Uploads decisions made while the gateway was unreachable, oldest first, in messages of at most 30. */
export async function uploadOfflineLog(device: SimDevice, decisions: readonly OfflineDecision[]): Promise<Sent[]> {
  const sorted = [...decisions].sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
  const sent: Sent[] = [];
  for (let i = 0; i < sorted.length; i += OFFLINE_LOG_PAGE) {
    sent.push(await device.publish('offlineLog', { entries: sorted.slice(i, i + OFFLINE_LOG_PAGE) }));
  }
  return sent;
}
