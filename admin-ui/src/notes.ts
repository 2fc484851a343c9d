import type { AlertHistoryEntry } from '@linli/gateway/contracts/api/alerts';
import { SystemNote } from '@linli/gateway/contracts/api/alert-notes';
import type { EscalationChain } from '@linli/gateway/contracts/api/escalation';
import type { MessageKey, Translate } from './i18n';

function waited(t: Translate, sec: number): string {
  return sec % 60 === 0 ? t('wait.min', { n: sec / 60 }) : t('wait.sec', { n: sec });
}

/**
 * A history row's note in the guard's language. The gateway writes codes (contracts/api/alert-notes.ts) with their
 * parameters in `detail`; people's notes are shown as they typed them; a call's outcome is a code too.
 */
export function noteText(t: Translate, h: AlertHistoryEntry, chain: EscalationChain | null): string | null {
  if (h.note === null) return null;
  if (h.action === 'call_recorded') {
    const key = `call.${h.note}`;
    return key === 'call.reached_safe' || key === 'call.reached_needs_help' || key === 'call.no_answer' || key === 'call.unreachable' ? t(key) : h.note;
  }
  const code = SystemNote.safeParse(h.note);
  if (!code.success || !(h.actor === 'system' || h.actor.startsWith('device:'))) return h.note;
  const d = h.detail ?? {};
  const levelName = typeof d.level === 'number' ? chain?.levels[d.level]?.name : undefined;
  const targetCode = typeof d.target === 'string' ? d.target : levelName;
  const target = targetCode !== undefined ? (t.e.escalation[targetCode] ?? targetCode) : '';
  const key: MessageKey = `sysnote.${code.data}`;
  return t(key, { target, waited: typeof d.waitedSec === 'number' ? waited(t, d.waitedSec) : '' });
}
