import { describe, expect, it } from 'vitest';
import { Directory } from './directory';
import type { CredentialRecord, DirectorySnapshot, PassRecord } from '../db/records/access';

const cred = (id: string, hash: string): CredentialRecord => ({
  id,
  residentId: 'r1',
  type: 'card',
  lookupHash: hash,
  faceTemplateRef: null,
  plate: null,
  hint: null,
  status: 'active',
  createdAt: new Date(0),
});
const pass: PassRecord = {
  id: 'p1',
  householdId: 'h1',
  createdBy: 'r1',
  visitorName: '张三',
  phoneMasked: null,
  plate: null,
  validFrom: new Date(0),
  validUntil: new Date(8.64e15),
  allowedDoors: ['d1'],
  maxEntries: 2,
  entriesUsed: 0,
  codeHash: 'code',
  status: 'active',
  createdAt: new Date(0),
  revokedAt: null,
};
const snapshot = (credentials: CredentialRecord[], passes: PassRecord[] = []): DirectorySnapshot => ({
  doors: [],
  households: [{ id: 'h1', unitId: 'u1', buildingId: 'b1', label: '1-1-101' }],
  residents: [{ id: 'r1', householdId: 'h1', name: '王五', status: 'active', faceConsent: false, faceConsentAt: null }],
  credentials,
  blacklist: [],
  passes,
});

describe('Directory reloads', () => {
  it('replays changes made while the snapshot was read on top of it', () => {
    const dir = new Directory();
    dir.load(snapshot([cred('c1', 'h-1'), cred('c3', 'h-3')]));
    const since = dir.beginReload();
    // Meanwhile: a card enrolled and one removed, both after the (older) snapshot below was read.
    dir.putCredential(cred('c2', 'h-2'));
    dir.removeCredential('c3');
    dir.load(snapshot([cred('c1', 'h-1'), cred('c3', 'h-3')]), { since });
    expect(dir.findCredential('card', 'h-2')?.id).toBe('c2');
    expect(dir.findCredential('card', 'h-3')).toBeUndefined();
    expect([...dir.credentials.keys()].sort()).toEqual(['c1', 'c2']);
  });

  it('keeps passes, with the entries counted in memory, when asked to', () => {
    const dir = new Directory();
    dir.load(snapshot([], [{ ...pass }]));
    const inMemory = dir.passes.get('p1');
    if (inMemory) inMemory.entriesUsed = 1; // the engine counts an entry before its row is committed
    const since = dir.beginReload();
    dir.load(snapshot([], [{ ...pass, entriesUsed: 0 }]), { keepPasses: true, since });
    expect(dir.passByCodeHash('code')?.entriesUsed).toBe(1);
  });

  it('records nothing once a reload is aborted', () => {
    const dir = new Directory();
    dir.load(snapshot([cred('c1', 'h-1')]));
    dir.beginReload();
    dir.abortReload();
    dir.putCredential(cred('c2', 'h-2'));
    dir.load(snapshot([cred('c1', 'h-1')]));
    expect(dir.findCredential('card', 'h-2')).toBeUndefined();
  });

  it('lets overlapping reloads each replay what changed since they began', () => {
    const dir = new Directory();
    dir.load(snapshot([]));
    const first = dir.beginReload();
    dir.putCredential(cred('c1', 'h-1'));
    const second = dir.beginReload();
    dir.putCredential(cred('c2', 'h-2'));
    dir.load(snapshot([]), { since: first });
    expect([...dir.credentials.keys()].sort()).toEqual(['c1', 'c2']);
    // The second snapshot was read after c1 was stored, before c2 was.
    dir.load(snapshot([cred('c1', 'h-1')]), { since: second });
    expect([...dir.credentials.keys()].sort()).toEqual(['c1', 'c2']);
  });

  it('applies one resident: moved to another household, credentials replaced, or gone', () => {
    const dir = new Directory();
    dir.load({ ...snapshot([cred('c1', 'h-1')]), households: [{ id: 'h1', unitId: 'u1', buildingId: 'b1', label: '1-1-101' }, { id: 'h2', unitId: 'u2', buildingId: 'b2', label: '2-1-101' }] });
    const since = dir.beginReload();
    dir.applyResident('r1', { resident: { id: 'r1', householdId: 'h2', name: '王五', status: 'active', faceConsent: false, faceConsentAt: null }, credentials: [cred('c9', 'h-9')] }, since);
    expect(dir.residentsInBuilding('b1')).toEqual([]);
    expect(dir.residentsInBuilding('b2').map((r) => r.id)).toEqual(['r1']);
    expect(dir.findCredential('card', 'h-1')).toBeUndefined();
    expect(dir.findCredential('card', 'h-9')?.id).toBe('c9');
    dir.applyResident('r1', null);
    expect(dir.residents.has('r1')).toBe(false);
    expect(dir.credentials.size).toBe(0);
  });
});
