import { useEffect, useState } from 'preact/hooks';
import type { HubAlert, HubChain } from '@linli/gateway/contracts/api/hub';
import { z } from 'zod';
import { ApiError } from '../stored-session';
import { api } from './api';
import { errText } from './format';
import type { HubT } from './i18n';

const fmt = (t: HubT, iso: string) => new Date(iso).toLocaleString(t.lang === 'zh' ? 'zh-CN' : 'en-GB', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });

/**
 * An alert's escalation at the hub (docs/scale-out.md "Escalation at the hub"): the level of the hub chain it reached,
 * who was told at each level (delivered / failed / sending / nobody: no channel), when it moves up next, and 确认 on
 * the hub's own 小区网关离线 while nobody has acknowledged it; on a cell's alert not yet cleared, 升级 with a reason
 * sends it one level up the hub chain by hand (the server checks the scope and says when there is no level left).
 */
export function HubEscalationLine({ t, a, onChanged }: { t: HubT; a: HubAlert; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const e = a.hubEscalation;
  const canAck = a.source === 'hub' && a.status === 'open' && a.ackedAt === null;
  const canEscalate = a.source === 'cell' && a.status !== 'cleared';
  if (e.level === 0 && e.told.length === 0 && !canAck && !canEscalate) return null;
  const ack = async () => {
    setBusy(true);
    try {
      await api.ack(a.compound, a.id);
      setError(null);
      onChanged();
    } catch (err) {
      setError(t('error.generic', { msg: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="hub-esc" data-testid="hub-escalation" data-level={e.level}>
      {/* A level reached with no name on record: the compound had no chain when it was raised (nobody was told). */}
      {e.level > 0 && e.levelName === null && <strong class="hub-error">{t('chain.title')} {t('chain.none')}</strong>}
      {e.level > 0 && e.levelName !== null && <strong>{t('esc.level', { n: e.level, name: e.levelName })}</strong>}
      {e.told.map((x, i) => (
        <span key={i} class={`hub-told hub-told-${x.outcome}`} data-outcome={x.outcome}>{x.levelName}：{t(`told.${x.outcome}`)}</span>
      ))}
      {e.nextDeadlineAt !== null && <span class="hub-esc-next">{t('esc.next', { time: fmt(t, e.nextDeadlineAt) })}</span>}
      {canAck && (
        <button type="button" class="hub-ack" disabled={busy} onClick={() => void ack()}>{busy ? t('esc.acking') : t('esc.ack')}</button>
      )}
      {canEscalate && <EscalateByHand t={t} a={a} onDone={onChanged} />}
      {error !== null && <span class="hub-error" role="alert">{error}</span>}
    </div>
  );
}

/** Why the hub said no to 升级 (the 409's details), in the desk's words; anything else as the generic error. */
const Refused = z.discriminatedUnion('refused', [
  z.object({ refused: z.literal('at_top'), level: z.number(), levelName: z.string() }),
  z.object({ refused: z.literal('no_chain') }),
  z.object({ refused: z.literal('cleared') }),
]);
function refusedText(t: HubT, err: unknown): string {
  const r = err instanceof ApiError ? Refused.safeParse(err.details) : null;
  if (!r?.success) return errText(t, err);
  if (r.data.refused === 'at_top') return t('esc.atTop', { n: r.data.level, name: r.data.levelName });
  return t(r.data.refused === 'no_chain' ? 'esc.noChain' : 'esc.cleared');
}

/** 升级: a reason (what the next level is told), then the request; a refusal (top of the chain, no chain) is shown. */
function EscalateByHand({ t, a, onDone }: { t: HubT; a: HubAlert; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const send = async () => {
    setBusy(true);
    try {
      await api.escalate(a.compound, a.id, reason.trim());
      setOpen(false);
      setReason('');
      setError(null);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  if (!open) return <button type="button" class="hub-escalate" onClick={() => setOpen(true)}>{t('esc.byHand')}</button>;
  return (
    <span class="hub-escalate-form">
      <input name="reason" maxLength={500} placeholder={t('esc.reason')} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      <button type="button" class="hub-escalate" disabled={busy || reason.trim() === ''} onClick={() => void send()}>{busy ? t('esc.escalating') : t('esc.send')}</button>
      <button type="button" class="hub-link" onClick={() => setOpen(false)}>{t('note.cancel')}</button>
      {error !== null && <span class="hub-error" role="alert">{refusedText(t, error)}</span>}
    </span>
  );
}

/** The compound's chain at the hub, read-only: each level and whether it can be told; a chain nobody hears is red. */
export function ChainLine({ t, compound }: { t: HubT; compound: string }) {
  const [chain, setChain] = useState<HubChain | null>(null);
  useEffect(() => {
    let live = true;
    api.chain(compound).then((c) => live && setChain(c), () => live && setChain(null));
    return () => {
      live = false;
    };
  }, [compound]);
  if (chain === null) return null;
  return (
    <p class={chain.working ? 'hub-chain' : 'hub-chain hub-chain-silent'} data-testid="hub-chain">
      <strong>{t('chain.title')}</strong>{' '}
      {chain.levels.length === 0
        ? t('chain.none')
        : chain.levels.map((l) => `${l.name}${l.channel === null ? t('chain.noChannel') : ''}`).join(' → ')}
      {chain.source !== null && <small> · {t(`chain.from.${chain.source}`)}</small>}
      {chain.levels.length > 0 && !chain.working && <span class="hub-error"> · {t('chain.silent')}</span>}
    </p>
  );
}
