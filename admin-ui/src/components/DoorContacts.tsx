import type { Alert } from '@linli/gateway/contracts/api/alerts';
import type { DeviceContacts } from '@linli/gateway/contracts/api/contacts';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { useLoad } from '../hooks';
import { useT } from '../i18n';
import { createStore } from '../store';
import { dialog, toast } from '../ui-state';
import { TagChips } from './AlertCard';
import { ContactList } from './ContactList';

/**
 * What C does on the map while a door panel is open: the call dialog for the door's alert and the household picked
 * in the panel (null when the door has no alert, or nobody is picked). The keys live in app.tsx; the panel sets this.
 */
export const doorCall = createStore<(() => void) | null>(null);

/**
 * Reaching the household from a door (issue 13, item 4): the households behind it — every flat of a unit door's unit,
 * a household device's own household — with names and numbers masked. A room picked shows its residents; 显示号码
 * shows one full number (the gateway audits it, naming the door's alert if there is one) as a tel: link. Where the
 * door has an alert, 记录通话结果 (or C) opens the call dialog for that alert and household: C then a digit records
 * the outcome in the alert's history.
 */
export function DoorContacts({ deviceId, alert }: { deviceId: string; alert: Alert | null }) {
  const t = useT();
  const [list] = useLoad(() => api.deviceContacts(deviceId), deviceId);
  const [picked, setPicked] = useState<string | null>(null);
  const [shown, setShown] = useState<Record<string, string>>({});
  const data: DeviceContacts | null = list.state === 'ok' && list.value.deviceId === deviceId ? list.value : null;
  // A household device has one household: it is picked from the start.
  const only = data?.scope === 'household' ? (data.households[0]?.householdId ?? null) : null;
  const current = picked ?? only;
  const household = data?.households.find((h) => h.householdId === current) ?? null;

  const openCall = alert && household ? () => dialog.set({ kind: 'call', alert, householdId: household.householdId, shown: Object.fromEntries(household.contacts.filter((c) => shown[c.id]).map((c) => [c.id, shown[c.id] ?? ''])) }) : null;
  useEffect(() => {
    doorCall.set(() => openCall);
    return () => doorCall.set(null);
  }, [openCall === null, alert?.id, household?.householdId, JSON.stringify(shown)]);

  if (list.state === 'error') return <p class="error-text">{t('common.error', { msg: list.message })}</p>;
  if (!data || data.scope === 'none') return null;

  const reveal = async (householdId: string, contactId: string) => {
    try {
      const r = await api.revealPhone(householdId, contactId, alert?.id);
      setShown((m) => ({ ...m, [contactId]: r.phone }));
    } catch (err) {
      toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
    }
  };

  return (
    <section class="door-contacts" data-testid="door-contacts">
      <h3 class="sub-title">{data.scope === 'unit' ? t('doorContacts.unitTitle', { n: data.households.length }) : t('doorContacts.householdTitle')}</h3>
      {data.scope === 'unit' && (
        <div class="room-picker" role="group" aria-label={t('doorContacts.pickRoom')}>
          {data.households.map((h) => (
            <button
              key={h.householdId}
              type="button"
              class={`btn btn-sm room ${h.householdId === current ? 'btn-primary' : ''} ${h.tags.includes('elderly_alone') || h.tags.includes('disabled') ? 'room-vulnerable' : ''}`}
              data-household={h.householdId}
              aria-pressed={h.householdId === current}
              title={h.label}
              onClick={() => setPicked(h.householdId === current ? null : h.householdId)}
            >
              {h.label.split('-').at(-1) ?? h.label}
            </button>
          ))}
        </div>
      )}
      {data.scope === 'unit' && !household && <p class="muted">{t('doorContacts.pickHint')}</p>}
      {household && (
        <div class="door-household" data-household-contacts={household.householdId}>
          <div class="door-household-head">
            <b>{household.label}</b> <TagChips tags={household.tags} />
          </div>
          {household.contacts.length === 0 && <p class="warn-text">{t('call.none')}</p>}
          <ContactList contacts={household.contacts} shown={shown} buttonClass="btn btn-sm" reveal={(id) => void reveal(household.householdId, id)} />
          {openCall ? (
            <button type="button" class="btn btn-lg" data-action="door-call" onClick={openCall}>
              {t('doorContacts.record')} <kbd>C</kbd>
            </button>
          ) : (
            <p class="muted">{t('doorContacts.noAlert')}</p>
          )}
        </div>
      )}
    </section>
  );
}
