import type { ContactBody, ContactPatch } from '../contracts/api/admin';
import type { AdminResidentView, MoveOutBody, PaperConsentBody } from '../contracts/api/admin-people';
import type { Principal } from '../contracts/api/auth';
import type { Actor, Outcome } from '../db/master-data';
import { AppError } from '../errors';
import type { Logger } from '../log';
import { actorOf, scopeOf } from './scope';

/** What a change must reach before its reply goes out: the door directory and the alert engine's routing/places. */
export interface LiveTargets {
  /** Re-reads the access directory and resends the doors' credential sets (access feature). */
  reloadAccess(): Promise<void>;
  /** Re-reads one resident and their credentials, and resends the doors that concern them (access feature). */
  refreshResident(id: string): Promise<void>;
  /** Re-reads escalation routing and cached places (alerts feature). */
  reloadAlerts(): Promise<void>;
}

/** An expected refusal from db/ as the one coded error the HTTP error handler turns into a reply. */
export function unwrap<T>(o: Outcome<T>): T {
  if (o.ok) return o.value;
  switch (o.code) {
    case 'NOT_FOUND':
      throw new AppError('NOT_FOUND', o.message);
    case 'VALIDATION':
      throw new AppError('VALIDATION', o.message, { issues: [{ path: o.path, message: o.message }] });
    case 'CONFLICT':
      throw new AppError('CONFLICT', o.message, o.referencedBy ? { details: { referencedBy: o.referencedBy } } : {});
  }
}

export function actorFor(p: Principal, now: Date): Actor {
  return { actor: actorOf(p), scope: scopeOf(p), at: now };
}

/**
 * Every change takes effect before its reply: the doors' credential sets and the in-memory directory (a deactivated
 * household's residents are refused at once), and the alert engine's routing. A refresh that fails leaves the change
 * committed and is logged as an error (the next change or a restart catches up).
 */
export function liveEffects(targets: LiveTargets, log: Logger) {
  const run = async (what: 'access' | 'alerts', f: () => Promise<void>) => {
    // Each refresh is awaited before the reply: the caller's next request (and the door's) sees the change.
    try {
      await f();
    } catch (err) {
      log.error({ err, what }, 'master data changed but the live refresh failed; doors or routing may be stale until the next change');
    }
  };
  return {
    /** Places, households and residents: both the doors and the alert engine. */
    async everything(): Promise<void> {
      await run('access', targets.reloadAccess);
      await run('alerts', targets.reloadAlerts);
    },
    /** One resident changed: only their record and credentials, only the doors that concern them. */
    async resident(id: string): Promise<void> {
      await run('access', () => targets.refreshResident(id));
    },
    async routing(): Promise<void> {
      await run('alerts', targets.reloadAlerts);
    },
  };
}

/** Checks of a contact that need the configuration: the level must exist in the chain, a webhook needs the secret. */
export function checkContact(body: ContactBody | ContactPatch, chainLength: number, webhookSecret: boolean): void {
  if (body.level !== undefined && body.level >= chainLength) {
    throw new AppError('VALIDATION', `level ${body.level} is beyond the escalation chain (levels 1-${chainLength - 1}, ESCALATION_CHAIN)`, {
      issues: [{ path: '/level', message: `at most ${chainLength - 1}` }],
    });
  }
  if (body.webhookUrl !== undefined && body.webhookUrl !== null && !webhookSecret) {
    throw new AppError('VALIDATION', 'webhooks are signed: set WEBHOOK_SECRET before storing a webhook URL', { issues: [{ path: '/webhookUrl', message: 'WEBHOOK_SECRET is not configured' }] });
  }
}

/** A move-out date may not lie in the future (the doors stop at once; a planned move-out is not modelled). */
export function moveOutAt(body: MoveOutBody, now: Date): Date {
  if (body.at === undefined) return now;
  const at = new Date(body.at);
  if (at.getTime() > now.getTime() + 60_000) throw new AppError('VALIDATION', 'the move-out cannot be in the future', { issues: [{ path: '/at', message: 'not after now' }] });
  return at;
}

export type ConsentResult = { view: AdminResidentView; deleted: string[] };
export type { PaperConsentBody };
