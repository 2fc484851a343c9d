import { LoginReply, type Principal } from '@linli/gateway/contracts/api/auth';
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

export type LoginOutcome = { ok: true } | { ok: false; reason: 'wrong' | 'busy' | 'network' | 'not_staff' };

export async function login(username: string, password: string): Promise<LoginOutcome> {
  let res: Response;
  try {
    res = await fetch('/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  } catch {
    return { ok: false, reason: 'network' };
  }
  if (res.status === 401) return { ok: false, reason: 'wrong' };
  if (res.status === 429) return { ok: false, reason: 'busy' };
  if (!res.ok) return { ok: false, reason: 'network' };
  const reply = LoginReply.parse(await res.json());
  if (reply.user.role === 'resident') return { ok: false, reason: 'not_staff' };
  session.set(reply);
  return { ok: true };
}

export function logout(): void {
  const s = session.get();
  if (s) void fetch('/api/v1/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${s.token}` } }).catch(() => undefined);
  session.set(null);
}
