import type { Broker } from '../broker';
import type { Bus } from '../bus';
import type { Principal } from '../contracts/api/auth';
import type { AccessRepo } from '../db/access';
import type { CredentialRepo } from '../db/credentials';
import type { PassRepo } from '../db/passes';
import { AppError } from '../errors';
import type { Logger } from '../log';
import type { DecideSettings } from './decide';
import type { Directory } from './directory';
import type { MonitorSettings } from './monitor';
import type { Keys } from './resolve';
import type { KeypadSettings } from './state';

export interface AccessSettings extends DecideSettings, MonitorSettings {
  keypad: KeypadSettings;
  passbackResetMs: number;
  passMaxValidityMs: number;
  passMaxAdvanceMs: number;
  /** Passes one user may create per hour; requests refused as invalid do not count. */
  passesPerHour: number;
  /** The compound's IANA zone (Community.timezone, re-read with the directory): "today" for the guard's visitor list. */
  timezone: string;
}

/** What the access services share. Built once by createAccessFeature. */
export interface AccessContext {
  dir: Directory;
  keys: Keys;
  settings: AccessSettings;
  repos: { access: AccessRepo; passes: PassRepo; credentials: CredentialRepo };
  broker: Pick<Broker, 'publishTo' | 'isConnected'>;
  bus: Bus;
  log: Logger;
  now: () => Date;
  /** The credential sets of these doors changed: resend them (debounced). */
  changed: (doorIds: Iterable<string>) => void;
}

/** How a person appears in the audit log. */
export { actorOf } from '../api/auth';

/**
 * Object-level authorisation (OWASP API1): a resident sees and changes only what belongs to their own household.
 * Anything else answers 404, exactly like an id that does not exist, so ids cannot be probed. Staff see everything.
 */
export function assertVisible(p: Principal, householdId: string, what: string): void {
  if (p.role === 'resident' && p.householdId !== householdId) throw new AppError('NOT_FOUND', `no such ${what}`);
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `no such ${what}`);

/** Doors whose credential set includes this resident's: the perimeter and their own building's unit doors. */
export function doorsOfResident(dir: Directory, residentId: string): string[] {
  const r = dir.residents.get(residentId);
  const building = r ? dir.households.get(r.householdId)?.buildingId : undefined;
  return dir
    .accessDoors()
    .filter((d) => d.placeKind === 'main_gate' || d.placeKind === 'vehicle_gate' || (d.placeKind === 'unit_door' && d.buildingId === building))
    .map((d) => d.id);
}
