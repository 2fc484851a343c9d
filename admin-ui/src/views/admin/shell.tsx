import type { Role } from '@linli/gateway/contracts';
import { type MessageKey, useT } from '../../i18n';
import { Link } from '../../router';
import { useStore } from '../../store';
import { session } from '../../session';
import { ChangePassword } from './ChangePassword';
import { GridWorkers } from './GridWorkers';
import { MasterData } from './MasterData';
import { Provisioning } from './Provisioning';
import { Setup } from './Setup';
import { SitePlanEditor } from './SitePlanEditor';
import { Stations } from './Stations';
import { Transfer } from './Transfer';
import { Users } from './Users';

/** The guard station (board, map, log, visitors, devices, statistics): guards and admins. */
export const isStation = (role: Role) => role === 'guard' || role === 'admin';

/** Administration pages and who sees them: a guard never; an admin all; a property manager setup and devices. */
const ADMIN_PAGES: Array<{ sub: string; label: MessageKey; roles: readonly Role[] }> = [
  { sub: 'setup', label: 'nav.setup', roles: ['admin', 'property_manager'] },
  { sub: 'users', label: 'nav.users', roles: ['admin'] },
  { sub: 'devices', label: 'nav.provisioning', roles: ['admin', 'property_manager'] },
  { sub: 'siteplan', label: 'nav.sitePlan', roles: ['admin', 'property_manager'] },
  { sub: 'stations', label: 'nav.stations', roles: ['admin'] },
  { sub: 'data', label: 'nav.data', roles: ['admin'] },
  { sub: 'transfer', label: 'nav.transfer', roles: ['admin', 'property_manager'] },
  { sub: 'grid-workers', label: 'nav.gridWorkers', roles: ['admin'] },
];

const allowed = (role: Role, sub: string) => ADMIN_PAGES.some((p) => p.sub === sub && p.roles.includes(role)) || sub === 'password';

/** The administration links of the header, for the roles that may see them. */
export function adminNav(role: Role, active: string | null) {
  return <AdminNav role={role} active={active} />;
}

function AdminNav({ role, active }: { role: Role; active: string | null }) {
  const t = useT();
  const pages = ADMIN_PAGES.filter((p) => p.roles.includes(role));
  if (pages.length === 0) return null;
  return (
    <span class="nav-admin" data-nav-group="admin">
      <span class="nav-sep" aria-hidden="true" />
      {pages.map((p) => (
        <Link key={p.sub} href={`/admin/${p.sub}`} class={`nav-link ${active === p.sub ? 'active' : ''}`} aria-current={active === p.sub ? 'page' : undefined} data-nav={`/admin/${p.sub}`}>
          {t(p.label)}
        </Link>
      ))}
    </span>
  );
}

/** /admin/<sub>: the page, if this role may see it; otherwise the setup checklist or nothing. */
export function AdminPage({ sub }: { sub: string }) {
  const s = useStore(session);
  if (!s) return null;
  const role = s.user.role;
  const page = allowed(role, sub) ? sub : allowed(role, 'setup') ? 'setup' : null;
  switch (page) {
    case 'users':
      return <Users />;
    case 'devices':
      return <Provisioning />;
    case 'siteplan':
      return <SitePlanEditor />;
    case 'stations':
      return <Stations />;
    case 'data':
      return <MasterData />;
    case 'transfer':
      return <Transfer />;
    case 'grid-workers':
      return <GridWorkers />;
    case 'password':
      return <ChangePassword forced={false} />;
    case 'setup':
      return <Setup />;
    case null:
    default:
      return null;
  }
}
