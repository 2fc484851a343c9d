import { lookupHash, rawLookupHash } from '../auth/hash';
import { normaliseCard } from '../contracts/card';
import type { CredentialType } from '../contracts';
import type { Subject } from './decide';
import type { Directory } from './directory';
import type { PassRecord } from '../db/records/access';
import { codeFromQr } from '../auth/pass-code';
import { isResidentQr, tokenFromResidentQr } from '../auth/resident-qr';

export interface Keys {
  credentialKey: string;
  qrSigningKey: Buffer;
}

export interface Resolved {
  subject: Subject;
  blacklisted: boolean;
  /** Stable per credential or pass: the anti-passback memory is keyed by it. */
  holderKey: string | null;
}

/**
 * Finds who a presented credential belongs to. Card numbers and PINs are compared as HMAC lookup hashes (what the
 * database stores); faces by the vendor's template reference; plates in clear. A keypad entry may be a resident's
 * PIN or a visitor's pass code; a QR (a visitor pass, or a resident's personal QR) must carry our signature before
 * its code is looked up.
 */
export function resolve(dir: Directory, keys: Keys, type: CredentialType, value: string, doorId: string, nowMs: number): Resolved {
  // The blacklist holds the lookup hash of every type but plates (a blacklisted face reference is not kept in clear).
  const hashed = type === 'plate' ? value : lookupHash(keys.credentialKey, type, value);
  const blacklisted = dir.isBlacklisted(type, hashed);
  const resident = (t: CredentialType, match: string): Resolved | null => {
    const credential = dir.findCredential(t, match);
    if (!credential) return null;
    const r = dir.residents.get(credential.residentId);
    if (!r) return null;
    return { subject: { kind: 'resident', resident: r, household: dir.households.get(r.householdId), credential }, blacklisted, holderKey: `cred:${credential.id}` };
  };
  const pass = (p: PassRecord | undefined): Resolved | null =>
    p ? { subject: { kind: 'pass', pass: p }, blacklisted, holderKey: `pass:${p.id}` } : null;
  const none: Resolved = { subject: { kind: 'none' }, blacklisted, holderKey: null };

  switch (type) {
    case 'card':
      // A card enrolled with lower-case hex letters before cards had a normal form is stored as the HMAC of what was
      // typed: a reader reporting exactly that still finds it.
      return resident('card', hashed) ?? (normaliseCard(value) !== value ? resident('card', rawLookupHash(keys.credentialKey, 'card', value)) : null) ?? none;
    case 'face':
      return resident('face', value) ?? none;
    case 'pin':
      return resident('pin', hashed) ?? pass(dir.passByCodeHash(lookupHash(keys.credentialKey, 'pass', value))) ?? none;
    case 'qr': {
      // A resident's personal QR (LINLIR1:…): found like a card, by the lookup hash of its token, in one Map read.
      if (isResidentQr(value)) {
        const token = tokenFromResidentQr(keys.qrSigningKey, value);
        return token === null ? none : (resident('qr', lookupHash(keys.credentialKey, 'qr', token)) ?? none);
      }
      const code = codeFromQr(keys.qrSigningKey, value);
      return code === null ? none : (pass(dir.passByCodeHash(lookupHash(keys.credentialKey, 'pass', code))) ?? none);
    }
    case 'plate':
      return resident('plate', value) ?? pass(bestPlatePass(dir.passesForPlate(value), doorId, nowMs)) ?? none;
  }
}

/** One plate may be on several passes (a visitor invited twice): the one that would open this door now, else any. */
function bestPlatePass(passes: PassRecord[], doorId: string, nowMs: number): PassRecord | undefined {
  const usable = (p: PassRecord) =>
    p.status === 'active' && p.allowedDoors.includes(doorId) && p.validFrom.getTime() <= nowMs && nowMs < p.validUntil.getTime() && p.entriesUsed < p.maxEntries;
  return passes.find(usable) ?? passes.find((p) => p.allowedDoors.includes(doorId)) ?? passes[0];
}
