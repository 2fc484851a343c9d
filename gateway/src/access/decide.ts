import type { AccessReason, CredentialType, PlaceKind } from '../contracts';
import { maskName } from '../contracts/mask';
import type { CredentialRecord, DoorRecord, HouseholdRecord, PassRecord, ResidentRecord } from '../db/records/access';

/** Place kinds where a door decides on entry to the whole compound (anti-passback applies there). */
export const PERIMETER: ReadonlySet<PlaceKind> = new Set(['main_gate', 'vehicle_gate']);

export interface DecideSettings {
  antiPassback: boolean;
  plateMinConfidence: number;
}

/** Who the presented credential belongs to, as the directory resolved it. */
export type Subject =
  | { kind: 'resident'; resident: ResidentRecord; household: HouseholdRecord | undefined; credential: CredentialRecord }
  | { kind: 'pass'; pass: PassRecord }
  | { kind: 'none' };

export interface AccessAttempt {
  /** undefined: the device is not a known access door. */
  door: DoorRecord | undefined;
  credentialType: CredentialType;
  direction: 'in' | 'out';
  subject: Subject;
  blacklisted: boolean;
  /** Plate reads only: the camera's confidence. */
  confidence?: number;
  /** This door's keypad is locked after too many wrong codes. */
  keypadLocked: boolean;
  /** Anti-passback: the credential's last remembered direction through the perimeter. */
  lastPerimeterDirection: 'in' | 'out' | null;
}

export interface Decision {
  decision: 'grant' | 'deny';
  reason: AccessReason;
  displayName?: string;
  residentId: string | null;
  householdId: string | null;
  passId: string | null;
  /** A visitor's entry: uses one of the pass's entries. */
  countsEntry: boolean;
  /** A keypad code or QR that matched nothing: counts toward the door's keypad lockout. */
  wrongCode: boolean;
}

const KEYPAD: ReadonlySet<CredentialType> = new Set(['pin', 'qr']);

/**
 * The door rules, as one pure function of what the directory knows, the door's state and the time (no I/O, no
 * clock). The first rule that refuses wins; its reason is what the terminal shows and what the access event records.
 *
 * - Leaving ('out') is always granted to a known, non-blacklisted credential: nobody is trapped inside (fire egress),
 *   and exits never use a visitor's entries.
 * - Residents may enter through the perimeter (main gate, vehicle gate) and the unit doors of their own building.
 * - A visitor pass opens only its allowed doors, within its window, while entries remain; each entry counts.
 */
export function decide(a: AccessAttempt, now: Date, s: DecideSettings): Decision {
  const who = identify(a.subject);
  const deny = (reason: AccessReason, extra: Partial<Decision> = {}): Decision => ({ decision: 'deny', reason, ...who, countsEntry: false, wrongCode: false, ...extra });
  const door = a.door;
  if (!door || !door.enabled) return deny('not_allowed_here');
  if (a.credentialType === 'plate' && a.confidence !== undefined && a.confidence < s.plateMinConfidence) return deny('low_confidence');
  if (a.blacklisted) return deny('blacklisted');
  if (KEYPAD.has(a.credentialType) && a.keypadLocked) return deny('locked_out');
  const subject = a.subject;
  if (subject.kind === 'none') return deny('unknown_credential', { wrongCode: KEYPAD.has(a.credentialType) });

  if (a.direction === 'out') return grant(subject, who, false);
  const passback = s.antiPassback && PERIMETER.has(door.placeKind) && a.lastPerimeterDirection === 'in';

  if (subject.kind === 'resident') {
    const { resident, credential, household } = subject;
    if (resident.status !== 'active' || credential.status !== 'active') return deny('suspended');
    // Defence in depth: withdrawing consent deletes the face credential, but a stale reference must not open a door.
    if (credential.type === 'face' && !resident.faceConsent) return deny('no_face_consent');
    const mayEnter = PERIMETER.has(door.placeKind) || (door.placeKind === 'unit_door' && household !== undefined && door.buildingId === household.buildingId);
    if (!mayEnter) return deny('not_allowed_here');
    if (passback) return deny('anti_passback');
    return grant(subject, who, false);
  }

  const pass = subject.pass;
  if (pass.status === 'revoked') return deny('revoked');
  if (!pass.allowedDoors.includes(door.id)) return deny('not_allowed_here');
  const t = now.getTime();
  if (t < pass.validFrom.getTime() || t >= pass.validUntil.getTime()) return deny('outside_window');
  if (pass.entriesUsed >= pass.maxEntries) return deny('entries_used');
  if (passback) return deny('anti_passback');
  return grant(subject, who, true);
}

function identify(subject: Subject): Pick<Decision, 'displayName' | 'residentId' | 'householdId' | 'passId'> {
  switch (subject.kind) {
    case 'none':
      return { residentId: null, householdId: null, passId: null };
    case 'resident':
      return { displayName: maskName(subject.resident.name), residentId: subject.resident.id, householdId: subject.resident.householdId, passId: null };
    case 'pass':
      return { displayName: maskName(subject.pass.visitorName), residentId: null, householdId: subject.pass.householdId, passId: subject.pass.id };
  }
}

function grant(subject: Exclude<Subject, { kind: 'none' }>, who: ReturnType<typeof identify>, countsEntry: boolean): Decision {
  return { decision: 'grant', reason: subject.kind === 'resident' ? 'resident' : 'visitor_pass', ...who, countsEntry, wrongCode: false };
}
