import { perUser } from '../api/limits';
import { ErrorReply, type Principal } from '../contracts/api/auth';
import type { ResidentRepo } from '../db/resident';
import { AppError } from '../errors';
import type { StreamTickets } from '../live/tickets';
import type { ResidentLive } from './live';

/** What the resident app's routes share (routes.ts builds it once; home-, visit- and live-routes.ts read it). */
export interface ResidentRouteDeps {
  repo: ResidentRepo;
  credentialKey: string;
  qrSigningKey: Buffer;
  linkKey: Buffer;
  tickets: StreamTickets;
  live: ResidentLive;
  now: () => Date;
}

export const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 429: ErrorReply };
export const security = [{ bearer: [] }];
export const notFound = (what: string) => new AppError('NOT_FOUND', `no such ${what}`);
/** A resident's own routes: 60 a minute each. */
export const perMinute = () => perUser(60, 60_000);

/** The caller's household; every resident route reads only through it (object-level authorisation). */
export function householdOf(p: Principal): string {
  if (p.role !== 'resident' || p.householdId === null || p.residentId === null) throw new AppError('FORBIDDEN', 'only residents have a home here');
  return p.householdId;
}
