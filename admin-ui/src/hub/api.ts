import type { z } from 'zod';
import { ErrorReply } from '@linli/gateway/contracts/api/auth';
import {
  HubAlertList,
  type HubAlertQuery,
  HubCompoundHistory,
  HubCompoundList,
  HubLoginReply,
  HubNote,
  HubStatsReply,
} from '@linli/gateway/contracts/api/hub';

/** The duty desk's sign-in, kept in this browser until it expires or the user signs out. */
export type HubSession = HubLoginReply;

const KEY = 'linli.hub.session';

function load(): HubSession | null {
  try {
    const parsed = HubLoginReply.safeParse(JSON.parse(localStorage.getItem(KEY) ?? 'null'));
    return parsed.success && Date.parse(parsed.data.expiresAt) > Date.now() ? parsed.data : null;
  } catch {
    return null;
  }
}

let current: HubSession | null = load();
const listeners = new Set<() => void>();

export const session = () => current;
export function onSession(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
function setSession(s: HubSession | null) {
  current = s;
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
  for (const fn of listeners) fn();
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Every reply is parsed with the hub's own zod contract before the page uses it. */
async function call<S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown): Promise<z.infer<S>> {
  const s = current;
  const res = await fetch(path, {
    method,
    headers: { ...(s ? { authorization: `Bearer ${s.token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const json: unknown = text === '' ? null : JSON.parse(text);
  if (res.status === 401 && s) setSession(null);
  if (!res.ok) {
    const e = ErrorReply.safeParse(json);
    throw new ApiError(res.status, e.success ? e.data.error : 'HTTP', e.success ? e.data.message : `HTTP ${res.status}`);
  }
  return schema.parse(json);
}

export async function login(username: string, password: string): Promise<void> {
  const s = current;
  current = null;
  try {
    setSession(await call(HubLoginReply, 'POST', '/api/hub/auth/login', { username, password }));
  } catch (err) {
    current = s;
    throw err;
  }
}

export async function logout(): Promise<void> {
  const s = current;
  if (s) await fetch('/api/hub/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${s.token}` } }).catch(() => undefined);
  setSession(null);
}

const enc = encodeURIComponent;

function query(q: HubAlertQuery): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

export const api = {
  compounds: () => call(HubCompoundList, 'GET', '/api/hub/compounds'),
  alerts: (q: HubAlertQuery) => call(HubAlertList, 'GET', `/api/hub/alerts${query(q)}`),
  stats: (days: number) => call(HubStatsReply, 'GET', `/api/hub/stats?days=${days}`),
  history: (compound: string) => call(HubCompoundHistory, 'GET', `/api/hub/compounds/${enc(compound)}/alerts`),
  annotate: (compound: string, alertId: string, body: string) => call(HubNote, 'POST', `/api/hub/compounds/${enc(compound)}/alerts/${enc(alertId)}/notes`, { body }),
};
