import { describe, expect, it } from 'vitest';
import { Directory } from './directory';
import type { DirectorySnapshot, DoorRecord, PassRecord } from '../db/records/access';
import { pages, syncSet } from './sync';

const now = new Date('2026-11-21T12:00:00Z');
const door = (id: string, placeKind: DoorRecord['placeKind'], buildingId: string | null, kind: DoorRecord['kind'] = 'face_terminal'): DoorRecord => ({ id, kind, name: id, placeKind, buildingId, unitId: null, enabled: true });
const pass = (over: Partial<PassRecord>): PassRecord => ({
  id: 'pass-1', householdId: 'hh-1', createdBy: 'u', visitorName: '张三', phoneMasked: null, plate: null,
  validFrom: new Date('2026-11-21T10:00:00Z'), validUntil: new Date('2026-11-21T14:00:00Z'), allowedDoors: ['gate-main', 'door-1'],
  maxEntries: 2, entriesUsed: 0, codeHash: 'code-hash', status: 'active', createdAt: now, revokedAt: null, ...over,
});
const cred = (id: string, residentId: string, type: 'card' | 'pin' | 'face' | 'plate', match: string, status: 'active' | 'suspended' = 'active') => ({
  id, residentId, type, status, createdAt: now, hint: null,
  lookupHash: type === 'card' || type === 'pin' ? match : null, faceTemplateRef: type === 'face' ? match : null, plate: type === 'plate' ? match : null,
});

function directory(): Directory {
  const snapshot: DirectorySnapshot = {
    doors: [door('gate-main', 'main_gate', null), door('gate-vehicle', 'vehicle_gate', null, 'vehicle_gate'), door('door-1', 'unit_door', 'b1'), door('door-2', 'unit_door', 'b2')],
    households: [{ id: 'hh-1', unitId: 'u1', buildingId: 'b1', label: '1-1-101' }, { id: 'hh-2', unitId: 'u2', buildingId: 'b2', label: '2-1-101' }],
    residents: [
      { id: 'r1', householdId: 'hh-1', name: '王小明', status: 'active', faceConsent: false, faceConsentAt: null },
      { id: 'r2', householdId: 'hh-2', name: '李华', status: 'active', faceConsent: true, faceConsentAt: now },
    ],
    credentials: [
      cred('c1', 'r1', 'card', 'card-hash-1'),
      cred('c2', 'r1', 'face', 'ft-stale'), // no consent: never synced
      cred('c3', 'r1', 'pin', 'pin-hash-1', 'suspended'),
      cred('c4', 'r2', 'card', 'card-hash-2'),
      cred('c5', 'r2', 'plate', '陕A12345'),
    ],
    blacklist: [{ id: 'bl1', type: 'card', lookupHash: 'card-hash-2', plate: null, reason: 'lost', createdBy: 'admin', createdAt: now }],
    passes: [pass({}), pass({ id: 'pass-used', codeHash: 'h2', entriesUsed: 2 }), pass({ id: 'pass-car', codeHash: 'h3', plate: '京B88888', allowedDoors: ['gate-vehicle'] })],
  };
  const d = new Directory();
  d.load(snapshot);
  return d;
}

const faceHash = (_t: 'face', v: string) => `h(${v})`;
const setOf = (id: string) => {
  const d = directory();
  return syncSet(d, d.doors.get(id)!, now.getTime(), faceHash).map((e) => [e.type, e.match, e.residentId ?? e.passId]);
};

describe('credential sets for offline doors', () => {
  it('gives a unit door its own building only: active credentials, consented faces, usable passes listing it', () => {
    expect(setOf('door-1')).toEqual([
      ['card', 'card-hash-1', 'r1'],
      ['pass', 'code-hash', 'pass-1'],
    ]);
  });
  it('gives the main gate every resident, without blacklisted credentials', () => {
    expect(setOf('gate-main')).toEqual([
      ['card', 'card-hash-1', 'r1'],
      ['pass', 'code-hash', 'pass-1'],
    ]);
  });
  it('gives the vehicle gate plates only', () => {
    expect(setOf('gate-vehicle')).toEqual([
      ['plate', '陕A12345', 'r2'],
      ['plate', '京B88888', 'pass-car'],
    ]);
  });
  it('carries the masked name, window and entries left of a pass', () => {
    const d = directory();
    expect(syncSet(d, d.doors.get('door-1')!, now.getTime(), faceHash).find((e) => e.passId === 'pass-1')).toEqual({
      type: 'pass', match: 'code-hash', passId: 'pass-1', displayName: '张*', validFrom: '2026-11-21T10:00:00.000Z', validUntil: '2026-11-21T14:00:00.000Z', entriesLeft: 2,
    });
  });
  it('pages a set, and sends an empty set as one empty page', () => {
    expect(pages([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(pages([], 2)).toEqual([[]]);
  });
});
