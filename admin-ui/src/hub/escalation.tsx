import { useEffect, useState } from 'preact/hooks';
import type { HubAlert, HubChain } from '@linli/gateway/contracts/api/hub';
import { api } from './api';
import type { HubT } from './i18n';

const fmt = (t: HubT, iso: string) => new Date(iso).toLocaleString(t.lang === 'zh' ? 'zh-CN' : 'en-GB', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });

/**
 * An alert's escalation at the hub (docs/scale-out.md "Escalation at the hub"): the level of the hub chain it reached,
 * who was told at each level (delivered / failed / sending / nobody: no channel), when it moves up next, and 确认 on
 * the hub's own 小区网关离线 while nobody has acknowledged it (the server checks the scope).
 */
export function HubEscalationLine({ t, a, onChanged }: { t: HubT; a: HubAlert; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const e = a.hubEscalation;
  const canAck = a.source === 'hub' && a.status === 'open' && a.ackedAt === null;
  if (e.level === 0 && e.told.length === 0 && !canAck) return null;
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
      {error !== null && <span class="hub-error" role="alert">{error}</span>}
    </div>
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
