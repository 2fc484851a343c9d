import type { Alert } from '@linli/gateway/contracts/api/alerts';
import { type Translate, placeText, useT } from '../i18n';
import { chain, outcomes, police } from '../live/notify';
import { useStore } from '../store';
import { ago, clock, duration } from '../format';
import { SeverityIcon } from './icons';

export function TagChips({ tags }: { tags: Alert['tags'] }) {
  const t = useT();
  if (tags.length === 0) return null;
  // The tags that raise urgency come first and stand out (docs/domain.md: an elderly person living alone matters more).
  const order = ['elderly_alone', 'disabled', 'elderly', 'empty_nest', 'hardship', 'party_member', 'rental', 'vacant'];
  const sorted = [...tags].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return (
    <span class="tags">
      {sorted.map((tag) => (
        <span key={tag} class={`tag tag-${tag}`}>
          {t.e.tag[tag]}
        </span>
      ))}
    </span>
  );
}

export function Deadline({ alert, now }: { alert: Alert; now: number }) {
  const t = useT();
  if (!alert.nextDeadlineAt || !alert.deadlineKind) return null;
  const left = (Date.parse(alert.nextDeadlineAt) - now) / 1000;
  return (
    <span class={`deadline ${left <= 0 ? 'overdue' : left < 30 ? 'soon' : ''}`}>
      {left <= 0 ? t('alert.overdue') : t(alert.deadlineKind === 'ack' ? 'alert.deadline.ack' : 'alert.deadline.on_site', { left: duration(left) })}
    </span>
  );
}

/** The level's name in words (guard station, grid worker, …). */
export const levelName = (t: Translate, name: string) => t.e.escalation[name] ?? name;

/**
 * The escalation chip, truthful: not "reported to the grid worker" when nobody was told. Delivered, failed, still
 * being sent, or no channel at that level — and a failure at any level reached is shown, not only at the current one.
 */
export function EscalationChip({ alert }: { alert: Alert }) {
  const t = useT();
  const all = useStore(outcomes);
  const c = useStore(chain);
  const mine = all[alert.id] ?? {};
  const failed = Object.entries(mine).filter(([, o]) => o === 'failed');
  if (failed.length > 0) {
    const names = failed.map(([l]) => levelName(t, c?.levels[Number(l)]?.name ?? l));
    return (
      <span class="chip notify-failed" data-notify="failed">
        {t('notify.failedChip', { target: names.join('、') })}
      </span>
    );
  }
  if (alert.escalationLevel === 0) return null;
  const o = mine[alert.escalationLevel];
  const target = levelName(t, alert.escalationTarget);
  const key = o === 'delivered' ? 'notify.deliveredChip' : o === 'pending' ? 'notify.pendingChip' : o === 'no_channel' ? 'notify.noChannelChip' : 'notify.escalatedChip';
  return (
    <span class={`chip escalated notify-${o ?? 'unknown'}`} data-notify={o ?? 'unknown'}>
      {t(key, { target })}
    </span>
  );
}

/** 警民一键通 on the card: whether the community police were told (delivered), not (failed), or cannot be (no channel). */
export function PoliceChip({ alertId }: { alertId: string }) {
  const t = useT();
  const o = useStore(police)[alertId];
  if (!o) return null;
  return (
    <span class={`chip police-chip police-${o}`} data-testid="police-chip" data-police={o}>
      {t(`policeChip.${o}`)}
    </span>
  );
}

export function AlertCard({ alert, selected, now, onSelect }: { alert: Alert; selected: boolean; now: number; onSelect: () => void }) {
  const t = useT();
  return (
    <li
      class={`alert-card sev-${alert.severity} st-${alert.status} ${selected ? 'selected' : ''}`}
      data-alert-id={alert.id}
      data-alert-type={alert.type}
      data-status={alert.status}
      data-severity={alert.severity}
      aria-selected={selected}
      role="option"
      onClick={onSelect}
    >
      <div class="sev-band">
        <SeverityIcon severity={alert.severity} />
        <span class="sev-word">{t.e.severity[alert.severity]}</span>
      </div>
      <div class="card-main">
        <div class="card-line1">
          <span class="alert-type">{t.e.alertType[alert.type]}</span>
          {alert.count > 1 && <span class="count">{t('alert.count', { n: alert.count })}</span>}
          <TagChips tags={alert.tags} />
        </div>
        <div class="place">{placeText(t, alert.place)}</div>
        <div class="card-line3">
          <span class="time" title={alert.lastAt}>
            {clock(alert.lastAt)} · {ago(t, alert.lastAt, now)}
          </span>
          {alert.status === 'open' ? (
            <span class="status-chip st-open">{t.e.status.open}</span>
          ) : (
            <span class="status-chip st-acknowledged">{t('alert.ackedBy', { who: alert.ackedBy ?? '' })}</span>
          )}
          {alert.latched && <span class="chip latched">{t('alert.latched')}</span>}
          {alert.cancelRequestedAt && <span class="chip cancel">{t('alert.cancelRequested')}</span>}
          <EscalationChip alert={alert} />
          <PoliceChip alertId={alert.id} />
          <Deadline alert={alert} now={now} />
        </div>
      </div>
    </li>
  );
}
