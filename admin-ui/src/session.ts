import { LoginReply, type Principal, RenewReply } from '@linli/gateway/contracts/api/auth';
import { StationView, ThisStation } from '@linli/gateway/contracts/api/station';
import { createStore } from './store';

export interface Session {
  token: string;
  expiresAt: string;
  user: Principal;
}

const KEY = 'linli.session';

function load(): Session | null {
  try {
    const parsed = LoginReply.safeParse(JSON.parse(sessionStorage.getItem(KEY) ?? 'null'));
    if (!parsed.success || Date.parse(parsed.data.expiresAt) <= Date.now()) return null;
    return parsed.data;
  } catch {
    return null;
  }
}

/**
 * The signed-in guard. Kept in sessionStorage: it survives a reload of the board (a guard must not be logged out
 * by an accidental F5 at 3 a.m.) but not the browser being closed on a shared guard-room PC.
 */
export const session = createStore<Session | null>(load());
session.subscribe((s) => {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
});

/**
 * The sign-in ended by itself (expired, revoked, the shift's maximum reached) rather than by the logout button. The
 * board then stays on screen with a sign-in box over it, and the link counts as down (its tone sounds) until a guard
 * signs in again — never a bare login form that hides the alarms and goes quiet.
 */
export const ended = createStore<boolean>(false);

/** The latest this sign-in can be renewed to (from the gateway's renew answer; null until the first one). */
export const hardExpiry = createStore<string | null>(null);

/** The guard asked to sign in again before the sign-in ends (the expiry warning's button). */
export const reloginAsked = createStore<boolean>(false);

export function endSession(): void {
  if (!session.get()) return;
  ended.set(true);
  session.set(null);
}

/** Renew no more often than this, and at least this often (ms). */
const RENEW_MIN_MS = 5_000;
const RENEW_MAX_MS = 5 * 60_000;
let renewTimer: ReturnType<typeof setTimeout> | null = null;

async function renewOnce(): Promise<void> {
  const s = session.get();
  if (!s) return;
  let res: Response;
  try {
    res = await fetch('/api/v1/auth/renew', { method: 'POST', headers: { authorization: `Bearer ${s.token}` } });
  } catch {
    return; // gateway unreachable: the live link says so; try again at the next turn
  }
  if (session.get()?.token !== s.token) return;
  if (res.status === 401) {
    endSession();
    return;
  }
  if (!res.ok) return;
  const r = RenewReply.safeParse(await res.json());
  if (!r.success) return;
  hardExpiry.set(r.data.hardExpiresAt);
  if (r.data.expiresAt !== s.expiresAt) session.set({ ...s, expiresAt: r.data.expiresAt });
}

/**
 * While the guard station is open it is in use: the sign-in is renewed (sliding expiry) at a third of the time it
 * has left, between 5 s and 5 min, until the gateway's per-shift maximum. Independent of the live stream's own
 * authentication.
 */
export function startRenewal(): () => void {
  let stopped = false;
  const turn = async () => {
    await renewOnce();
    if (stopped) return;
    const s = session.get();
    if (!s) return;
    const left = Date.parse(s.expiresAt) - Date.now();
    renewTimer = setTimeout(() => void turn(), Math.min(RENEW_MAX_MS, Math.max(RENEW_MIN_MS, left / 3)));
  };
  void turn();
  return () => {
    stopped = true;
    if (renewTimer) clearTimeout(renewTimer);
    renewTimer = null;
  };
}

/** Ends the sign-in on this screen when its expiry passes (the gateway would refuse it from then on). */
export function expiryWatch(): () => void {
  const t = setInterval(() => {
    const s = session.get();
    if (s && Date.parse(s.expiresAt) <= Date.now()) endSession();
  }, 1_000);
  return () => clearInterval(t);
}

/** `locked`: too many wrong PINs in a row; `not_station`: PIN sign-in on a browser that is not (or no longer) a station. */
export type LoginOutcome = { ok: true } | { ok: false; reason: 'wrong' | 'busy' | 'network' | 'not_staff' | 'locked' | 'not_station' };

export function login(username: string, password: string): Promise<LoginOutcome> {
  return signIn('/api/v1/auth/login', { username, password });
}

/** A guard's PIN sign-in: only on a registered guard station (the station cookie goes along by itself). */
export function pinLogin(username: string, pin: string): Promise<LoginOutcome> {
  return signIn('/api/v1/auth/pin-login', { username, pin });
}

async function signIn(path: string, body: Record<string, string>): Promise<LoginOutcome> {
  let res: Response;
  try {
    res = await fetch(path, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch {
    return { ok: false, reason: 'network' };
  }
  if (res.status === 401) return { ok: false, reason: 'wrong' };
  if (res.status === 403 && 'pin' in body) {
    void loadStation();
    return { ok: false, reason: 'not_station' };
  }
  if (res.status === 429) return { ok: false, reason: 'pin' in body ? 'locked' : 'busy' };
  if (!res.ok) return { ok: false, reason: 'network' };
  const reply = LoginReply.parse(await res.json());
  // This screen is the guard station and the administration: residents and grid workers have their own apps.
  if (reply.user.role === 'resident' || reply.user.role === 'grid_worker') return { ok: false, reason: 'not_staff' };
  hardExpiry.set(null);
  ended.set(false);
  reloginAsked.set(false);
  session.set(reply);
  return { ok: true };
}

export function logout(): void {
  const s = session.get();
  if (s) void fetch('/api/v1/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${s.token}` } }).catch(() => undefined);
  ended.set(false);
  session.set(null);
}

/**
 * Whether this browser is a registered guard station (docs/security.md, "Guard stations"). Its token is an httpOnly
 * cookie no script can read, so the gateway is asked. Null until the first answer.
 */
export const station = createStore<ThisStation | null>(null);

export async function loadStation(): Promise<void> {
  try {
    const res = await fetch('/api/v1/station', { credentials: 'same-origin' });
    if (!res.ok) return;
    const parsed = ThisStation.safeParse(await res.json());
    if (parsed.success) station.set(parsed.data);
  } catch {
    // unreachable gateway: keep what is known
  }
}

/** An admin registers this browser as a guard station: the gateway answers with the station cookie. */
export async function registerStation(name: string): Promise<StationView | null> {
  const s = session.get();
  if (!s) return null;
  const res = await fetch('/api/v1/stations', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (!res.ok) return null;
  const view = StationView.parse(await res.json());
  await loadStation();
  return view;
}

/** A guard sets their own PIN, confirming the password. */
export async function setOwnPin(password: string, pin: string): Promise<'ok' | 'wrong_password' | 'weak' | 'error'> {
  const s = session.get();
  if (!s) return 'error';
  const res = await fetch('/api/v1/auth/pin', {
    method: 'PUT',
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ password, pin }),
  }).catch(() => null);
  if (!res) return 'error';
  if (res.status === 204) return 'ok';
  if (res.status === 403) return 'wrong_password';
  if (res.status === 400) return 'weak';
  return 'error';
}
