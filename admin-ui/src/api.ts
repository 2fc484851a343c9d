import type { z } from 'zod';
import { Alert, AlertDetail, PoliceReply, ResponseTimeReport } from '@linli/gateway/contracts/api/alerts';
import { ErrorReply } from '@linli/gateway/contracts/api/auth';
import { EscalationChain } from '@linli/gateway/contracts/api/escalation';
import { type CallOutcome, DeviceContacts, HouseholdContacts, RevealReply } from '@linli/gateway/contracts/api/contacts';
import { AccessEventList, DoorList, RemoteOpenReply } from '@linli/gateway/contracts/api/doors';
import { ExpectedVisitors, PassCreated, PassView, type WalkInBody } from '@linli/gateway/contracts/api/passes';
import { type WalkInAskBody, WalkInRequestView, type WalkInState } from '@linli/gateway/contracts/api/walk-ins';
import { AccessLog, type AccessLogQuery, DeviceEventList, DeviceStates, SitePlan } from '@linli/gateway/contracts/api/site';
import { fetchJson } from './fetch-json';
import { endSession, session } from './session';

/** A refusal the guard should read (409 someone was first, 400 a missing note): status, code and the gateway's details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
    /** A 400's field issues (`path` is a JSON pointer into the body, e.g. "/timezone"), for errors shown in place. */
    readonly issues: ReadonlyArray<{ path: string; message: string }> = [],
  ) {
    super(message);
  }
}

/** Every reply is parsed with the gateway's own contract: the UI never trusts a shape it did not check. */
export async function call<S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown): Promise<z.infer<S>> {
  const res = await fetchJson(method, path, session.get()?.token ?? null, body);
  const json = res.json;
  if (res.status === 401) {
    // The token expired or was revoked: the board stays, with a sign-in box over it.
    endSession();
  }
  if (!res.ok) {
    const e = ErrorReply.safeParse(json);
    throw new ApiError(res.status, e.success ? e.data.error : 'HTTP', e.success ? e.data.message : `HTTP ${res.status}`, e.success ? e.data.details : undefined, e.success ? (e.data.issues ?? []) : []);
  }
  return schema.parse(json);
}

const qs = (q: Record<string, string | number | undefined>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
};

export const api = {
  alert: (id: string) => call(AlertDetail, 'GET', `/api/v1/alerts/${encodeURIComponent(id)}`),
  acknowledge: (id: string, note?: string) => call(Alert, 'POST', `/api/v1/alerts/${encodeURIComponent(id)}/acknowledge`, note ? { note } : {}),
  clear: (id: string, note: string) => call(Alert, 'POST', `/api/v1/alerts/${encodeURIComponent(id)}/clear`, { note }),
  onSite: (id: string, note?: string, lateReason?: string) =>
    call(Alert, 'POST', `/api/v1/alerts/${encodeURIComponent(id)}/on-site`, { ...(note ? { note } : {}), ...(lateReason ? { lateReason } : {}) }),
  deviceContacts: (deviceId: string) => call(DeviceContacts, 'GET', `/api/v1/devices/${encodeURIComponent(deviceId)}/contacts`),
  contacts: (householdId: string) => call(HouseholdContacts, 'GET', `/api/v1/households/${encodeURIComponent(householdId)}/contacts`),
  revealPhone: (householdId: string, contactId: string, alertId?: string) =>
    call(RevealReply, 'POST', `/api/v1/households/${encodeURIComponent(householdId)}/contacts/${encodeURIComponent(contactId)}/phone`, alertId ? { alertId } : {}),
  recordCall: (alertId: string, contactId: string, outcome: CallOutcome) => call(Alert, 'POST', `/api/v1/alerts/${encodeURIComponent(alertId)}/call`, { contactId, outcome }),
  police: (alertId: string) => call(PoliceReply, 'POST', `/api/v1/alerts/${encodeURIComponent(alertId)}/police`),
  escalationChain: () => call(EscalationChain, 'GET', '/api/v1/alerts/escalation-chain'),
  responseTimes: (from: string, to: string) => call(ResponseTimeReport, 'GET', `/api/v1/alerts/report/response-times${qs({ from, to })}`),
  site: (communityId?: string) => call(SitePlan, 'GET', `/api/v1/site${qs({ communityId })}`),
  deviceStates: () => call(DeviceStates, 'GET', '/api/v1/devices/states'),
  deviceEvents: (id: string, limit = 15) => call(DeviceEventList, 'GET', `/api/v1/devices/${encodeURIComponent(id)}/events${qs({ limit })}`),
  accessEvents: (deviceId: string, limit = 10) => call(AccessEventList, 'GET', `/api/v1/access-events${qs({ deviceId, limit })}`),
  accessLog: (q: Partial<AccessLogQuery>) => call(AccessLog, 'GET', `/api/v1/access-log${qs({ ...q })}`),
  doors: () => call(DoorList, 'GET', '/api/v1/doors'),
  openDoor: (deviceId: string, reason: string) => call(RemoteOpenReply, 'POST', `/api/v1/doors/${encodeURIComponent(deviceId)}/open`, { reason }),
  expectedVisitors: (date?: string) => call(ExpectedVisitors, 'GET', `/api/v1/visitors/expected${qs({ date })}`),
  walkIn: (body: WalkInBody) => call(PassCreated, 'POST', '/api/v1/visitors/walk-in', body),
  askWalkIn: (body: WalkInAskBody) => call(WalkInRequestView, 'POST', '/api/v1/visitors/walk-in/requests', body),
  /** A long poll: answers as soon as the request is no longer in `unlessState` (or after waitSec). */
  walkInRequest: (id: string, unlessState: WalkInState, waitSec: number) =>
    call(WalkInRequestView, 'GET', `/api/v1/visitors/walk-in/requests/${encodeURIComponent(id)}?unlessState=${unlessState}&waitSec=${waitSec}`),
  walkInPass: (id: string) => call(PassCreated, 'POST', `/api/v1/visitors/walk-in/requests/${encodeURIComponent(id)}/pass`, {}),
  revokePass: (id: string) => call(PassView, 'POST', `/api/v1/passes/${encodeURIComponent(id)}/revoke`, {}),
};
