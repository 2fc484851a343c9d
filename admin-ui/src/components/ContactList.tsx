import type { HouseholdContact } from '@linli/gateway/contracts/api/contacts';
import { useT } from '../i18n';

/**
 * A household's contacts as the guard sees them, in the call dialog and in a door's panel on the map: the name and
 * number masked; 显示号码 shows one full number (the gateway audits it) as a tel: link. `picked` marks the contact
 * the call dialog records the outcome for (the door panel picks none).
 */
export function ContactList(props: { contacts: HouseholdContact[]; shown: Record<string, string>; reveal: (contactId: string) => void; buttonClass: string; picked?: string | null }) {
  const t = useT();
  const { shown } = props;
  return (
    <ul class="contacts">
      {props.contacts.map((c) => (
        <li key={c.id} class={props.picked === undefined ? 'contact' : `contact ${c.id === props.picked ? 'picked' : ''}`} data-contact={c.id}>
          <span class="contact-name">{c.name}</span>
          {shown[c.id] ? (
            <a class="tel-link" href={`tel:${shown[c.id]}`} data-testid="tel-link">
              {shown[c.id]}
            </a>
          ) : (
            <span class="contact-phone">{c.phoneMasked ?? t('call.noPhone')}</span>
          )}
          {c.hasPhone && !shown[c.id] && (
            <button type="button" class={props.buttonClass} data-action="reveal" onClick={() => props.reveal(c.id)}>
              {t('call.reveal')}
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
