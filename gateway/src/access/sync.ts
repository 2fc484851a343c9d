import { createHash } from 'node:crypto';
import type { SyncEntry } from '../contracts';
import { type Directory, matchOf } from './directory';
import { maskName } from '../contracts/mask';
import type { CredentialRecord, DoorRecord, PassRecord, ResidentRecord } from '../db/records/access';
import { PERIMETER } from './decide';

/** Sync pages stay small enough for an embedded terminal's MQTT buffer (~25 KiB). */
export const SYNC_PAGE = 200;

/** Identifies the credential key without revealing it: terminals provisioned with another key know to complain. */
export function keyId(credentialKey: string): string {
  return `k-${createHash('sha256').update(`linli:key-id:${credentialKey}`).digest('hex').slice(0, 12)}`;
}

/**
 * The credential set one door needs to decide on its own while the gateway is unreachable: exactly the residents
 * and passes the online rules (decide.ts) would admit there, minus blacklisted and suspended credentials. Secrets go
 * out as their lookup hashes only. Passes that have ended or are used up are left out; the window and the entries
 * left travel with each pass so the terminal can keep counting.
 */
export function syncSet(dir: Directory, door: DoorRecord, nowMs: number, hash: (type: 'face', value: string) => string): SyncEntry[] {
  if (!door.enabled) return [];
  const entries: SyncEntry[] = [];
  const residents: Iterable<ResidentRecord> = PERIMETER.has(door.placeKind)
    ? dir.residents.values()
    : door.placeKind === 'unit_door' && door.buildingId !== null
      ? dir.residentsInBuilding(door.buildingId)
      : [];
  const types: ReadonlySet<CredentialRecord['type']> = door.kind === 'vehicle_gate' ? new Set(['plate']) : new Set(['card', 'pin', 'face']);
  for (const r of residents) {
    if (r.status !== 'active') continue;
    for (const c of dir.credentialsOf(r.id)) {
      if (c.status !== 'active' || !types.has(c.type) || (c.type === 'face' && !r.faceConsent)) continue;
      const match = matchOf(c);
      if (match === null) continue;
      // The blacklist keeps face references hashed (like every value but plates).
      if (dir.isBlacklisted(c.type, c.type === 'face' ? hash('face', match) : match)) continue;
      entries.push({ type: syncType(c.type), match, residentId: r.id, displayName: maskName(r.name) });
    }
  }
  for (const p of dir.passes.values()) {
    if (!passUsableLater(p, door.id, nowMs)) continue;
    const common = { passId: p.id, displayName: maskName(p.visitorName), validFrom: p.validFrom.toISOString(), validUntil: p.validUntil.toISOString(), entriesLeft: p.maxEntries - p.entriesUsed };
    if (door.kind === 'vehicle_gate') {
      if (p.plate !== null && !dir.isBlacklisted('plate', p.plate)) entries.push({ type: 'plate', match: p.plate, ...common });
    } else {
      entries.push({ type: 'pass', match: p.codeHash, ...common });
    }
  }
  return entries;
}

function syncType(t: CredentialRecord['type']): SyncEntry['type'] {
  // A resident's personal QR is decided online only (it is not in any door's set, see `types` above); this keeps the
  // type checker honest.
  return t === 'qr' ? 'pass' : t;
}

function passUsableLater(p: PassRecord, doorId: string, nowMs: number): boolean {
  return p.status === 'active' && p.allowedDoors.includes(doorId) && p.validUntil.getTime() > nowMs && p.entriesUsed < p.maxEntries;
}

/** Splits a set into pages; an empty set is still one (empty) page, so the door learns it must admit nobody. */
export function pages<T>(entries: T[], size = SYNC_PAGE): T[][] {
  if (entries.length === 0) return [[]];
  const out: T[][] = [];
  for (let i = 0; i < entries.length; i += size) out.push(entries.slice(i, i + size));
  return out;
}
