import type { Alert } from '@linli/gateway/contracts/api/alerts';
import type { SitePlan } from '@linli/gateway/contracts/api/site';
import type { CompoundRef } from '@linli/gateway/contracts/api/site-plan';
import type { JSX } from 'preact';
import { useLoad } from '../hooks';
import { useT } from '../i18n';
import { sitePlan } from '../site-data';
import { session } from '../session';
import { boardCompound } from '../site-plan-api';
import { type Store, useStore } from '../store';
import '../site-plan.css';

/**
 * A compound selector, shown only when there is more than one compound to choose from. `all`: the first option
 * means every compound (the board's filter); otherwise the list is just the compounds (a map shows one).
 */
export function CompoundPicker({ compounds, store, current, all = false, testId }: { compounds: CompoundRef[]; store: Store<string | null>; current: string | null; all?: boolean; testId: string }) {
  const t = useT();
  useStore(store);
  if (compounds.length < 2) return null;
  return (
    <label class="compound-picker">
      <span class="muted">{all ? t('plan.filterCompound') : t('plan.compound')}</span>
      <select data-testid={testId} value={current ?? ''} onChange={(e) => store.set(e.currentTarget.value === '' ? null : e.currentTarget.value)}>
        {all && <option value="">{t('plan.compoundAll')}</option>}
        {compounds.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * Whether an alert belongs to the compound of `plan`: its device or building is there. An alert of no device and no
 * building (the gateway's own, a database outage) belongs to every compound — a filter never hides it.
 */
export function inCompound(plan: SitePlan, a: Alert): boolean {
  if (a.deviceId === null && a.place.buildingId === null) return true;
  return plan.devices.some((d) => d.id === a.deviceId) || plan.buildings.some((b) => b.id === a.place.buildingId);
}

/**
 * The board's compound filter: the alerts of the chosen compound (all of them when none is chosen, the default)
 * and the selector to put above the list — nothing at all while there is only one compound.
 */
export function useBoardCompound(alerts: Alert[]): { alerts: Alert[]; picker: JSX.Element | null } {
  const chosen = useStore(boardCompound);
  // A signed-out station's read-only board has no token to ask with: one compound's view, unfiltered.
  const signedIn = useStore(session) !== null;
  const [plan] = useLoad(() => (signedIn ? sitePlan(chosen) : Promise.resolve(null)), `board-site:${chosen ?? ''}:${signedIn}`);
  if (plan.state !== 'ok' || plan.value === null || plan.value.compounds.length < 2) return { alerts, picker: null };
  const p = plan.value;
  const shown = chosen === null || p.community.id !== chosen ? alerts : alerts.filter((a) => inCompound(p, a));
  return { alerts: shown, picker: <CompoundPicker compounds={p.compounds} store={boardCompound} current={chosen} all testId="board-compound" /> };
}
