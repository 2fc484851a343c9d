import {
  HubAckReply,
  HubAlertList,
  type HubAlertQuery,
  HubChain,
  HubCompoundHistory,
  HubCompoundList,
  HubEscalateReply,
  HubLoginReply,
  HubNote,
  HubStatsReply,
} from '@linli/gateway/contracts/api/hub';
import { HubOneTimePassword, type HubUserCreateBody, HubUserList } from '@linli/gateway/contracts/api/hub-users';
import { z } from 'zod';
import { fetchJson } from '../fetch-json';
import { HubCommandList, HubDoorList, HubDoorOpenReply } from '@linli/gateway/contracts/api/hub-commands';
import { ApiError, apiError, storedSession } from '../stored-session';

/** The duty desk's sign-in, kept in this browser until it expires or the user signs out. */
export type HubSession = HubLoginReply;

const stored = storedSession('linli.hub.session', HubLoginReply);

export { ApiError };
export const session = (): HubSession | null => stored.get();
export const onSession = stored.on;
const setSession = stored.set;

/** Every reply is parsed with the hub's own zod contract before the page uses it. */
async function call<S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown, auth = true): Promise<z.infer<S>> {
  const s = auth ? stored.get() : null;
  const res = await fetchJson(method, path, s?.token ?? null, body);
  if (res.status === 401 && s) setSession(null);
  if (!res.ok) throw apiError(res.status, res.json);
  return schema.parse(res.json);
}

export async function login(username: string, password: string): Promise<void> {
  // Without the current token: a wrong password must not end a sign-in that is still valid.
  setSession(await call(HubLoginReply, 'POST', '/api/hub/auth/login', { username, password }, false));
}

export async function logout(): Promise<void> {
  const s = stored.get();
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
  doors: (compound: string) => call(HubDoorList, 'GET', `/api/hub/compounds/${enc(compound)}/doors`),
  commands: (compound: string) => call(HubCommandList, 'GET', `/api/hub/compounds/${enc(compound)}/commands`),
  openDoor: (compound: string, door: string, reason: string) => call(HubDoorOpenReply, 'POST', `/api/hub/compounds/${enc(compound)}/doors/${enc(door)}/open`, { reason }),
  annotate: (compound: string, alertId: string, body: string) => call(HubNote, 'POST', `/api/hub/compounds/${enc(compound)}/alerts/${enc(alertId)}/notes`, { body }),
  users: () => call(HubUserList, 'GET', '/api/hub/users'),
  createUser: (body: HubUserCreateBody) => call(HubOneTimePassword, 'POST', '/api/hub/users', body),
  resetPassword: (username: string) => call(HubOneTimePassword, 'POST', `/api/hub/users/${enc(username)}/reset-password`),
  setDisabled: (username: string, disabled: boolean) => call(z.null(), 'POST', `/api/hub/users/${enc(username)}/${disabled ? 'disable' : 'enable'}`),
  chain: (compound: string) => call(HubChain, 'GET', `/api/hub/compounds/${enc(compound)}/chain`),
  /** The hub's own alert (小区网关离线) acknowledged at the hub: its escalation ends. */
  ack: (compound: string, alertId: string) => call(HubAckReply, 'POST', `/api/hub/compounds/${enc(compound)}/alerts/${enc(alertId)}/ack`),
  /** A cell's alert sent one level up the hub chain by hand, with the reason the level is told. */
  escalate: (compound: string, alertId: string, reason: string) =>
    call(HubEscalateReply, 'POST', `/api/hub/compounds/${enc(compound)}/alerts/${enc(alertId)}/escalate`, { reason }),
};

/** Changes the signed-in user's password; the sign-in stays, no longer bound to a one-time password. */
export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  await call(z.null(), 'POST', '/api/hub/auth/password', { currentPassword, newPassword });
  const s = stored.get();
  if (s) setSession({ ...s, user: { ...s.user, mustChangePassword: false } });
}
