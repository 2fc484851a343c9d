import { describe, expect, it } from 'vitest';
import { type AccessAttempt, type Subject, decide } from './decide';
import type { CredentialRecord, DoorRecord, HouseholdRecord, PassRecord, ResidentRecord } from '../db/records/access';

const now = new Date('2026-11-21T12:00:00Z');
const S = { antiPassback: false, plateMinConfidence: 0.8 };
const door = (id: string, placeKind: DoorRecord['placeKind'], buildingId: string | null = null): DoorRecord => ({
  id,
  kind: placeKind === 'vehicle_gate' ? 'vehicle_gate' : 'face_terminal',
  name: id,
  placeKind,
  buildingId,
  unitId: buildingId ? `${buildingId}-u1` : null,
  enabled: true,
});
const MAIN = door('gate-main', 'main_gate');
const VEHICLE = door('gate-vehicle', 'vehicle_gate');
const B1 = door('door-b01-u1', 'unit_door', 'bld-1');
const B2 = door('door-b02-u1', 'unit_door', 'bld-2');

const household: HouseholdRecord = { id: 'hh-1', unitId: 'bld-1-u1', buildingId: 'bld-1', label: '1-1-101' };
const resident = (over: Partial<ResidentRecord> = {}): ResidentRecord => ({ id: 'res-1', householdId: 'hh-1', name: '王小明', status: 'active', faceConsent: true, faceConsentAt: now, ...over });
const credential = (over: Partial<CredentialRecord> = {}): CredentialRecord => ({ id: 'cred-1', residentId: 'res-1', type: 'card', lookupHash: 'h', faceTemplateRef: null, plate: null, hint: '1234', status: 'active', createdAt: now, ...over });
const pass = (over: Partial<PassRecord> = {}): PassRecord => ({
  id: 'pass-1',
  householdId: 'hh-1',
  createdBy: 'usr-1',
  visitorName: '张三',
  phoneMasked: null,
  plate: null,
  validFrom: new Date('2026-11-21T10:00:00Z'),
  validUntil: new Date('2026-11-21T14:00:00Z'),
  allowedDoors: ['gate-main', 'door-b01-u1'],
  maxEntries: 2,
  entriesUsed: 0,
  codeHash: 'c',
  status: 'active',
  createdAt: now,
  revokedAt: null,
  ...over,
});
const asResident = (r = resident(), c = credential()): Subject => ({ kind: 'resident', resident: r, household, credential: c });

const attempt = (over: Partial<AccessAttempt>): AccessAttempt => ({
  door: MAIN,
  credentialType: 'card',
  direction: 'in',
  subject: asResident(),
  blacklisted: false,
  keypadLocked: false,
  lastPerimeterDirection: null,
  ...over,
});
const reason = (a: Partial<AccessAttempt>, settings = S) => decide(attempt(a), now, settings).reason;

describe('decide: residents', () => {
  it('grants the main gate and the unit doors of their own building, with a masked name', () => {
    for (const d of [MAIN, VEHICLE, B1]) expect(decide(attempt({ door: d }), now, S)).toMatchObject({ decision: 'grant', reason: 'resident', displayName: '王*', householdId: 'hh-1' });
  });
  it('denies another building with not_allowed_here', () => {
    expect(reason({ door: B2 })).toBe('not_allowed_here');
  });
  it('denies a suspended credential and a resident who moved out', () => {
    expect(reason({ subject: asResident(resident(), credential({ status: 'suspended' })) })).toBe('suspended');
    expect(reason({ subject: asResident(resident({ status: 'moved_out' })) })).toBe('suspended');
  });
  it('denies a face without recorded consent, but the same resident enters with a card', () => {
    const noConsent = resident({ faceConsent: false, faceConsentAt: null });
    expect(reason({ credentialType: 'face', subject: asResident(noConsent, credential({ type: 'face', faceTemplateRef: 'ft-1' })) })).toBe('no_face_consent');
    expect(reason({ subject: asResident(noConsent) })).toBe('resident');
  });
  it('lets anyone known leave through any door', () => {
    expect(decide(attempt({ door: B2, direction: 'out' }), now, S).decision).toBe('grant');
  });
});

describe('decide: refusals before identity', () => {
  it('denies blacklisted credentials even when they belong to a resident', () => {
    expect(reason({ blacklisted: true })).toBe('blacklisted');
  });
  it('denies an unknown credential and counts a wrong keypad code', () => {
    expect(decide(attempt({ subject: { kind: 'none' }, credentialType: 'pin' }), now, S)).toMatchObject({ reason: 'unknown_credential', wrongCode: true });
    expect(decide(attempt({ subject: { kind: 'none' }, credentialType: 'card' }), now, S)).toMatchObject({ reason: 'unknown_credential', wrongCode: false });
  });
  it('denies keypad entries at a locked door, but not cards', () => {
    expect(reason({ credentialType: 'pin', keypadLocked: true })).toBe('locked_out');
    expect(reason({ credentialType: 'card', keypadLocked: true })).toBe('resident');
  });
  it('denies low-confidence plate reads', () => {
    expect(reason({ door: VEHICLE, credentialType: 'plate', confidence: 0.5 })).toBe('low_confidence');
  });
  it('denies at a device that is not an access door', () => {
    expect(reason({ door: undefined })).toBe('not_allowed_here');
  });
});

describe('decide: visitor passes', () => {
  const withPass = (p: Partial<PassRecord> = {}, a: Partial<AccessAttempt> = {}) => decide(attempt({ subject: { kind: 'pass', pass: pass(p) }, credentialType: 'qr', ...a }), now, S);
  it('grants an allowed door within the window and counts the entry', () => {
    expect(withPass()).toMatchObject({ decision: 'grant', reason: 'visitor_pass', displayName: '张*', passId: 'pass-1', countsEntry: true });
    expect(withPass({}, { door: B1 }).decision).toBe('grant');
  });
  it('denies doors outside the pass', () => {
    expect(withPass({}, { door: B2 }).reason).toBe('not_allowed_here');
  });
  it('denies before and after the window', () => {
    expect(withPass({ validFrom: new Date('2026-11-21T13:00:00Z') }).reason).toBe('outside_window');
    expect(withPass({ validUntil: new Date('2026-11-21T12:00:00Z') }).reason).toBe('outside_window');
  });
  it('denies a revoked pass and a used-up pass', () => {
    expect(withPass({ status: 'revoked' }).reason).toBe('revoked');
    expect(withPass({ entriesUsed: 2 }).reason).toBe('entries_used');
  });
  it('lets a visitor leave without using an entry', () => {
    expect(withPass({ entriesUsed: 2 }, { direction: 'out' })).toMatchObject({ decision: 'grant', countsEntry: false });
  });
});

describe('decide: anti-passback', () => {
  const on = { ...S, antiPassback: true };
  it('denies a second entry through the perimeter without an exit, when enabled', () => {
    expect(reason({ lastPerimeterDirection: 'in' }, on)).toBe('anti_passback');
    expect(reason({ lastPerimeterDirection: 'out' }, on)).toBe('resident');
    expect(reason({ lastPerimeterDirection: 'in' }, S)).toBe('resident');
  });
  it('does not apply inside the compound', () => {
    expect(reason({ door: B1, lastPerimeterDirection: 'in' }, on)).toBe('resident');
  });
});
