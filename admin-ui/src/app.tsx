import { useEffect } from 'preact/hooks';
import { Dialogs, Toasts } from './components/Dialogs';
import { ExpiryWarning, LinkDownOverlay, LinkIndicator } from './components/LinkBanner';
import { StationControl } from './components/Station';
import { doorCall } from './components/DoorContacts';
import { DisplayPrefs } from './components/DisplayPrefs';
import { Takeover } from './components/Takeover';
import { useNow } from './hooks';
import { type MessageKey, useT } from './i18n';
import { board, isEmergency, startBoard, stopBoard } from './live/board';
import { applyPrefs } from './prefs';
import { Link, navigate, usePath } from './router';
import { endSession, ended, expiryWatch, loadStation, logout, reloginAsked, session, startRenewal, station } from './session';
import { siren } from './siren';
import { useStore } from './store';
import { acknowledge, dialog } from './ui-state';
import { AccessLogView } from './views/AccessLog';
import { Board, boardKeys } from './views/Board';
import { Devices } from './views/Devices';
import { Login } from './views/Login';
import { SitePlanView } from './views/SitePlan';
import { Stats } from './views/Stats';
import { Visitors } from './views/Visitors';
import { clock } from './format';
import { AdminPage, adminNav, isStation } from './views/admin/shell';
import { sitePlan } from './site-data';
import { ChangePassword } from './views/admin/ChangePassword';

const NAV: Array<{ path: string; label: MessageKey }> = [
  { path: '/', label: 'nav.board' },
  { path: '/map', label: 'nav.map' },
  { path: '/log', label: 'nav.log' },
  { path: '/visitors', label: 'nav.visitors' },
  { path: '/devices', label: 'nav.devices' },
  { path: '/stats', label: 'nav.stats' },
];

export function App() {
  const s = useStore(session);
  const gone = useStore(ended);
  const asked = useStore(reloginAsked);
  const st = useStore(station);
  const liveMode = useStore(board).mode;
  useEffect(() => void loadStation(), []);
  // The staff board runs for the guard station's roles only, and not while a one-time password must be changed.
  // Signed out after a sign-in ended, on a registered guard station: the read-only board (docs/security.md, "Guard
  // stations") — new alarms still take over the screen and sound.
  const staffBoard = s !== null && isStation(s.user.role) && !s.user.mustChangePassword;
  const mode = s !== null ? (staffBoard ? `staff:${s.token}` : 'none') : gone && st?.registered === true ? 'board' : 'none';
  useEffect(() => {
    if (mode.startsWith('staff:')) {
      startBoard(endSession);
      const stopRenewal = startRenewal();
      const stopWatch = expiryWatch();
      return () => {
        stopRenewal();
        stopWatch();
        stopBoard(ended.get());
      };
    }
    if (mode !== 'board') return;
    // Refused (the station was revoked): the board freezes, and the station state is asked again.
    startBoard(() => {
      stopBoard(true);
      void loadStation();
    }, 'board');
    return () => stopBoard(true);
  }, [mode]);
  // Re-evaluate the automatic theme every minute (night falls during a shift).
  useEffect(() => {
    const t = setInterval(() => applyPrefs(), 60_000);
    return () => clearInterval(t);
  }, []);
  if (!s && !gone) return <Login />;
  if (s?.user.mustChangePassword) return <ChangePassword forced done={() => navigate(s.user.role === 'admin' || s.user.role === 'property_manager' ? '/admin/setup' : '/', { replace: true })} />;
  return (
    <>
      <Shell />
      {(!s || asked) && (
        // On a station's read-only board the box docks at the bottom, so a new alarm's place stays readable above it.
        <div class={`relogin ${!s && liveMode === 'board' ? 'relogin-dock' : ''}`} data-testid="relogin">
          <Login overlay />
        </div>
      )}
    </>
  );
}

function Shell() {
  const segs = usePath();
  const role = useStore(session)?.user.role;
  // Signed out (the session ended): the guard board stays on screen under the sign-in box.
  const station = role === undefined || isStation(role);
  const page = segs[0] ?? (station ? '' : 'admin');
  useGlobalKeys(station ? page : 'admin');
  // The compound's time zone for every time shown (format.ts) comes with the site plan: read it whatever page opens first.
  useEffect(() => {
    if (role !== undefined && isStation(role)) void sitePlan().catch(() => undefined);
  }, [role]);
  return (
    <div class="shell">
      <SoundBar />
      <Header page={page} />
      <main class="content">
        {page === 'admin' || !station ? (
          <AdminPage sub={segs[1] ?? 'setup'} />
        ) : page === 'map' ? (
          <SitePlanView focus={segs[1] ?? null} />
        ) : page === 'log' ? (
          <AccessLogView />
        ) : page === 'visitors' ? (
          <Visitors />
        ) : page === 'devices' ? (
          <Devices />
        ) : page === 'stats' ? (
          <Stats />
        ) : (
          <Board />
        )}
      </main>
      {station && <LinkDownOverlay />}
      {station && <Takeover />}
      <ExpiryWarning />
      <Dialogs />
      <Toasts />
    </div>
  );
}

function useGlobalKeys(page: string) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // Any key is a user gesture: the siren may sound from now on.
      siren.unlock();
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const d = dialog.get();
      if (d) {
        if (e.key === 'Escape') dialog.set(null);
        return;
      }
      const target = e.target instanceof HTMLElement ? e.target : null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT')) return;
      const alerts = board.get().alerts;
      const emergency = alerts.find(isEmergency);
      // A signed-out station's read-only board has nothing to act with: the keys go to the sign-in box.
      if (emergency && board.get().mode !== 'board') {
        // The takeover covers everything: Enter or A acknowledges what it shows, N adds a note.
        if (e.key === 'Enter' || e.key === 'a' || e.key === 'A') {
          e.preventDefault();
          void acknowledge(emergency, undefined, 'takeover');
        } else if (e.key === 'n' || e.key === 'N') {
          e.preventDefault();
          dialog.set({ kind: 'ack', alert: emergency, from: 'takeover' });
        } else if (e.key === 'r' || e.key === 'R') {
          // R while the takeover still shows (the acknowledgement is on its way, or the guard resets at once):
          // the reset dialog for the very alert on screen, never the card selected before. Digits do nothing here.
          e.preventDefault();
          dialog.set({ kind: 'clear', alert: emergency });
        }
        return;
      }
      if (e.key === '?') {
        dialog.set({ kind: 'help' });
        return;
      }
      const n = Number(e.key);
      if (Number.isInteger(n) && n >= 1 && n <= NAV.length) {
        navigate(NAV[n - 1]?.path ?? '/');
        return;
      }
      if (page === '' && boardKeys(e, alerts)) e.preventDefault();
      // On the map, C calls from the open door panel (its alert, the household picked there).
      const doorCallNow = page === 'map' && (e.key === 'c' || e.key === 'C') ? doorCall.get() : null;
      if (doorCallNow) {
        e.preventDefault();
        doorCallNow();
      }
    };
    const onPointer = () => siren.unlock();
    window.addEventListener('keydown', onKey);
    window.addEventListener('pointerdown', onPointer);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('pointerdown', onPointer);
    };
  }, [page]);
}

/**
 * Until the browser allows sound (a page reloaded at night has had no click yet), a bar across the top of the screen,
 * over the takeover and every overlay, asks for one click: a siren that cannot play must never go unnoticed.
 */
function SoundBar() {
  const t = useT();
  const sound = useStore(siren.state);
  if (sound.unlocked) return null;
  return (
    <button class="sound-bar" data-testid="sound-bar" onClick={() => siren.unlock()}>
      {t('sound.enable')}
    </button>
  );
}

function Header({ page }: { page: string }) {
  const t = useT();
  const s = useStore(session);
  const { alerts } = useStore(board);
  const now = useNow(1_000);
  const sub = usePath()[1] ?? 'setup';
  const open = alerts.filter((a) => a.status === 'open').length;
  return (
    <header class="topbar">
      <div class="brand">
        <span class="brand-mark">{t('app.brand')}</span>
        <span class="brand-title">{t('app.title')}</span>
      </div>
      <nav class="nav">
        {(s !== null && isStation(s.user.role) ? NAV : []).map((n, i) => {
          const active = (n.path === '/' ? '' : n.path.slice(1)) === page;
          return (
            <Link key={n.path} href={n.path} class={`nav-link ${active ? 'active' : ''}`} aria-current={active ? 'page' : undefined} data-nav={n.path}>
              <kbd class="nav-key">{i + 1}</kbd>
              {t(n.label)}
              {n.path === '/' && open > 0 && <span class="badge">{open}</span>}
            </Link>
          );
        })}
        {s !== null && adminNav(s.user.role, page === 'admin' ? sub : null)}
      </nav>
      <div class="topbar-right">
        {(s === null || isStation(s.user.role)) && <LinkIndicator />}
        <span class="clock" aria-label="time">
          {clock(now)}
        </span>
        <DisplayPrefs />
        <StationControl />
        <span class="user">{s?.user.displayName}</span>
        <button class="btn btn-sm" onClick={logout}>
          {t('user.logout')}
        </button>
      </div>
    </header>
  );
}
