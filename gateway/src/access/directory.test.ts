import { describe, expect, it } from 'vitest';
import { Directory } from './directory';
import type { CredentialRecord, DirectorySnapshot, PassRecord } from './model';

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
    dir.beginReload();
    // Meanwhile: a card enrolled and one removed, both after the (older) snapshot below was read.
    dir.putCredential(cred('c2', 'h-2'));
    dir.removeCredential('c3');
    dir.load(snapshot([cred('c1', 'h-1'), cred('c3', 'h-3')]));
    expect(dir.findCredential('card', 'h-2')?.id).toBe('c2');
    expect(dir.findCredential('card', 'h-3')).toBeUndefined();
    expect([...dir.credentials.keys()].sort()).toEqual(['c1', 'c2']);
  });

  it('keeps passes, with the entries counted in memory, when asked to', () => {
    const dir = new Directory();
    dir.load(snapshot([], [{ ...pass }]));
    const inMemory = dir.passes.get('p1');
    if (inMemory) inMemory.entriesUsed = 1; // the engine counts an entry before its row is committed
    dir.beginReload();
    dir.load(snapshot([], [{ ...pass, entriesUsed: 0 }]), { keepPasses: true });
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
});
