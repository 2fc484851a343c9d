import type { z } from 'zod';
import { LoginReply, RenewReply, type Principal } from '@linli/gateway/contracts/api/auth';
import { CredentialList, ResidentView } from '@linli/gateway/contracts/api/credentials';
import { PassCreated, PassList, PassView, type PassCreateBody } from '@linli/gateway/contracts/api/passes';
import { ResidentAlarmList, ResidentHome, ResidentTicketReply, VisitLinkReply, VisitView } from '@linli/gateway/contracts/api/resident';
import { ResidentWalkIn, ResidentWalkInList } from '@linli/gateway/contracts/api/walk-ins';
import { PersonalQrIssued } from '@linli/gateway/contracts/api/personal-qr';
import { fetchJson } from '../fetch-json';
import { ApiError, apiError, storedSession } from '../stored-session';

/** The resident's sign-in, kept on the phone (localStorage) until it expires or they sign out. */
export interface MSession {
  token: string;
  expiresAt: string;
  user: Principal;
}

/** The resident's sign-in, kept on the phone until it expires or they sign out. */
const stored = storedSession('linli.m.session', LoginReply);

export { ApiError };
export const session = (): MSession | null => stored.get();
export const onSession = stored.on;
const setSession = stored.set;

/** Every reply is parsed with the gateway's own zod contract before the app uses it. */
export async function call<S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown, auth = true): Promise<z.infer<S>> {
  const s = stored.get();
  const res = await fetchJson(method, path, auth && s ? s.token : null, body);
  if (res.status === 401 && auth) setSession(null);
  if (res.ok && auth && s) void keepAlive(s);
  if (!res.ok) throw apiError(res.status, res.json);
  return schema.parse(res.json);
}

/** While the app is in use, the sign-in slides (POST /auth/renew) at most this often, up to the gateway's hard maximum. */
const RENEW_EVERY_MS = 10 * 60_000;
let lastRenew = 0;

async function keepAlive(s: MSession): Promise<void> {
  const t = Date.now();
  if (t - lastRenew < RENEW_EVERY_MS) return;
  lastRenew = t;
  try {
    const res = await fetch('/api/v1/auth/renew', { method: 'POST', headers: { authorization: `Bearer ${s.token}` } });
    if (!res.ok) return;
    const r = RenewReply.safeParse(await res.json());
    if (r.success && stored.get()?.token === s.token) setSession({ ...s, expiresAt: r.data.expiresAt });
  } catch {
    // Offline: the next call tries again after the interval.
  }
}

export async function login(username: string, password: string): Promise<MSession> {
  const reply = await call(LoginReply, 'POST', '/api/v1/auth/login', { username, password }, false);
  if (reply.user.role !== 'resident' && reply.user.role !== 'grid_worker') {
    // Guards use the guard station; the phone app is for residents and field staff. Sign the token out again at once.
    await fetch('/api/v1/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${reply.token}` } }).catch(() => undefined);
    throw new ApiError(403, 'NOT_RESIDENT', 'not a resident account');
  }
  lastRenew = Date.now();
  setSession(reply);
  return reply;
}

export async function logout(): Promise<void> {
  const s = stored.get();
  setSession(null);
  if (s) await fetch('/api/v1/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${s.token}` } }).catch(() => undefined);
}

const enc = encodeURIComponent;

export const api = {
  home: () => call(ResidentHome, 'GET', '/api/v1/resident/home'),
  passes: () => call(PassList, 'GET', '/api/v1/passes?scope=all'),
  createPass: (body: PassCreateBody) => call(PassCreated, 'POST', '/api/v1/passes', body),
  revoke: (id: string) => call(PassView, 'POST', `/api/v1/passes/${enc(id)}/revoke`),
  visitLink: (id: string, code: string) => call(VisitLinkReply, 'POST', `/api/v1/resident/passes/${enc(id)}/link`, { code }),
  alarms: () => call(ResidentAlarmList, 'GET', '/api/v1/resident/alarms'),
  me: (residentId: string) => call(ResidentView, 'GET', `/api/v1/residents/${enc(residentId)}`),
  credentials: (residentId: string) => call(CredentialList, 'GET', `/api/v1/residents/${enc(residentId)}/credentials`),
  faceConsent: (residentId: string, consent: boolean) => call(ResidentView, 'PUT', `/api/v1/residents/${enc(residentId)}/face-consent`, { consent }),
  changePassword: async (currentPassword: string, newPassword: string) => {
    const s = stored.get();
    const res = await fetch('/api/v1/auth/password', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(s ? { authorization: `Bearer ${s.token}` } : {}) },
      body: JSON.stringify({ currentPassword, newPassword }),
    });
    if (res.status !== 204) {
      throw apiError(res.status, await res.json().catch(() => null));
    }
  },
  ticket: () => call(ResidentTicketReply, 'POST', '/api/v1/resident/live/ticket'),
  visit: (token: string) => call(VisitView, 'POST', '/api/v1/visit', { token }, false),
  walkIns: () => call(ResidentWalkInList, 'GET', '/api/v1/resident/walk-ins'),
  answerWalkIn: (id: string, answer: 'approve' | 'refuse') => call(ResidentWalkIn, 'POST', `/api/v1/resident/walk-ins/${enc(id)}/answer`, { answer }),
  issueQr: (residentId: string) => call(PersonalQrIssued, 'POST', `/api/v1/residents/${enc(residentId)}/personal-qr`),
  removeQr: async (residentId: string) => {
    const s = stored.get();
    const res = await fetch(`/api/v1/residents/${enc(residentId)}/personal-qr`, { method: 'DELETE', headers: s ? { authorization: `Bearer ${s.token}` } : {} });
    if (res.status !== 204) {
      throw apiError(res.status, await res.json().catch(() => null));
    }
  },
};
